/**
 * The outbound queue of the incident record, as data: every change of an incident (opened, its first
 * acknowledgement, resolved) is queued once per configured integration, each failed try is recorded, and a delivery
 * is recorded once. All of it is appended to the incident stream itself, so the queue's state is a fold of the
 * record, like the incidents' own. Pure: the clock comes in as an argument; notify.ts sends and appends.
 */
import { z } from 'zod';
import { firstIssueText } from '../text/zod-issue.js';
import { millisFromNanos, parseInstant } from '../time/nanos.js';
import type { IncidentAnomaly, IncidentState } from './model.js';

export const CHANGES = ['opened', 'acknowledged', 'resolved'] as const;
export type IncidentChange = (typeof CHANGES)[number];
export const NOTICE_TYPES = ['notification', 'attempt', 'delivered', 'link'] as const;
export type NoticeType = (typeof NOTICE_TYPES)[number];

const instant = z.string().refine((s) => parseInstant(s) !== null, 'must be an RFC 3339 instant');
const integration = z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/);
const base = { id: z.string(), integration, change: z.enum(CHANGES), at: instant };

export const noticeEventSchema = z.discriminatedUnion('type', [
  /** Queued: the change must reach the integration. `changeSeq` is the incident event it announces. */
  z.strictObject({ type: z.literal('notification'), ...base, changeSeq: z.number().int().positive() }),
  /** A try that failed, with why (an HTTP status or a connection error: never a secret). */
  z.strictObject({ type: z.literal('attempt'), ...base, error: z.string().min(1).max(500) }),
  /** The integration accepted it; `status` is its HTTP status. */
  z.strictObject({ type: z.literal('delivered'), ...base, status: z.number().int() }),
  /**
   * Where the incident lives in the tool (a Jira issue), made when its opened change was delivered: later changes
   * go to it. `change` is always `opened`, so the subject names the change that made it.
   */
  z.strictObject({
    type: z.literal('link'),
    ...base,
    change: z.literal('opened'),
    key: z.string().min(1).max(255),
    url: z.string().url().max(2000),
  }),
]);
export type NoticeEvent = z.output<typeof noticeEventSchema>;

export interface StoredNotice {
  seq: number;
  storedAt: string;
  event: NoticeEvent;
}

/** `<prefix>.<incident id>.<type>.<integration>.<change>`: one subject per notification and what became of it. */
export function noticeSubject(prefix: string, event: Pick<NoticeEvent, 'id' | 'type' | 'integration' | 'change'>) {
  return `${prefix}.${event.id}.${event.type}.${event.integration}.${event.change}`;
}

/** Whether a subject of the record is the queue's rather than an incident event's. */
export function isNoticeSubject(prefix: string, subject: string): boolean {
  if (!subject.startsWith(`${prefix}.`)) return false;
  const tokens = subject.slice(prefix.length + 1).split('.');
  return tokens.length === 4 && (NOTICE_TYPES as readonly string[]).includes(tokens[1]!);
}

export function decodeNotice(
  message: { seq: number; subject: string; storedAt: string; data: Uint8Array },
  prefix: string,
): StoredNotice | IncidentAnomaly {
  let parsed: ReturnType<typeof noticeEventSchema.safeParse>;
  try {
    parsed = noticeEventSchema.safeParse(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(message.data)));
  } catch {
    return {
      seq: message.seq,
      id: null,
      kind: 'unreadable',
      detail: `message on ${message.subject} is not UTF-8 JSON`,
    };
  }
  if (!parsed.success) {
    const detail = `message on ${message.subject} is not a notification record: ${firstIssueText(parsed.error)}`;
    return { seq: message.seq, id: null, kind: 'unreadable', detail };
  }
  const expected = noticeSubject(prefix, parsed.data);
  if (expected !== message.subject) {
    const detail = `${parsed.data.type} of ${parsed.data.id} stored on ${message.subject}, not ${expected}`;
    return { seq: message.seq, id: parsed.data.id, kind: 'subject-mismatch', detail };
  }
  return { seq: message.seq, storedAt: message.storedAt, event: parsed.data };
}

/** One queued notification as the record says it stands. */
export interface NoticeState {
  id: string;
  integration: string;
  change: IncidentChange;
  changeSeq: number;
  /** When it was queued (the author's clock: the run's, or the CLI's). */
  queuedAt: string;
  attempts: number;
  lastAttemptAt: string | null;
  lastError: string | null;
  delivered: { at: string; status: number } | null;
}

const key = (e: { id: string; integration: string; change: string }) => `${e.id} ${e.integration} ${e.change}`;

/** Where an incident lives in one integration (a Jira issue): the first link recorded stands. */
export interface IncidentLink {
  id: string;
  integration: string;
  key: string;
  url: string;
}

/** The queue from its records in stream order; a record about nothing queued is an anomaly, never applied. */
export function deriveNotices(
  notices: readonly StoredNotice[],
  incidents: ReadonlyMap<string, IncidentState>,
): { notices: NoticeState[]; links: IncidentLink[]; anomalies: IncidentAnomaly[] } {
  const states = new Map<string, NoticeState>();
  const links = new Map<string, IncidentLink>();
  const anomalies: IncidentAnomaly[] = [];
  for (const { seq, event } of [...notices].sort((a, b) => a.seq - b.seq)) {
    if (event.type === 'link') {
      if (!incidents.has(event.id)) {
        const detail = `link of ${event.id} in ${event.integration}, which was never opened`;
        anomalies.push({ seq, id: event.id, kind: 'unknown-incident', detail });
      } else if (!links.has(`${event.id} ${event.integration}`)) {
        const { id, integration, key: linkKey, url } = event;
        links.set(`${id} ${integration}`, { id, integration, key: linkKey, url });
      }
      continue;
    }
    const state = states.get(key(event));
    if (event.type === 'notification') {
      if (!incidents.has(event.id)) {
        const detail = `notification of ${event.id}, which was never opened`;
        anomalies.push({ seq, id: event.id, kind: 'unknown-incident', detail });
      } else if (!state) {
        states.set(key(event), {
          id: event.id,
          integration: event.integration,
          change: event.change,
          changeSeq: event.changeSeq,
          queuedAt: event.at,
          attempts: 0,
          lastAttemptAt: null,
          lastError: null,
          delivered: null,
        });
      }
      continue;
    }
    if (!state) {
      const detail = `${event.type} for ${event.integration} of the ${event.change} of ${event.id}, never queued`;
      anomalies.push({ seq, id: event.id, kind: 'unknown-incident', detail });
      continue;
    }
    if (state.delivered) continue;
    if (event.type === 'attempt') {
      state.attempts++;
      state.lastAttemptAt = event.at;
      state.lastError = event.error;
    } else {
      state.delivered = { at: event.at, status: event.status };
    }
  }
  return { notices: [...states.values()], links: [...links.values()], anomalies };
}

/** The changes an incident has gone through so far, with the sequence of the event that made each. */
export function changesOf(incident: IncidentState): { change: IncidentChange; seq: number }[] {
  const changes: { change: IncidentChange; seq: number }[] = [];
  for (const stored of incident.history) {
    const type = stored.event.type;
    // The first acknowledgement is the change; later ones are notes in the record.
    if (changes.some((c) => c.change === type)) continue;
    changes.push({ change: type, seq: stored.seq });
  }
  return changes;
}

export interface QueueEntry {
  id: string;
  integration: string;
  change: IncidentChange;
  changeSeq: number;
}

/**
 * What must be queued: every change of every incident still open, for every integration, and the later changes of
 * an incident an integration has already heard of. So an integration added later hears of every open incident,
 * and is never flooded with incidents resolved before it was there.
 */
export function noticesToQueue(
  incidents: Iterable<IncidentState>,
  notices: readonly NoticeState[],
  integrations: readonly string[],
  only?: string,
): QueueEntry[] {
  const queued = new Set(notices.map(key));
  const heardOf = new Set(notices.map((n) => `${n.id} ${n.integration}`));
  const entries: QueueEntry[] = [];
  for (const incident of incidents) {
    if (only !== undefined && incident.id !== only) continue;
    for (const integration of integrations) {
      if (incident.status === 'resolved' && !heardOf.has(`${incident.id} ${integration}`)) continue;
      for (const { change, seq } of changesOf(incident)) {
        const entry = { id: incident.id, integration, change, changeSeq: seq };
        if (!queued.has(key(entry))) entries.push(entry);
      }
    }
  }
  return entries;
}

const MINUTE_MS = 60_000;
/** After a failed try the next waits 5 minutes, doubling with each failure up to 6 hours. */
export function retryDelayMs(attempts: number): number {
  if (attempts <= 0) return 0;
  return Math.min(5 * MINUTE_MS * 2 ** (attempts - 1), 360 * MINUTE_MS);
}

function millis(iso: string): number {
  const ns = parseInstant(iso);
  return ns === null ? 0 : millisFromNanos(ns);
}

/** When the next try is due; null once delivered. */
export function nextAttemptAt(notice: NoticeState): string | null {
  if (notice.delivered) return null;
  if (notice.lastAttemptAt === null) return notice.queuedAt;
  return new Date(millis(notice.lastAttemptAt) + retryDelayMs(notice.attempts)).toISOString();
}

const ORDER: Record<IncidentChange, number> = { opened: 0, acknowledged: 1, resolved: 2 };

/**
 * What to send now, in order: undelivered, for a configured integration and past its backoff. A change whose
 * earlier change of the same incident to the same integration is still waiting out its backoff waits too (a tool
 * hears of an issue before its end); when both are due they go in order, and the sender stops a pair at a failure.
 */
export function dueNotices(notices: readonly NoticeState[], integrations: readonly string[], now: Date): NoticeState[] {
  const undelivered = notices.filter((n) => !n.delivered && integrations.includes(n.integration));
  const isDue = (n: NoticeState) => millis(nextAttemptAt(n)!) <= now.getTime();
  const waitsFor = (n: NoticeState, o: NoticeState) =>
    o.id === n.id && o.integration === n.integration && ORDER[o.change] < ORDER[n.change] && !isDue(o);
  return undelivered
    .filter((n) => isDue(n) && !undelivered.some((o) => waitsFor(n, o)))
    .sort(
      (a, b) =>
        a.id.localeCompare(b.id) || a.integration.localeCompare(b.integration) || ORDER[a.change] - ORDER[b.change],
    );
}

/** A notification not yet delivered, as report.json records it (inputs.notifications) and shows it. */
export interface UndeliveredNotice {
  incident: string;
  integration: string;
  change: IncidentChange;
  queuedAt: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string;
  /** Whole seconds from queuedAt to the run's clock. */
  ageSeconds: number;
}

/** The undelivered notifications of the configured integrations, oldest first. */
export function undeliveredNotices(
  notices: readonly NoticeState[],
  integrations: readonly string[],
  now: Date,
): UndeliveredNotice[] {
  return notices
    .filter((n) => !n.delivered && integrations.includes(n.integration))
    .map((n) => ({
      incident: n.id,
      integration: n.integration,
      change: n.change,
      queuedAt: n.queuedAt,
      attempts: n.attempts,
      lastError: n.lastError,
      nextAttemptAt: nextAttemptAt(n)!,
      ageSeconds: Math.max(0, Math.floor((now.getTime() - millis(n.queuedAt)) / 1000)),
    }))
    .sort((a, b) => b.ageSeconds - a.ageSeconds || a.incident.localeCompare(b.incident));
}
