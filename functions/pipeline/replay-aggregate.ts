import { addMessage } from '../analysis/add-event.js';
import { emptyAggregate, DEFAULT_LIMITS, type AggregateState } from '../analysis/aggregate-state.js';
import type { StreamCompleteness } from '../analysis/report-model.js';
import type { Period } from '../config/period.js';
import type { Config } from '../config/schema.js';
import type { RawMessage } from '../events/types.js';
import type { Ports } from './contracts.js';
import type { StreamPlanSummary } from '../analysis/report-model.js';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { errorMessage } from '../errors.js';
import { provisionSource } from '../source/provision.js';
import { replayStream } from '../source/replay.js';
import type { EvidenceRecorder } from '../evidence/recorder.js';

/** Replays every configured stream for the period into one aggregate, with each stream's completeness. */
export async function replayAndAggregate(
  config: Config,
  period: Period,
  ports: Pick<Ports, 'connect' | 'log'>,
  options: ReplayAggregateOptions = {},
): Promise<Replayed> {
  const { evidence, onMessage } = options;
  const state = emptyAggregate({ ...DEFAULT_LIMITS, maxListed: config.report.maxListed });
  const parseOptions = { ownConsumerPrefix: `${config.report.consumerPrefix}_` };
  const streams: StreamCompleteness[] = [];
  let streamPlans: StreamPlanSummary[] | null = [];
  const originalLastSeq = new Map<string, number | null>();
  const mirrorLastSeq = new Map<string, number | null>();
  const servers: ServerSeen[] = [];
  for (const source of config.sources) {
    const nc = await ports.connect(source);
    try {
      servers.push({ source: source.name, version: nc.info?.version ?? null, name: nc.info?.server_name ?? null });
      for (const ref of source.streams) {
        evidence?.startStream(source.name, ref.stream);
        const completeness = await replayStream(
          nc,
          source.name,
          ref,
          period,
          (raw) => {
            onMessage?.(raw);
            // The evidence line is recorded before the message is analysed: nothing is counted that is not kept.
            const wait = evidence?.message(raw);
            addMessage(state, raw, parseOptions);
            return wait;
          },
          { consumerPrefix: config.report.consumerPrefix },
        );
        const { source: _source, stream, kind, account, firstSeq, lastSeq, messages, gaps } = completeness;
        evidence?.endStream({
          source: source.name,
          stream,
          kind,
          ...(account ? { account } : {}),
          firstSeq,
          lastSeq,
          messages,
          gaps,
        });
        ports.log(`${source.name}/${ref.stream}: ${completeness.messages} messages, ${completeness.missing} missing`);
        streams.push(completeness);
      }
      // Mirrors are compared with what their originals hold right after the replay: both read within moments.
      const jsm = config.mirrors.length ? await jetstreamManager(nc) : null;
      for (const ref of source.streams) {
        if (jsm && config.mirrors.some((m) => m.of === ref.stream))
          originalLastSeq.set(ref.stream, await lastSeq(jsm, ref.stream));
      }
      for (const mirror of config.mirrors.filter((m) => m.source === source.name)) {
        mirrorLastSeq.set(mirror.stream, jsm ? await lastSeq(jsm, mirror.stream) : null);
      }
      // The capture streams as they are now, against their tamper-resistant spec; nothing is changed (dry run).
      try {
        const plans = await provisionSource(config, source, nc, true);
        streamPlans?.push(
          ...plans.map(({ plan }, i) => ({
            source: source.name,
            stream: plan.spec.name,
            kind: source.streams[i]!.kind,
            action: plan.action,
            findings: plan.action === 'drift' ? plan.findings : [],
          })),
        );
      } catch (err) {
        ports.log(`${source.name}: the capture streams could not be inspected (${errorMessage(err)})`);
        streamPlans = null;
      }
    } finally {
      await nc.close().catch(() => undefined);
    }
  }

  const mirrors = config.mirrors.map((m) => {
    const copy = mirrorLastSeq.get(m.stream) ?? null;
    const original = originalLastSeq.get(m.of) ?? null;
    // Lag against the original right now; the pipeline judges the mirror against the period's last message.
    return {
      stream: m.of,
      mirror: m.stream,
      lastSeq: copy,
      lag: copy === null || original === null ? null : Math.max(0, original - copy),
    };
  });
  return { state, streams, streamPlans, mirrors, servers };
}

export interface ReplayAggregateOptions {
  /** Where every message read goes, as it is read (the bundle's evidence file). */
  evidence?: EvidenceRecorder;
  /** Sees every message first (the benchmark counts bytes with it). */
  onMessage?: (raw: RawMessage) => void;
}

export interface Replayed {
  state: AggregateState;
  streams: StreamCompleteness[];
  streamPlans: StreamPlanSummary[] | null;
  mirrors: MirrorState[];
  /** The nats-server each source's connection reached: what produced the events. */
  servers: ServerSeen[];
}

export interface ServerSeen {
  source: string;
  version: string | null;
  name: string | null;
}

export interface MirrorState {
  stream: string;
  mirror: string;
  /** null when the mirror does not exist (or cannot be read). */
  lastSeq: number | null;
  lag: number | null;
}

async function lastSeq(jsm: JetStreamManager, stream: string): Promise<number | null> {
  try {
    return (await jsm.streams.info(stream)).state.last_seq;
  } catch {
    return null;
  }
}
