/**
 * The incident record as data: what a detection rule produces, the events an incident goes through and the
 * state derived from them. Pure: no clock, no network; the stream adapter (stream.ts) stores and reads events.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { firstIssueText } from '../text/zod-issue.js';
import { millisFromNanos, parseInstant } from '../time/nanos.js';

/** Where the incident record's events are published: `<prefix>.<id>` (the reporting user appends to it). */
export const DEFAULT_INCIDENT_PREFIX = 'sox.incidents';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface EvidenceRef {
  stream: string;
  seq: number;
}

/** What a detection rule produces. */
export interface Detection {
  rule: string;
  severity: Severity;
  /** What it is about: a user, a host, a stream. */
  subject: string;
  summary: string;
  /** YYYY-MM-DD in the report's time zone. */
  day: string;
  /** RFC 3339, the first evidence. */
  at: string;
  evidence: EvidenceRef[];
}

/** Who acted: the NATS identity of the connection, and the person's name as given with --by. */
export interface Actor {
  identity: string;
  name: string | null;
}

/** An opened event keeps this many evidence references; a rule that fires on thousands keeps the first ones. */
export const MAX_EVIDENCE = 100;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isCalendarDay(day: string): boolean {
  const m = DAY.exec(day);
  if (!m) return false;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return date.toISOString().slice(0, 10) === day;
}

const instant = z.string().refine((s) => parseInstant(s) !== null, 'must be an RFC 3339 instant');
const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);
const actorSchema = z.object({ identity: text(500), name: text(200).nullable() });

const openedSchema = z.object({
  type: z.literal('opened'),
  id: z.string(),
  rule: text(200),
  severity: z.enum(SEVERITIES),
  subject: text(1000),
  summary: text(4000),
  day: z.string().refine(isCalendarDay, 'must be a calendar day YYYY-MM-DD'),
  at: instant,
  evidence: z.array(z.object({ stream: text(256), seq: z.number().int().positive() })).max(MAX_EVIDENCE),
  /** How many evidence references the detection had, when more than were kept. */
  evidenceTotal: z.number().int().nonnegative().optional(),
});

const acknowledgedSchema = z.object({
  type: z.literal('acknowledged'),
  id: z.string(),
  at: instant,
  by: actorSchema,
  note: text(4000).nullable(),
});

const resolvedSchema = z.object({
  type: z.literal('resolved'),
  id: z.string(),
  at: instant,
  by: actorSchema,
  // How it was resolved is the point of the record: never empty.
  note: text(4000),
  /** Where it was resolved, when that was in an integration (the Jira issue's page). */
  link: z.string().url().max(2000).optional(),
});

export const incidentEventSchema = z.discriminatedUnion('type', [openedSchema, acknowledgedSchema, resolvedSchema]);

export type IncidentEvent = z.output<typeof incidentEventSchema>;
export type OpenedEvent = Extract<IncidentEvent, { type: 'opened' }>;
export type AcknowledgedEvent = Extract<IncidentEvent, { type: 'acknowledged' }>;
export type ResolvedEvent = Extract<IncidentEvent, { type: 'resolved' }>;
export type IncidentEventType = IncidentEvent['type'];

/** An event as the stream holds it: its sequence and the time the server stored it. */
export interface StoredIncidentEvent {
  seq: number;
  /** RFC 3339, the server's clock (the author's clock is the event's `at`). */
  storedAt: string;
  event: IncidentEvent;
}

export interface IncidentAction {
  at: string;
  storedAt: string;
  seq: number;
  by: Actor;
  note: string | null;
}

export type IncidentStatus = 'open' | 'acknowledged' | 'resolved';

export interface IncidentState {
  id: string;
  rule: string;
  severity: Severity;
  subject: string;
  summary: string;
  day: string;
  openedAt: string;
  evidence: EvidenceRef[];
  status: IncidentStatus;
  /** The first acknowledgement; later ones are in the history. */
  acknowledged: IncidentAction | null;
  resolved: (IncidentAction & { note: string; link?: string }) | null;
  /** The events that made this state, in stream order. */
  history: StoredIncidentEvent[];
}

export type AnomalyKind = 'unknown-incident' | 'after-resolved' | 'unreadable' | 'subject-mismatch' | 'gap';

/** Something in the record that does not fit the rules: never applied, never dropped silently. */
export interface IncidentAnomaly {
  seq: number;
  id: string | null;
  kind: AnomalyKind;
  detail: string;
}

export interface DerivedIncidents {
  incidents: Map<string, IncidentState>;
  anomalies: IncidentAnomaly[];
}

export const INCIDENT_ID = /^INC-\d{8}-[a-z0-9]+(?:-[a-z0-9]+)*-[0-9a-f]{8}$/;

export function isIncidentId(id: string): boolean {
  return INCIDENT_ID.test(id);
}

/** A rule name as it appears in ids and NATS subjects: lower-case letters, digits and single dashes. */
export function ruleSlug(rule: string): string {
  const slug = rule
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return slug || 'rule';
}

/** The same rule on the same subject on the same day is one incident, so the id is made from exactly those. */
export function incidentId(rule: string, subject: string, day: string): string {
  if (!isCalendarDay(day)) throw new Error(`incident day must be a calendar day YYYY-MM-DD, not "${day}"`);
  const digest = createHash('sha256').update(subject, 'utf8').digest('hex').slice(0, 8);
  return `INC-${day.replaceAll('-', '')}-${ruleSlug(rule)}-${digest}`;
}

/** The opened event for a detection; throws when a rule produced something the record cannot hold. */
export function openedEvent(detection: Detection): OpenedEvent {
  const event = {
    type: 'opened' as const,
    id: incidentId(detection.rule, detection.subject, detection.day),
    rule: detection.rule,
    severity: detection.severity,
    subject: detection.subject,
    summary: detection.summary,
    day: detection.day,
    at: detection.at,
    evidence: detection.evidence.slice(0, MAX_EVIDENCE),
    ...(detection.evidence.length > MAX_EVIDENCE ? { evidenceTotal: detection.evidence.length } : {}),
  };
  const parsed = openedSchema.safeParse(event);
  if (!parsed.success) {
    throw new Error(`detection of rule "${detection.rule}" cannot open an incident: ${firstIssueText(parsed.error)}`);
  }
  return parsed.data;
}

function action(stored: StoredIncidentEvent, event: AcknowledgedEvent | ResolvedEvent): IncidentAction {
  return { at: event.at, storedAt: stored.storedAt, seq: stored.seq, by: event.by, note: event.note };
}

function describeAction(action: IncidentAction): string {
  const who = action.by.name ? `${action.by.name} (${action.by.identity})` : action.by.identity;
  return `${who} at ${action.at}`;
}

/** The current state of every incident, from its events in stream order. */
export function deriveIncidents(events: readonly StoredIncidentEvent[]): DerivedIncidents {
  const incidents = new Map<string, IncidentState>();
  const anomalies: IncidentAnomaly[] = [];
  for (const stored of [...events].sort((a, b) => a.seq - b.seq)) {
    const { event } = stored;
    const incident = incidents.get(event.id);
    if (event.type === 'opened') {
      // A second opened (a race past the duplicate window) changes nothing: the first one stands.
      if (incident) continue;
      incidents.set(event.id, {
        id: event.id,
        rule: event.rule,
        severity: event.severity,
        subject: event.subject,
        summary: event.summary,
        day: event.day,
        openedAt: event.at,
        evidence: event.evidence,
        status: 'open',
        acknowledged: null,
        resolved: null,
        history: [stored],
      });
      continue;
    }
    if (!incident) {
      anomalies.push({
        seq: stored.seq,
        id: event.id,
        kind: 'unknown-incident',
        detail: `${event.type} of ${event.id}, which was never opened`,
      });
      continue;
    }
    if (incident.resolved) {
      anomalies.push({
        seq: stored.seq,
        id: event.id,
        kind: 'after-resolved',
        detail: `${event.type} of ${event.id} after it was resolved by ${describeAction(incident.resolved)}`,
      });
      continue;
    }
    incident.history.push(stored);
    if (event.type === 'acknowledged') {
      incident.acknowledged ??= action(stored, event);
      incident.status = 'acknowledged';
    } else {
      incident.resolved = {
        ...action(stored, event),
        note: event.note,
        ...(event.link === undefined ? {} : { link: event.link }),
      };
      incident.status = 'resolved';
    }
  }
  return { incidents, anomalies };
}

const DAY_MS = 86_400_000;

/** Whole days an incident has been (or was, until resolved) open, counted from its first evidence. */
export function ageDays(state: IncidentState, now: Date): number {
  const opened = parseInstant(state.openedAt);
  const resolved = state.resolved ? parseInstant(state.resolved.at) : null;
  if (opened === null) return 0;
  const end = resolved === null ? now.getTime() : millisFromNanos(resolved);
  return Math.max(0, Math.floor((end - millisFromNanos(opened)) / DAY_MS));
}
