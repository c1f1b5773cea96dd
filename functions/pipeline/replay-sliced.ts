/**
 * A period read in slices on this machine (`sox-report run --slices N`): every stream's part of the period split
 * into N time slices (slices/plan.ts), up to N read at once, each over a connection of its own
 * (replay-slice.ts); their aggregates merged in reading order and their evidence parts put in place between the
 * header and each stream's closing line (slices/merge.ts). The result is the one replayAndAggregate gives: the same
 * figures and the same evidence bytes as a single read. The fan-out's merge (handlers/fan-out-merge.ts) finishes
 * slices that other functions read through the same path (mergeReadSlices).
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import type { Period } from '../config/period.js';
import type { Config } from '../config/schema.js';
import { headerMember, streamMember } from '../evidence/encoder.js';
import { workerCount } from '../ingest/ingest.js';
import type { StreamProgress } from '../progress/stream-progress.js';
import type { SlicePart } from '../slices/codec.js';
import { evidencePieces, mergeSliceParts, partsInPlanOrder } from '../slices/merge.js';
import { configuredStreams, planSlices, type SlicePlan } from '../slices/plan.js';
import { connectWithin } from '../source/nats-steps.js';
import type { ByteSink } from '../ingest/sink-writer.js';
import type { Ports, ReadSlices } from './contracts.js';
import {
  accountNames,
  checkSource,
  ingestSettings,
  joinSourceChecks,
  type ReplayAggregateOptions,
  type Replayed,
  type SourceChecked,
} from './replay-aggregate.js';
import { replaySlice } from './replay-slice.js';

/** Slices read at once that get an ingest worker thread of their own; the others work on the reading thread. */
const MAX_SLICE_WORKERS = 4;

export async function replaySliced(
  config: Config,
  period: Period,
  ports: Pick<Ports, 'connect' | 'log' | 'deadline'>,
  slices: number,
  options: Pick<ReplayAggregateOptions, 'evidence' | 'onProgress'> = {},
): Promise<Replayed> {
  const plan = planSlices(configuredStreams(config), period, slices);
  const lanes = Math.min(slices, plan.length);
  // One worker thread per slice in flight while the machine has a core to spare, and no more than a few in all:
  // each is a JavaScript heap of its own.
  const spare = workerCount('auto', availableParallelism());
  const workersOf = (lane: number) => (spare > 0 && lane < MAX_SLICE_WORKERS ? 1 : 0);
  const dir = options.evidence ? await mkdtemp(path.join(tmpdir(), 'sox-slices-')) : null;
  const partFile = (i: number) => path.join(dir!, `part-${i}.gz`);
  const progress = options.onProgress ? combinedProgress(plan, options.onProgress) : null;
  try {
    const parts: SlicePart[] = new Array(plan.length);
    let next = 0;
    let failed = false;
    const lane = async (k: number) => {
      while (!failed && next < plan.length) {
        const i = next++;
        try {
          parts[i] = await sliceToFile(config, plan[i]!, ports, dir ? partFile(i) : null, workersOf(k), progress?.(i));
        } catch (err) {
          failed = true;
          throw err;
        }
      }
    };
    const settled = await Promise.allSettled(Array.from({ length: lanes }, (_, k) => lane(k)));
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) throw failure.reason;
    const copyFile = async (position: number, _part: SlicePart, sink: ByteSink) => {
      for await (const chunk of createReadStream(partFile(position), { highWaterMark: 1 << 20 }))
        await sink.write(chunk as Buffer);
    };
    return await finishSlices(config, plan, parts, copyFile, ports, options);
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

/** Slices read elsewhere (the fan-out's slice functions, RunOptions.readSlices), merged as a sliced run's own. */
export async function mergeReadSlices(
  config: Config,
  read: ReadSlices,
  ports: Pick<Ports, 'connect' | 'log' | 'deadline'>,
  options: Pick<ReplayAggregateOptions, 'evidence'> = {},
): Promise<Replayed> {
  return finishSlices(config, read.plan, await read.parts(), read.copyEvidence, ports, options);
}

/**
 * What follows the slices' reads, wherever they ran: their aggregates merged and their streams joined in the plan's
 * order, the evidence file's pieces written (the header, each part as `copy` gives it, each stream's closing line),
 * then the per-source checks a single read makes after its streams and the account names, on connections of their
 * own. The result is replayAndAggregate's for the same period.
 */
async function finishSlices(
  config: Config,
  plan: readonly SlicePlan[],
  parts: readonly SlicePart[],
  copy: (position: number, part: SlicePart, sink: ByteSink) => Promise<void>,
  ports: Pick<Ports, 'connect' | 'log' | 'deadline'>,
  options: Pick<ReplayAggregateOptions, 'evidence'>,
): Promise<Replayed> {
  const { state, streams } = mergeSliceParts(plan, parts, ingestSettings(config).limits);
  for (const s of streams) ports.log(`${s.source}/${s.stream}: ${s.messages} messages, ${s.missing} missing`);
  if (options.evidence) {
    const { header, sink } = options.evidence;
    const ordered = partsInPlanOrder(plan, parts);
    for (const piece of evidencePieces(plan, streams)) {
      if (piece.kind === 'header' && header) await sink.write(headerMember(header));
      else if (piece.kind === 'stream') await sink.write(streamMember(piece.record));
      else if (piece.kind === 'part') {
        const position = plan.indexOf(piece.slice);
        await copy(position, ordered[position]!, sink);
      }
    }
  }

  const checked: SourceChecked[] = [];
  for (const source of config.sources) {
    const nc = await connectWithin(source, (s) => ports.connect(s), { deadline: ports.deadline });
    try {
      checked.push(await checkSource(config, source, nc, ports));
    } finally {
      await nc.close().catch(() => undefined);
    }
  }
  return {
    state,
    streams,
    ...joinSourceChecks(config, checked),
    accountNames: await accountNames(config, ports, state),
  };
}

async function sliceToFile(
  config: Config,
  slice: SlicePlan,
  ports: Pick<Ports, 'connect' | 'deadline'>,
  file: string | null,
  workers: number,
  onProgress: ((progress: StreamProgress) => void) | undefined,
): Promise<SlicePart> {
  const handle = file ? await open(file, 'wx') : null;
  try {
    return await replaySlice(config, slice, ports, {
      workers,
      ...(handle ? { evidence: { write: async (chunk) => void (await handle.write(chunk)) } } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
  } finally {
    await handle?.close();
  }
}

/**
 * One progress line per stream, however many slices read it: read and total summed over its slices as they report,
 * done once all of them are.
 */
function combinedProgress(
  plan: readonly SlicePlan[],
  report: (progress: StreamProgress) => void,
): (i: number) => (progress: StreamProgress) => void {
  const seen = new Map<number, StreamProgress>();
  return (i) => (progress) => {
    seen.set(i, progress);
    const { source, stream } = plan[i]!;
    const mine = plan.flatMap((s, j) => (s.source === source && s.stream === stream ? [j] : []));
    const known = mine.map((j) => seen.get(j)).filter((p): p is StreamProgress => p !== undefined);
    const read = known.reduce((n, p) => n + p.read, 0);
    const total = known.reduce((n, p) => n + p.total, 0);
    const done = known.length === mine.length && known.every((p) => p.done);
    report({ source, stream, read, total: Math.max(total, read), done });
  };
}
