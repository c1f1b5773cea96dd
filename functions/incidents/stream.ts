/**
 * The incident record on NATS: an append-only JetStream stream in the reading account. This adapter only
 * stores and reads events; what they mean is model.ts's business.
 */
import {
  DeliverPolicy,
  JetStreamApiCodes,
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  type StoredMsg,
} from '@nats-io/jetstream';
import { nuid, type NatsConnection } from '@nats-io/transport-node';
import {
  IncidentAlreadyResolvedError,
  IncidentNotFoundError,
  IncidentStreamMissingError,
  InputError,
  NatsUnavailableError,
  RunError,
  errorMessage,
} from '../errors.js';
import { isJetStreamApiError } from '../source/api-error.js';
import { natsStep, openJetStream } from '../source/nats-steps.js';
import { formatInstant, nanosFromMillis, parseInstant } from '../time/nanos.js';
import { firstIssueText } from '../text/zod-issue.js';
import {
  TAMPER_RESISTANT,
  type CaptureStreamSpec,
  type ExistingStreamConfig,
  type StreamPlan,
} from '../source/stream-spec.js';
import {
  describeRecordStreamPlan,
  ensureRecordStream,
  planRecordStream,
  type RecordStreamResult,
} from '../source/record-stream.js';
import { decodeIncidentMessage, eventSubject, isAnomaly } from './codec.js';
import {
  decodeNotice,
  deriveNotices,
  isNoticeSubject,
  type IncidentLink,
  type NoticeState,
  type StoredNotice,
} from './notifications.js';
import {
  DEFAULT_INCIDENT_PREFIX,
  deriveIncidents,
  incidentEventSchema,
  isIncidentId,
  openedEvent,
  type AcknowledgedEvent,
  type Actor,
  type Detection,
  type DerivedIncidents,
  type IncidentAnomaly,
  type IncidentEventType,
  type IncidentState,
  type ResolvedEvent,
  type StoredIncidentEvent,
} from './model.js';

export const DEFAULT_INCIDENT_STREAM = 'INCIDENTS';
export { DEFAULT_INCIDENT_PREFIX };
export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;

export interface IncidentStreamOptions {
  stream?: string;
  /** Subjects are `<prefix>.<id>.<opened|acknowledged|resolved>`. */
  subjectPrefix?: string;
  duplicateWindowMs?: number;
  replicas?: number;
  /** Names the reader's ordered consumers, so the report recognises its own reads in the advisories. */
  consumerPrefix?: string;
}

export interface IncidentStreamSpec extends CaptureStreamSpec {
  /** Nanoseconds in which a second publish with the same Nats-Msg-Id is dropped by the server. */
  duplicate_window: number;
}

const STREAM_NAME = /^[A-Za-z0-9_-]+$/;
const SUBJECT_PREFIX = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;
const MS_NS = 1_000_000;

export function incidentStreamSpec(options: IncidentStreamOptions = {}): IncidentStreamSpec {
  const name = options.stream ?? DEFAULT_INCIDENT_STREAM;
  const prefix = options.subjectPrefix ?? DEFAULT_INCIDENT_PREFIX;
  if (!STREAM_NAME.test(name)) throw new InputError(`incident stream name "${name}" must be letters, digits, - or _`);
  if (!SUBJECT_PREFIX.test(prefix))
    throw new InputError(`incident subject prefix "${prefix}" must be dot-separated tokens without wildcards`);
  return {
    name,
    subjects: [`${prefix}.>`],
    ...TAMPER_RESISTANT,
    // The record of how incidents were handled is evidence: it never expires.
    max_age: 0,
    min_age: 0,
    num_replicas: options.replicas ?? 1,
    no_ack: false,
    duplicate_window: (options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS) * MS_NS,
  };
}

/** planStream's tamper checks, plus the one it leaves to retention settings: any max_age loses incidents. */
export function planIncidentStream(spec: IncidentStreamSpec, existing: ExistingStreamConfig | null): StreamPlan {
  return planRecordStream(spec, existing, 'incidents would expire from the record');
}

export type EnsureResult = RecordStreamResult;

/** Creates the incident stream when it is missing; an existing one is never changed, only judged. */
export async function ensureIncidentStream(
  jsm: JetStreamManager,
  options: IncidentStreamOptions & { dryRun?: boolean } = {},
): Promise<EnsureResult> {
  return ensureRecordStream(jsm, 'incident stream', incidentStreamSpec(options), planIncidentStream, options.dryRun);
}

export function describeIncidentStreamPlan(result: EnsureResult): string {
  return describeRecordStreamPlan('incident stream', result);
}

/** The incident stream of one connection. */
export interface IncidentLog {
  /** The connection itself: its steps wait out outages (source/nats-steps.ts). */
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  prefix: string;
  consumerPrefix: string;
}

export async function incidentLog(nc: NatsConnection, options: IncidentStreamOptions = {}): Promise<IncidentLog> {
  const spec = incidentStreamSpec(options);
  return {
    nc,
    js: jetstream(nc),
    jsm: await openJetStream(nc),
    stream: spec.name,
    prefix: options.subjectPrefix ?? DEFAULT_INCIDENT_PREFIX,
    consumerPrefix: options.consumerPrefix ?? 'sox-report',
  };
}

async function lastOn(log: IncidentLog, id: string, type: IncidentEventType): Promise<StoredMsg | null> {
  try {
    return await natsStep(log.nc, `looking up the ${type} event of incident ${id} in ${log.stream}`, () =>
      log.jsm.streams.getMessage(log.stream, { last_by_subj: eventSubject(log.prefix, id, type) }),
    );
  } catch (err) {
    if (err instanceof NatsUnavailableError) throw err;
    if (isJetStreamApiError(err, JetStreamApiCodes.StreamNotFound)) {
      throw new IncidentStreamMissingError(
        `incident stream ${log.stream} does not exist: no incident has been recorded`,
      );
    }
    throw new RunError(`cannot read incident stream ${log.stream}: ${errorMessage(err)}`, { cause: err });
  }
}

/** The server's stored time in the product's one RFC 3339 form (nine fractional digits, UTC). */
function serverTime(message: StoredMsg | null): string {
  const ns = message ? parseInstant(message.timestamp) : null;
  return formatInstant(ns ?? nanosFromMillis(Date.now()));
}

function storedEvent(log: IncidentLog, message: StoredMsg): StoredIncidentEvent | IncidentAnomaly {
  return decodeIncidentMessage(
    { seq: message.seq, subject: message.subject, storedAt: serverTime(message), data: message.data },
    log.prefix,
  );
}

export type OpenResult = { id: string; newly: true; incident: IncidentState } | { id: string; newly: false };

/**
 * Records a detection as an incident unless that incident is already recorded. Three guards, so the same rule
 * on the same subject and day opens one incident however often and however concurrently it fires: a look at
 * the incident's opened subject, the expected-last-subject-sequence 0 the server enforces at append, and the
 * Nats-Msg-Id the server deduplicates within its window.
 */
export async function openIncident(log: IncidentLog, detection: Detection): Promise<OpenResult> {
  const event = openedEvent(detection);
  const { id } = event;
  if (await lastOn(log, id, 'opened')) return { id, newly: false };
  let seq: number;
  // An attempt that got no answer may have been stored all the same: the server then calls the next attempt a
  // duplicate (or, failing that, a wrong last sequence), and the incident is still this run's to alert.
  let unanswered = false;
  try {
    const ack = await natsStep(log.nc, `recording incident ${id} in ${log.stream}`, (attempt) => {
      unanswered = attempt > 1;
      return log.js.publish(eventSubject(log.prefix, id, 'opened'), JSON.stringify(event), {
        msgID: `${id}:opened`,
        expect: { lastSubjectSequence: 0, streamName: log.stream },
      });
    });
    if (ack.duplicate && !unanswered) return { id, newly: false };
    seq = ack.seq;
  } catch (err) {
    if (err instanceof NatsUnavailableError) throw err;
    if (!isJetStreamApiError(err, JetStreamApiCodes.StreamWrongLastSequence))
      throw new RunError(`cannot record incident ${id} in stream ${log.stream}: ${errorMessage(err)}`, { cause: err });
    const ours = unanswered ? await lastOn(log, id, 'opened') : null;
    if (!ours) return { id, newly: false };
    seq = ours.seq;
  }
  // Read it back for the server's stored time: the record, not this machine's clock, says when.
  const stored = await natsStep(log.nc, `reading back incident ${id} from ${log.stream}`, () =>
    log.jsm.streams.getMessage(log.stream, { seq }),
  ).catch(() => null);
  const incident = deriveIncidents([{ seq, storedAt: serverTime(stored), event }]).incidents.get(id)!;
  return { id, newly: true, incident };
}

function checkId(id: string): void {
  if (!isIncidentId(id))
    throw new InputError(`"${id}" is not an incident id (they look like INC-20261124-brute-force-1a2b3c4d)`);
}

async function requireOpen(log: IncidentLog, id: string): Promise<void> {
  checkId(id);
  let opened: StoredMsg | null;
  try {
    opened = await lastOn(log, id, 'opened');
  } catch (err) {
    if (err instanceof IncidentStreamMissingError)
      throw new IncidentNotFoundError(`no incident ${id}: no incident has been recorded`);
    throw err;
  }
  if (!opened) throw new IncidentNotFoundError(`no incident ${id} in stream ${log.stream}`);
  const resolved = await lastOn(log, id, 'resolved');
  if (resolved) throw new IncidentAlreadyResolvedError(alreadyResolved(log, id, resolved));
}

function alreadyResolved(log: IncidentLog, id: string, message: StoredMsg): string {
  const stored = storedEvent(log, message);
  if (isAnomaly(stored) || stored.event.type !== 'resolved')
    return `incident ${id} already has a resolution (stream ${log.stream} seq ${message.seq})`;
  const { by, at, note } = stored.event;
  const who = by.name ? `${by.name} (${by.identity})` : by.identity;
  return `incident ${id} was already resolved by ${who} at ${at}: ${JSON.stringify(note)}`;
}

async function append(
  log: IncidentLog,
  event: AcknowledgedEvent | ResolvedEvent,
  options: { once: boolean },
): Promise<StoredIncidentEvent> {
  // What cannot be read back would be an anomaly forever: refuse it before it is written.
  const checked = incidentEventSchema.safeParse(event);
  if (!checked.success) {
    throw new InputError(`cannot record ${event.type} of ${event.id}: ${firstIssueText(checked.error)}`);
  }
  const subject = eventSubject(log.prefix, event.id, event.type);
  try {
    const ack = await log.js.publish(subject, JSON.stringify(event), {
      expect: { streamName: log.stream, ...(options.once ? { lastSubjectSequence: 0 } : {}) },
      ...(options.once ? { msgID: `${event.id}:${event.type}` } : {}),
    });
    if (ack.duplicate)
      throw new IncidentAlreadyResolvedError(
        `incident ${event.id} was resolved a moment ago (duplicate of stream ${log.stream} seq ${ack.seq})`,
      );
    const stored = await log.jsm.streams.getMessage(log.stream, { seq: ack.seq }).catch(() => null);
    return { seq: ack.seq, storedAt: serverTime(stored), event };
  } catch (err) {
    if (isJetStreamApiError(err, JetStreamApiCodes.StreamWrongLastSequence)) {
      const resolved = await lastOn(log, event.id, 'resolved');
      throw new IncidentAlreadyResolvedError(
        resolved ? alreadyResolved(log, event.id, resolved) : `incident ${event.id} was resolved concurrently`,
      );
    }
    if (err instanceof InputError) throw err;
    throw new RunError(
      `cannot record ${event.type} of incident ${event.id} in stream ${log.stream}: ${errorMessage(err)}`,
    );
  }
}

function cleanNote(note: string | null): string | null {
  const trimmed = note?.trim() ?? '';
  return trimmed ? trimmed : null;
}

/** Records that someone has taken the incident up. Refused for an unknown or already resolved incident. */
export async function acknowledge(
  log: IncidentLog,
  id: string,
  by: Actor,
  note: string | null,
  now = new Date(),
): Promise<StoredIncidentEvent> {
  await requireOpen(log, id);
  return append(log, { type: 'acknowledged', id, at: now.toISOString(), by, note: cleanNote(note) }, { once: false });
}

/** Records how the incident was resolved. The note is required; an incident is resolved once. */
export async function resolve(
  log: IncidentLog,
  id: string,
  by: Actor,
  note: string,
  now = new Date(),
): Promise<StoredIncidentEvent> {
  const text = cleanNote(note);
  if (text === null) throw new InputError(`resolving ${id} needs a note saying how the incident was resolved`);
  await requireOpen(log, id);
  return append(log, { type: 'resolved', id, at: now.toISOString(), by, note: text }, { once: true });
}

/**
 * Records a resolution made in an integration (a Jira issue moved to done), with its own time, who and link.
 * Null when the incident was resolved meanwhile: the first resolution stands.
 */
export async function recordOutsideResolution(
  log: IncidentLog,
  event: Omit<ResolvedEvent, 'type'>,
): Promise<StoredIncidentEvent | null> {
  try {
    return await append(log, { type: 'resolved', ...event }, { once: true });
  } catch (err) {
    if (err instanceof IncidentAlreadyResolvedError) return null;
    throw err;
  }
}

/** The incidents and the outbound queue of notifications, both folded from the one record. */
export interface IncidentRecord extends DerivedIncidents {
  notices: NoticeState[];
  /** Where incidents live in the integrations (Jira issues). */
  links: IncidentLink[];
}

/**
 * Every incident as its events say, or null when the stream does not exist (nothing recorded yet). Sequence
 * gaps, unreadable and misfiled messages come back as anomalies: in an append-only record each is a finding.
 */
export async function readIncidents(log: IncidentLog): Promise<IncidentRecord | null> {
  let state: { first_seq: number; last_seq: number; messages: number };
  try {
    state = (await log.jsm.streams.info(log.stream)).state;
  } catch (err) {
    if (isJetStreamApiError(err, JetStreamApiCodes.StreamNotFound)) return null;
    throw new RunError(`cannot read incident stream ${log.stream}: ${errorMessage(err)}`, { cause: err });
  }
  const events: StoredIncidentEvent[] = [];
  const notices: StoredNotice[] = [];
  const anomalies: IncidentAnomaly[] = [];
  const gap = (from: number, to: number) =>
    anomalies.push({
      seq: from,
      id: null,
      kind: 'gap',
      detail: `messages ${from === to ? from : `${from}-${to}`} of the incident record are missing`,
    });
  let next = 1;
  if (state.messages > 0) {
    const consumer = await log.js.consumers.get(log.stream, {
      name_prefix: `${log.consumerPrefix}_incidents_${nuid.next()}`,
      deliver_policy: DeliverPolicy.All,
    });
    try {
      reading: for (;;) {
        let received = 0;
        for await (const m of await consumer.fetch({ max_messages: 256, expires: 2_000 })) {
          received++;
          if (m.seq > next) gap(next, m.seq - 1);
          next = m.seq + 1;
          const raw = { seq: m.seq, subject: m.subject, storedAt: formatInstant(m.timestampNanos), data: m.data };
          if (isNoticeSubject(log.prefix, m.subject)) {
            const notice = decodeNotice(raw, log.prefix);
            if ('kind' in notice) anomalies.push(notice);
            else notices.push(notice);
          } else {
            const decoded = decodeIncidentMessage(raw, log.prefix);
            if (isAnomaly(decoded)) anomalies.push(decoded);
            else events.push(decoded);
          }
          if (m.seq >= state.last_seq) break reading;
        }
        // Nothing more arrives though the stream said there was: the rest is gone, reported as a gap below.
        if (received === 0) break;
      }
    } catch (err) {
      throw new RunError(`cannot read incident stream ${log.stream}: ${errorMessage(err)}`, { cause: err });
    }
  }
  if (next <= state.last_seq) gap(next, state.last_seq);
  const derived = deriveIncidents(events);
  const queue = deriveNotices(notices, derived.incidents);
  return {
    incidents: derived.incidents,
    anomalies: [...anomalies, ...derived.anomalies, ...queue.anomalies].sort((a, b) => a.seq - b.seq),
    notices: queue.notices,
    links: queue.links,
  };
}
