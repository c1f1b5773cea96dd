import {
  DeliverPolicy,
  JetStreamApiCodes,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nuid, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import type { Period } from '../config/period.js';
import type { StreamConfig } from '../config/schema.js';
import { RunError, errorMessage } from '../errors.js';
import type { StreamCompleteness } from '../analysis/report-model.js';
import type { RawMessage } from '../events/types.js';
import { formatInstant, parseInstant, type Nanos } from '../time/nanos.js';
import { isJetStreamApiError } from './api-error.js';
import { SequenceTracker, deletedRunBefore } from './sequence-tracker.js';

export interface ReplayOptions {
  /** Names the report's ordered consumers so its own reads are recognised in the advisories. */
  consumerPrefix: string;
  /** How long to wait for the next message before asking the server whether anything is left. */
  idleMs?: number;
  /** Longest a stream's replay may take before the run fails. */
  timeoutMs?: number;
}

export type MessageSink = (message: RawMessage) => void | Promise<void>;

const ZERO_TIME = '0001-01-01T00:00:00Z';

function stateTime(text: string | undefined): Nanos | null {
  if (!text || text === ZERO_TIME) return null;
  return parseInstant(text);
}

async function streamInfo(
  jsm: JetStreamManager,
  stream: string,
  source: string,
  deletedDetails = false,
): Promise<StreamInfo> {
  try {
    return await jsm.streams.info(stream, deletedDetails ? { deleted_details: true } : undefined);
  } catch (err) {
    if (isJetStreamApiError(err, JetStreamApiCodes.StreamNotFound)) {
      throw new RunError(
        `source "${source}": stream ${stream} does not exist (run "sox-report provision" to create it)`,
      );
    }
    throw new RunError(`source "${source}": cannot read stream ${stream}: ${errorMessage(err)}`);
  }
}

/**
 * Reads exactly the messages of one stream whose stored time lies in [from, to), handing each to `sink`
 * in sequence order, and returns what was read: sequence range, count and every gap.
 */
export async function replayStream(
  nc: NatsConnection,
  source: string,
  ref: StreamConfig,
  period: Period,
  sink: MessageSink,
  options: ReplayOptions,
): Promise<StreamCompleteness> {
  const jsm = await jetstreamManager(nc);
  const before = await streamInfo(jsm, ref.stream, source);
  const tracker = new SequenceTracker();
  const lastTs = stateTime(before.state.last_ts);
  const firstTs = stateTime(before.state.first_ts);
  const windowHasMessages =
    before.state.messages > 0 && lastTs !== null && lastTs >= period.from && (firstTs === null || firstTs < period.to);

  if (windowHasMessages) {
    await consumeWindow(nc, source, ref, period, tracker, sink, options);
  }
  await findEdgeGaps(jsm, source, ref.stream, period, tracker);

  return {
    source,
    stream: ref.stream,
    kind: ref.kind,
    ...(ref.account ? { account: ref.account } : {}),
    firstSeq: tracker.firstSeq,
    lastSeq: tracker.lastSeq,
    messages: tracker.messages,
    gaps: tracker.gaps,
    missing: tracker.missing,
    firstTime: tracker.firstTs === null ? null : formatInstant(tracker.firstTs),
    lastTime: tracker.lastTs === null ? null : formatInstant(tracker.lastTs),
  };
}

async function consumeWindow(
  nc: NatsConnection,
  source: string,
  ref: StreamConfig,
  period: Period,
  tracker: SequenceTracker,
  sink: MessageSink,
  options: ReplayOptions,
): Promise<void> {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const idleMs = options.idleMs ?? 5_000;
  const deadline = Date.now() + (options.timeoutMs ?? 30 * 60_000);
  const namePrefix = `${options.consumerPrefix}_${nuid.next()}`;
  const firstSeq = await firstSequenceAtOrAfter(js, ref.stream, namePrefix, period.from);
  if (firstSeq === null) return;
  // The library's ordered consumer cannot recreate itself after a reconnect when it was started by time
  // (it keeps opt_start_time beside a start sequence, which the server refuses): start it by sequence.
  const consumer = await js.consumers.get(ref.stream, {
    name_prefix: namePrefix,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: firstSeq,
  });
  // Short pulls and heartbeats: after a reconnect the library recreates the consumer but resumes pulling
  // only when heartbeats are missed, so these bound the pause to about two seconds.
  const messages = await consumer.consume({ max_messages: 512, expires: 5_000, idle_heartbeat: 1_000 });
  let lastDelivery = Date.now();
  let finished = false;
  // Waiting on a stream with nothing left must end: ask the server when messages stop coming.
  const watchdog = setInterval(
    () => {
      if (finished || Date.now() - lastDelivery < idleMs) return;
      if (Date.now() > deadline) {
        finished = true;
        void messages.close();
        return;
      }
      jsm.streams
        .info(ref.stream)
        .then((info) => {
          if (!finished && (tracker.lastSeq ?? 0) >= info.state.last_seq) {
            finished = true;
            void messages.close();
          }
        })
        .catch(() => undefined); // disconnected: the client reconnects and the next tick asks again
    },
    Math.max(100, Math.floor(idleMs / 4)),
  );
  try {
    for await (const m of messages) {
      lastDelivery = Date.now();
      const ts = storedTime(m);
      if (ts >= period.to) break;
      if (tracker.accept(m.seq, ts)) {
        // Awaiting a plain return costs a microtask per message: only wait for sinks that are asynchronous.
        const pending = sink(toRaw(m, ref, ts));
        if (pending) await pending;
      }
      if (m.info.pending === 0) break;
    }
  } catch (err) {
    throw new RunError(`source "${source}": replay of stream ${ref.stream} failed: ${errorMessage(err)}`);
  } finally {
    finished = true;
    clearInterval(watchdog);
    await messages.close().catch(() => undefined);
  }
  if (Date.now() > deadline) {
    throw new RunError(
      `source "${source}": replay of stream ${ref.stream} did not finish in time (read up to seq ` +
        `${tracker.lastSeq ?? 'none'})`,
    );
  }
}

/** The sequence of the first message stored at or after `from`, as the server finds it; null if none. */
async function firstSequenceAtOrAfter(
  js: JetStreamClient,
  stream: string,
  namePrefix: string,
  from: Nanos,
): Promise<number | null> {
  const probe = await js.consumers.get(stream, {
    name_prefix: `${namePrefix}-start`,
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: formatInstant(from),
  });
  try {
    const first = await probe.next({ expires: 2_000 });
    return first?.seq ?? null;
  } finally {
    await probe.delete().catch(() => undefined);
  }
}

/**
 * The stored time from the reply subject, read straight off its timestamp token: the library's
 * timestampNanos splits the whole subject again for every message, and its info.timestampNanos is a
 * JS number, too coarse for nanoseconds. Subjects are `$JS.ACK.<stream>.<consumer>.<dc>.<sseq>.<dseq>.<ts>.<pending>`
 * (9 tokens, old servers) or `$JS.ACK.<domain>.<hash>.<stream>.<consumer>.<dc>.<sseq>.<dseq>.<ts>.<pending>[.<rnd>]`.
 */
export function storedNanos(reply: string): Nanos {
  const dots: number[] = [];
  for (let i = reply.indexOf('.'); i >= 0 && dots.length < 12; i = reply.indexOf('.', i + 1)) dots.push(i);
  if (!reply.startsWith('$JS.ACK.') || dots.length < 8)
    throw new Error(`not a JetStream delivery subject: ${reply.slice(0, 200)}`);
  const at = dots.length === 8 ? 6 : 8;
  const end = dots[at + 1] ?? reply.length;
  const token = reply.slice(dots[at]! + 1, end);
  if (!/^\d+$/.test(token)) throw new Error(`no stored time in the delivery subject ${reply.slice(0, 200)}`);
  return BigInt(token);
}

/** `reply` is not in the library's public JsMsg type: fall back to its own parse if a release drops it. */
function storedTime(m: JsMsg): Nanos {
  const reply = (m as { reply?: unknown }).reply;
  return typeof reply === 'string' ? storedNanos(reply) : m.timestampNanos;
}

function toRaw(m: JsMsg, ref: StreamConfig, ts: Nanos): RawMessage {
  const headers = m.headers;
  return {
    stream: ref.stream,
    kind: ref.kind,
    account: ref.account,
    seq: m.seq,
    subject: m.subject,
    ts,
    data: m.data,
    // Always present, so every message has one shape on the hot path.
    headers: headers ? headerRecord(headers) : undefined,
  };
}

function headerRecord(headers: MsgHdrs): Record<string, string[]> {
  const record: Record<string, string[]> = {};
  for (const key of headers.keys()) record[key] = headers.values(key);
  return record;
}

/**
 * Deleted messages at the edges of the period are invisible to a consumer. A run of deleted sequences is
 * reported by the period that holds the next surviving message, or, at the end of the stream, by the
 * period that holds the stream's last stored time; so every gap is reported exactly once.
 */
async function findEdgeGaps(
  jsm: JetStreamManager,
  source: string,
  stream: string,
  period: Period,
  tracker: SequenceTracker,
): Promise<void> {
  const info = await streamInfo(jsm, stream, source);
  const { state } = info;
  const lastTs = stateTime(state.last_ts);
  const lastInPeriod = lastTs !== null && lastTs >= period.from && lastTs < period.to;
  const leadingUnknown = tracker.firstSeq !== null && tracker.firstSeq > state.first_seq;
  const trailing = lastInPeriod && state.last_seq > (tracker.lastSeq ?? 0);
  if (!leadingUnknown && !trailing) return;
  if ((state.num_deleted ?? 0) === 0 && !trailing) return;
  const detailed = await streamInfo(jsm, stream, source, true);
  const deleted = new Set(detailed.state.deleted ?? []);
  if (leadingUnknown) {
    const start = deletedRunBefore(tracker.firstSeq!, deleted);
    if (start !== null) tracker.addEdgeGap(start, tracker.firstSeq! - 1);
  }
  if (trailing) {
    // Everything after the last surviving message was removed; the stream's last stored time says when.
    const start =
      tracker.lastSeq !== null
        ? tracker.lastSeq + 1
        : (deletedRunBefore(state.last_seq + 1, deleted) ?? state.last_seq);
    tracker.addEdgeGap(start, state.last_seq);
  }
}
