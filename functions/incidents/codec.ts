/**
 * How incident events travel: one subject per incident and event type, JSON bodies checked against the
 * schema when read back. Pure, so a forged or garbled message is judged the same way everywhere.
 */
import { firstIssueText } from '../text/zod-issue.js';
import {
  incidentEventSchema,
  type IncidentAnomaly,
  type IncidentEventType,
  type StoredIncidentEvent,
} from './model.js';

/** `<prefix>.<id>.<type>`: the last message on it answers "was this incident opened / resolved?". */
export function eventSubject(prefix: string, id: string, type: IncidentEventType): string {
  return `${prefix}.${id}.${type}`;
}

export interface RawIncidentMessage {
  seq: number;
  subject: string;
  storedAt: string;
  data: Uint8Array;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The event a stored message holds, or the anomaly that keeps it out of the derived state. */
export function decodeIncidentMessage(
  message: RawIncidentMessage,
  prefix: string,
): StoredIncidentEvent | IncidentAnomaly {
  const unreadable = (detail: string): IncidentAnomaly => ({ seq: message.seq, id: null, kind: 'unreadable', detail });
  let document: unknown;
  try {
    document = JSON.parse(decoder.decode(message.data));
  } catch {
    return unreadable(`message on ${message.subject} is not UTF-8 JSON`);
  }
  const parsed = incidentEventSchema.safeParse(document);
  if (!parsed.success) {
    return unreadable(`message on ${message.subject} is not an incident event: ${firstIssueText(parsed.error)}`);
  }
  const event = parsed.data;
  const expected = eventSubject(prefix, event.id, event.type);
  // A body that claims another incident or type than its subject says would slip past the per-subject checks.
  if (message.subject !== expected) {
    return {
      seq: message.seq,
      id: event.id,
      kind: 'subject-mismatch',
      detail: `${event.type} of ${event.id} stored on ${message.subject}, not ${expected}`,
    };
  }
  return { seq: message.seq, storedAt: message.storedAt, event };
}

export function isAnomaly(value: StoredIncidentEvent | IncidentAnomaly): value is IncidentAnomaly {
  return 'kind' in value;
}
