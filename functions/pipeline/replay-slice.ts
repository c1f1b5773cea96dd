/**
 * One slice of a period (slices/plan.ts) replayed alone, over a connection of its own: its stream read from the
 * slice's start to its end into a partial aggregate, and its messages' evidence lines (no header, no stream line:
 * those are written once the slices are merged, slices/merge.ts). What it returns is plain data (slices/codec.ts),
 * so a slice can run in another process or function and hand its result on.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { startIngest, type IngestOptions } from '../ingest/ingest.js';
import type { ByteSink } from '../ingest/sink-writer.js';
import type { StreamProgress } from '../progress/stream-progress.js';
import type { SlicePart } from '../slices/codec.js';
import { slicePeriod, type SlicePlan } from '../slices/plan.js';
import { connectWithin } from '../source/nats-steps.js';
import { replayStream } from '../source/replay.js';
import type { Ports } from './contracts.js';
import { ingestSettings } from './replay-aggregate.js';
import type { ByteDigest } from '../archive/port.js';

export interface ReplaySliceOptions {
  /** Where the slice's evidence part goes (its message lines, as gzip members); none: only aggregated. */
  evidence?: ByteSink;
  /** Ingest worker threads for this slice (ingest.ts; default: sized to the cores). */
  workers?: IngestOptions['workers'];
  /** Told how far the slice's read of its stream is. */
  onProgress?: (progress: StreamProgress) => void;
}

export async function replaySlice(
  config: Config,
  slice: SlicePlan,
  ports: Pick<Ports, 'connect' | 'deadline'>,
  options: ReplaySliceOptions = {},
): Promise<SlicePart> {
  const source = config.sources.find((s) => s.name === slice.source);
  const ref = source?.streams.find((r) => r.stream === slice.stream);
  if (!source || !ref)
    throw new Error(`slice ${slice.index} names ${slice.source}/${slice.stream}, which the configuration does not`);
  const { from, to } = slicePeriod(slice);
  const digest = options.evidence ? digestingSink(options.evidence) : null;
  const ingest = startIngest({
    ...ingestSettings(config),
    ...(digest ? { evidence: { sink: digest.sink } } : {}),
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
  });
  try {
    const nc = await connectWithin(source, (s) => ports.connect(s), { deadline: ports.deadline });
    let stream: SlicePart['stream'];
    try {
      ingest.startStream({
        source: source.name,
        stream: ref.stream,
        kind: ref.kind,
        ...(ref.account ? { account: ref.account } : {}),
      });
      stream = await replayStream(
        nc,
        source.name,
        ref,
        { from, to, timezone: 'UTC', kind: 'adhoc' },
        (raw) => ingest.message(raw),
        {
          consumerPrefix: config.report.consumerPrefix,
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        },
      );
      ingest.endStream(null);
    } finally {
      await nc.close().catch(() => undefined);
    }
    const state = await ingest.finish();
    return { slice, stream, state, evidence: digest ? digest.result() : null };
  } catch (err) {
    await ingest.abort();
    throw err;
  }
}

/** Passes every chunk on, counting its bytes and hashing them: the part's digest, for whoever puts it in place. */
function digestingSink(sink: ByteSink): { sink: ByteSink; result(): ByteDigest } {
  const hash = createHash('sha256');
  let bytes = 0;
  return {
    sink: {
      write(chunk) {
        hash.update(chunk);
        bytes += chunk.byteLength;
        return sink.write(chunk);
      },
    },
    result: () => ({ bytes, sha256: hash.digest('hex') }),
  };
}
