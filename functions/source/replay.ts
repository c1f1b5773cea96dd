import {
  DeliverPolicy,
  JetStreamApiCodes,
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nuid, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import type { Period } from '../config/period.js';
import type { StreamConfig } from '../config/schema.js';
import { NatsUnavailableError, RunError, errorMessage } from '../errors.js';
import type { StreamCompleteness } from '../analysis/report-model.js';
import type { RawMessage } from '../events/types.js';
import type { StreamProgress } from '../progress/stream-progress.js';
import { formatInstant, parseInstant, type Nanos } from '../time/nanos.js';
import { isJetStreamApiError } from './api-error.js';
import { NatsInterruptedError, natsStep, openJetStream, recordDone } from './nats-steps.js';
import { SequenceTracker, deletedRunBefore } from './sequence-tracker.js';

export interface ReplayOptions {
  /** Names the report's ordered consumers so its own reads are recognised in the advisories. */
  consumerPrefix: string;
  /** How long to wait for the next message before asking the server whether anything is left. */
  idleMs?: number;
  /** Longest a stream's replay may take before the run fails. */
  timeoutMs?: number;
  /** Told how far the stream's replay is: as it starts, every PROGRESS_EVERY messages, and once done (always). */
  onProgress?: (progress: StreamProgress) => void;
}

/** Messages between two progress calls: often enough for a display, rarely enough to cost nothing. */
export const PROGRESS_EVERY = 2_000;

export type MessageSink = (message: RawMessage) => void | Promise<void>;

const ZERO_TIME = '0001-01-01T00:00:00Z';

function stateTime(text: string | undefined): Nanos | null {
  if (!text || text === ZERO_TIME) return null;
  return parseInstant(text);
}

async function streamInfo(
  nc: NatsConnection,
  jsm: JetStreamManager,
  stream: string,
  source: string,
  deletedDetails = false,
): Promise<StreamInfo> {
  try {
    return await natsStep(nc, `reading stream info of ${stream}`, () =>
      jsm.streams.info(stream, deletedDetails ? { deleted_details: true } : undefined),
    );
  } catch (err) {
    if (err instanceof NatsUnavailableError) throw err;
    if (isJetStreamApiError(err, JetStreamApiCodes.StreamNotFound)) {
      throw new RunError(
        `source "${source}": stream ${stream} does not exist (run "sox-report provision" to create it)`,
      );
    }
    throw new RunError(`source "${source}": cannot read stream ${stream}: ${errorMessage(err)}`, { cause: err });
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
  const jsm = await openJetStream(nc);
  const before = await streamInfo(nc, jsm, ref.stream, source);
  const tracker = new SequenceTracker();
  const lastTs = stateTime(before.state.last_ts);
  const firstTs = stateTime(before.state.first_ts);
  const windowHasMessages =
    before.state.messages > 0 && lastTs !== null && lastTs >= period.from && (firstTs === null || firstTs < period.to);

  if (windowHasMessages) {
    await consumeWindow(nc, source, ref, period, tracker, sink, options, pullBatch(before.state));
  }
  await findEdgeGaps(nc, jsm, source, ref.stream, period, tracker);
  recordDone(nc, `read ${source}/${ref.stream} (${tracker.messages} messages)`);
  const read = tracker.messages;
  options.onProgress?.({ source, stream: ref.stream, read, total: read, done: true });

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
  batch: number,
): Promise<void> {
  const js = jetstream(nc);
  const jsm = await openJetStream(nc); // the one replayStream opened: no second round trip
  const idleMs = options.idleMs ?? 5_000;
  const deadline = Date.now() + (options.timeoutMs ?? 30 * 60_000);
  const namePrefix = `${options.consumerPrefix}_${nuid.next()}`;
  const first = await natsStep(nc, `finding the first message of ${ref.stream} in the period`, async (attempt) => {
    // A probe abandoned by a dropped connection may linger on the server for a while: the next one is another.
    const found = await firstSequenceAtOrAfter(
      js,
      ref.stream,
      attempt > 1 ? `${namePrefix}-${attempt}` : namePrefix,
      period.from,
    );
    // Called only when stream info showed a message at or after `from`: none coming back means the answer was
    // lost (a connection that died without a word), not that the period is empty.
    if (found === null)
      throw new NatsInterruptedError(`no message came back from ${ref.stream}, whose info shows some`);
    return found;
  });
  // When every message stored at or after `from` was deleted (the stream's last ones: its info still shows their
  // time), nats-server 2.9 and 2.10 start a consumer by time at an earlier message: the period holds none.
  if (first.ts < period.from) return;
  const firstSeq = first.seq;
  // The library's ordered consumer cannot recreate itself after a reconnect when it was started by time
  // (it keeps opt_start_time beside a start sequence, which the server refuses): start it by sequence.
  const consumer = await natsStep(nc, `creating the ordered consumer on ${ref.stream}`, () =>
    js.consumers.get(ref.stream, {
      name_prefix: namePrefix,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: firstSeq,
    }),
  );
  const { onProgress } = options;
  const progress = onProgress
    ? await natsStep(nc, `sizing ${ref.stream} for the progress report`, () =>
        progressReporter(js, jsm, source, ref.stream, namePrefix, period, firstSeq, onProgress),
      )
    : null;
  // Short-lived pulls and heartbeats: after a reconnect the library recreates the consumer but resumes pulling
  // only when heartbeats are missed, so these bound the pause to about two seconds.
  const messages = await consumer.consume({ max_messages: batch, expires: 5_000, idle_heartbeat: 1_000 });
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
      const { seq, ts, pending } = delivery(m);
      if (ts >= period.to) break;
      if (tracker.accept(seq, ts)) {
        // Awaiting a plain return costs a microtask per message: only wait for sinks that are asynchronous.
        const wait = sink(toRaw(m, ref, seq, ts));
        if (wait) await wait;
        if (progress && tracker.messages % PROGRESS_EVERY === 0) progress(tracker.messages);
      }
      if (pending === 0) break;
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

/**
 * Reports a stream's progress against the sequences from the period's first message to the first one stored at or
 * after its end (or the stream's last): an upper bound that holds whether the period is yesterday or long ago.
 */
async function progressReporter(
  js: JetStreamClient,
  jsm: JetStreamManager,
  source: string,
  stream: string,
  namePrefix: string,
  period: Period,
  firstSeq: number,
  onProgress: (progress: StreamProgress) => void,
): Promise<(read: number) => void> {
  const afterEnd = await firstSequenceAtOrAfter(js, stream, `${namePrefix}-end`, period.to);
  const end =
    afterEnd !== null && afterEnd.ts >= period.to ? afterEnd.seq : (await jsm.streams.info(stream)).state.last_seq + 1;
  const total = Math.max(0, end - firstSeq);
  onProgress({ source, stream, read: 0, total, done: false });
  return (read) => onProgress({ source, stream, read, total: Math.max(total, read), done: false });
}

/** Bytes a pull may ask for, about: fewer, larger pulls cost the server less per message than many small ones. */
const PULL_BYTES = 4 * 1024 * 1024;
const PULL_MESSAGES = { min: 64, max: 2048 };

/**
 * How many messages each pull asks for, from the stream's average message size, so that a pull's worth stays near
 * PULL_BYTES in memory whatever the messages are: 2048 of the ~1 KiB audit events, 64 of 100 KiB ones.
 */
export function pullBatch(state: { messages: number; bytes: number }): number {
  const average = state.messages > 0 ? state.bytes / state.messages : 1;
  return Math.max(PULL_MESSAGES.min, Math.min(PULL_MESSAGES.max, Math.floor(PULL_BYTES / Math.max(1, average))));
}

/**
 * The first message stored at or after `from` as the server finds it (its sequence and stored time; the server may
 * answer with an earlier one, see consumeWindow); null if none came.
 */
export async function firstSequenceAtOrAfter(
  js: JetStreamClient,
  stream: string,
  namePrefix: string,
  from: Nanos,
): Promise<{ seq: number; ts: Nanos } | null> {
  const probe = await js.consumers.get(stream, {
    name_prefix: `${namePrefix}-start`,
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: formatInstant(from),
  });
  try {
    const first = await probe.next({ expires: 2_000 });
    if (!first) return null;
    const { seq, ts } = delivery(first);
    return { seq, ts };
  } finally {
    // Not awaited: the replay need not wait a round trip for it, and the server drops an idle ordered consumer
    // by itself should the request be lost.
    void probe.delete().catch(() => undefined);
  }
}

/** What the delivery subject says of a message: its stream sequence, stored time, and how many follow it. */
export interface Delivery {
  seq: number;
  ts: Nanos;
  pending: number;
}

/**
 * Reads the delivery subject once, straight off its tokens: the library's info parse splits the whole subject into
 * an array for every message, and its timestampNanos is a JS number, too coarse for nanoseconds. Subjects are
 * `$JS.ACK.<stream>.<consumer>.<dc>.<sseq>.<dseq>.<ts>.<pending>` (9 tokens, old servers) or
 * `$JS.ACK.<domain>.<hash>.<stream>.<consumer>.<dc>.<sseq>.<dseq>.<ts>.<pending>[.<rnd>]`.
 */
const DIGITS = /^\d{1,19}$/;

export function deliveryOf(reply: string): Delivery {
  const dots: number[] = [];
  for (let i = reply.indexOf('.'); i >= 0 && dots.length < 12; i = reply.indexOf('.', i + 1)) dots.push(i);
  if (!reply.startsWith('$JS.ACK.') || dots.length < 8)
    throw new Error(`not a JetStream delivery subject: ${reply.slice(0, 200)}`);
  const at = dots.length === 8 ? 6 : 8;
  const token = (k: number) => reply.slice(dots[k]! + 1, dots[k + 1] ?? reply.length);
  const ts = token(at);
  if (!DIGITS.test(ts)) throw new Error(`no stored time in the delivery subject ${reply.slice(0, 200)}`);
  const seq = token(at - 2);
  const pending = token(at + 1);
  if (!DIGITS.test(seq) || !DIGITS.test(pending))
    throw new Error(`no sequence or pending count in the delivery subject ${reply.slice(0, 200)}`);
  return { seq: Number(seq), ts: BigInt(ts), pending: Number(pending) };
}

export function storedNanos(reply: string): Nanos {
  return deliveryOf(reply).ts;
}

/** `reply` is not in the library's public JsMsg type: fall back to its own parse if a release drops it. */
function delivery(m: JsMsg): Delivery {
  const reply = (m as { reply?: unknown }).reply;
  return typeof reply === 'string' ? deliveryOf(reply) : { seq: m.seq, ts: m.timestampNanos, pending: m.info.pending };
}

function toRaw(m: JsMsg, ref: StreamConfig, seq: number, ts: Nanos): RawMessage {
  const headers = m.headers;
  return {
    stream: ref.stream,
    kind: ref.kind,
    account: ref.account,
    seq,
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
  nc: NatsConnection,
  jsm: JetStreamManager,
  source: string,
  stream: string,
  period: Period,
  tracker: SequenceTracker,
): Promise<void> {
  const info = await streamInfo(nc, jsm, stream, source);
  const { state } = info;
  const lastTs = stateTime(state.last_ts);
  const lastInPeriod = lastTs !== null && lastTs >= period.from && lastTs < period.to;
  const leadingUnknown = tracker.firstSeq !== null && tracker.firstSeq > state.first_seq;
  const trailing = lastInPeriod && state.last_seq > (tracker.lastSeq ?? 0);
  if (!leadingUnknown && !trailing) return;
  if ((state.num_deleted ?? 0) === 0 && !trailing) return;
  const detailed = await streamInfo(nc, jsm, stream, source, true);
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
