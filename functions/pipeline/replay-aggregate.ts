import { DEFAULT_LIMITS, type AggregateState } from '../analysis/aggregate-state.js';
import type { StreamCompleteness } from '../analysis/report-model.js';
import type { Period } from '../config/period.js';
import type { Config, SourceConfig } from '../config/schema.js';
import type { RawMessage } from '../events/types.js';
import type { Ports } from './contracts.js';
import type { AccountName, StreamPlanSummary } from '../analysis/report-model.js';
import { accountKeysOf, resolveAccountNames } from '../source/account-names.js';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { NatsUnavailableError, errorMessage } from '../errors.js';
import { connectWithin, natsStep, openJetStream } from '../source/nats-steps.js';
import { provisionSource } from '../source/provision.js';
import { replayStream } from '../source/replay.js';
import type { StreamProgress } from '../progress/stream-progress.js';
import { startIngest, type Ingest, type IngestOptions } from '../ingest/ingest.js';
import { streamRecord } from '../slices/merge.js';

/** Replays every configured stream for the period into one aggregate, with each stream's completeness. */
export async function replayAndAggregate(
  config: Config,
  period: Period,
  ports: Pick<Ports, 'connect' | 'log' | 'deadline'>,
  options: ReplayAggregateOptions = {},
): Promise<Replayed> {
  const { onMessage } = options;
  const ingest = startIngest({
    ...ingestSettings(config),
    ...(options.evidence ? { evidence: options.evidence } : {}),
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
  });
  try {
    const replayed = await replaySources(config, period, ports, ingest, onMessage, options.onProgress);
    const state = await ingest.finish();
    return { ...replayed, state, accountNames: await accountNames(config, ports, state) };
  } catch (err) {
    await ingest.abort();
    throw err;
  }
}

/** How the configuration has messages aggregated: list limits, and the report's own consumers recognised. */
export function ingestSettings(config: Config): Pick<IngestOptions, 'limits' | 'parse'> {
  return {
    limits: { ...DEFAULT_LIMITS, maxListed: config.report.maxListed },
    parse: { ownConsumerPrefix: `${config.report.consumerPrefix}_` },
  };
}

/**
 * Operator mode: the JWT names of the account keys the period names, asked of the first source's server;
 * null outside operator mode (no account is a key), where nothing is asked.
 */
export async function accountNames(
  config: Config,
  ports: Pick<Ports, 'connect' | 'deadline'>,
  state: AggregateState,
): Promise<AccountName[] | null> {
  const keys = accountKeysOf(config, state);
  if (keys.length === 0) return null;
  const nc = await connectWithin(config.sources[0]!, (s) => ports.connect(s), { deadline: ports.deadline });
  try {
    return await resolveAccountNames(nc, keys);
  } finally {
    await nc.close().catch(() => undefined);
  }
}

async function replaySources(
  config: Config,
  period: Period,
  ports: Pick<Ports, 'connect' | 'log' | 'deadline'>,
  ingest: Ingest,
  onMessage: ((raw: RawMessage) => void) | undefined,
  onProgress: ((progress: StreamProgress) => void) | undefined,
): Promise<Omit<Replayed, 'state' | 'accountNames'>> {
  const streams: StreamCompleteness[] = [];
  const checked: SourceChecked[] = [];
  for (const source of config.sources) {
    const nc = await connectWithin(source, (s) => ports.connect(s), { deadline: ports.deadline });
    try {
      for (const ref of source.streams) {
        ingest.startStream({
          source: source.name,
          stream: ref.stream,
          kind: ref.kind,
          ...(ref.account ? { account: ref.account } : {}),
        });
        const completeness = await replayStream(
          nc,
          source.name,
          ref,
          period,
          (raw) => {
            onMessage?.(raw);
            return ingest.message(raw);
          },
          {
            consumerPrefix: config.report.consumerPrefix,
            ...(onProgress ? { onProgress } : {}),
          },
        );
        ingest.endStream(streamRecord(completeness));
        ports.log(`${source.name}/${ref.stream}: ${completeness.messages} messages, ${completeness.missing} missing`);
        streams.push(completeness);
      }
      checked.push(await checkSource(config, source, nc, ports));
    } finally {
      await nc.close().catch(() => undefined);
    }
  }
  return { streams, ...joinSourceChecks(config, checked) };
}

/** What is read of a source besides its streams' messages, right after them (checkSource). */
export interface SourceChecked {
  server: ServerSeen;
  /** null: the capture streams could not be inspected. */
  plans: StreamPlanSummary[] | null;
  originalLastSeq: Map<string, number | null>;
  mirrorLastSeq: Map<string, number | null>;
}

/**
 * The server the connection reached, the capture streams' settings against their spec, and the last sequences of
 * the mirrors and of their originals, read on the source's connection once its streams are read.
 */
export async function checkSource(
  config: Config,
  source: SourceConfig,
  nc: NatsConnection,
  ports: Pick<Ports, 'log'>,
): Promise<SourceChecked> {
  const server = { source: source.name, version: nc.info?.version ?? null, name: nc.info?.server_name ?? null };
  const originalLastSeq = new Map<string, number | null>();
  const mirrorLastSeq = new Map<string, number | null>();
  // Mirrors are compared with what their originals hold right after the replay: both read within moments.
  const jsm = config.mirrors.length ? await openJetStream(nc) : null;
  for (const ref of source.streams) {
    if (jsm && config.mirrors.some((m) => m.of === ref.stream))
      originalLastSeq.set(ref.stream, await lastSeq(nc, jsm, ref.stream));
  }
  for (const mirror of config.mirrors.filter((m) => m.source === source.name)) {
    mirrorLastSeq.set(mirror.stream, jsm ? await lastSeq(nc, jsm, mirror.stream) : null);
  }
  // The capture streams as they are now, against their tamper-resistant spec; nothing is changed (dry run).
  let plans: StreamPlanSummary[] | null;
  try {
    const found = await natsStep(nc, `checking the settings of the capture streams of ${source.name}`, () =>
      provisionSource(config, source, nc, true),
    );
    plans = found.map(({ plan }, i) => ({
      source: source.name,
      stream: plan.spec.name,
      kind: source.streams[i]!.kind,
      action: plan.action,
      findings: plan.action === 'drift' ? plan.findings : [],
    }));
  } catch (err) {
    // Settings left uninspected because NATS was away would read as a finding: the run fails instead.
    if (err instanceof NatsUnavailableError) throw err;
    ports.log(`${source.name}: the capture streams could not be inspected (${errorMessage(err)})`);
    plans = null;
  }
  return { server, plans, originalLastSeq, mirrorLastSeq };
}

/** Every source's checks as the run records them: one list of plans (null if any source's failed), the mirrors. */
export function joinSourceChecks(
  config: Config,
  checked: readonly SourceChecked[],
): Pick<Replayed, 'streamPlans' | 'mirrors' | 'servers'> {
  const streamPlans = checked.some((c) => c.plans === null) ? null : checked.flatMap((c) => c.plans ?? []);
  const original = (stream: string) => checked.find((c) => c.originalLastSeq.has(stream))?.originalLastSeq.get(stream);
  const copyOf = (stream: string) => checked.find((c) => c.mirrorLastSeq.has(stream))?.mirrorLastSeq.get(stream);
  const mirrors = config.mirrors.map((m) => {
    const copy = copyOf(m.stream) ?? null;
    const originalSeq = original(m.of) ?? null;
    // Lag against the original right now; the pipeline judges the mirror against the period's last message.
    return {
      stream: m.of,
      mirror: m.stream,
      lastSeq: copy,
      lag: copy === null || originalSeq === null ? null : Math.max(0, originalSeq - copy),
    };
  });
  return { streamPlans, mirrors, servers: checked.map((c) => c.server) };
}

export interface ReplayAggregateOptions {
  /** Where every message read goes, as it is read (the bundle's evidence file). */
  evidence?: IngestOptions['evidence'];
  /** Worker threads for the messages (ingest.ts; default: sized to the cores). */
  workers?: IngestOptions['workers'];
  /** Sees every message first (the benchmark counts bytes with it). */
  onMessage?: (raw: RawMessage) => void;
  /** Told how far each stream's replay is (source/replay.ts). */
  onProgress?: (progress: StreamProgress) => void;
}

export interface Replayed {
  state: AggregateState;
  streams: StreamCompleteness[];
  streamPlans: StreamPlanSummary[] | null;
  mirrors: MirrorState[];
  /** The nats-server each source's connection reached: what produced the events. */
  servers: ServerSeen[];
  /** Operator mode: each account key's JWT name; null outside operator mode. */
  accountNames: AccountName[] | null;
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

async function lastSeq(nc: NatsConnection, jsm: JetStreamManager, stream: string): Promise<number | null> {
  try {
    return (await natsStep(nc, `reading stream info of ${stream} (mirrors)`, () => jsm.streams.info(stream))).state
      .last_seq;
  } catch (err) {
    // A mirror out of reach only because NATS was away is not a missing mirror: the run fails rather than say so.
    if (err instanceof NatsUnavailableError) throw err;
    return null;
  }
}
