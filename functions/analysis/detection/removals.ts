import type { JsOperation } from '../../events/types.js';
import type { Detection, Severity } from '../../incidents/model.js';
import type { JetStreamChange, ReportV1 } from '../report-model.js';
import { actorOf, detection, groupBy, plural, shownName, shownTime, someOf, targetStream } from './common.js';
import { requestedThroughApi } from './requested.js';

/** One rule about a removal that took effect: what was removed, how it is named, and how it is worded. */
export interface RemovalRule {
  id: string;
  severity: Severity;
  operation: JsOperation;
  /** What the incident is about: the stream, or "STREAM/CONSUMER". */
  subjectOf(change: JetStreamChange): string;
  /** "2 messages deleted from TRANSACTIONS" */
  headline(subject: string, changes: JetStreamChange[]): string;
  /** Leaves out removals that are nobody's act. */
  include?(change: JetStreamChange): boolean;
}

/** " 3 times" when it happened more than once. */
function repeated(changes: JetStreamChange[]): string {
  return changes.length > 1 ? ` ${plural(changes.length, 'time')}` : '';
}

/** The removal rules, in the order the documents list them. */
export const REMOVAL_RULES: readonly RemovalRule[] = [
  {
    // A whole stream deleted, with every message it held.
    id: 'stream-deleted',
    severity: 'high',
    operation: 'stream.delete',
    subjectOf: (c) => targetStream(c.target),
    headline: (stream, changes) => `stream ${stream} deleted${repeated(changes)}`,
  },
  {
    // Whatever read through the consumer (a downstream ledger, an export) stops. The report's own consumers never
    // appear here (the aggregate counts them as own reads by their name prefix), and neither does the server
    // removing an idle ephemeral consumer, which every reading application leaves behind.
    id: 'consumer-deleted',
    severity: 'low',
    operation: 'consumer.delete',
    subjectOf: (c) => c.target,
    headline: (consumer, changes) => `consumer ${consumer} deleted${repeated(changes)}`,
    include: requestedThroughApi,
  },
  {
    // Single messages deleted from a stream (JetStream's msg.delete): a record taken out of the history.
    id: 'message-deleted',
    severity: 'high',
    operation: 'msg.delete',
    subjectOf: (c) => targetStream(c.target),
    headline: (stream, changes) => `${plural(changes.length, 'message')} deleted from ${stream}`,
  },
  {
    // A stream purged, whole or by subject or sequence: many records removed at once.
    id: 'stream-purged',
    severity: 'high',
    operation: 'stream.purge',
    subjectOf: (c) => targetStream(c.target),
    headline: (stream, changes) => `stream ${stream} purged${repeated(changes)}`,
  },
];

/**
 * Removals that took effect (a refused attempt removed nothing: against an audit stream it is an
 * audit-stream-attempt, elsewhere the report lists it), one detection per subject a day.
 */
export function detectRemovals(report: ReportV1, rule: RemovalRule): Detection[] {
  const done = report.jetstreamChanges.filter(
    (c) => c.operation === rule.operation && c.success && (rule.include?.(c) ?? true),
  );
  const detections: Detection[] = [];
  for (const [subject, changes] of groupBy(done, rule.subjectOf)) {
    const who = [...new Set(changes.map(actorOf))].map((a) => shownName(a));
    const listed = changes.map((c) => `${c.detail ? `${shownName(c.detail)} at ` : ''}${shownTime(report, c.time)}`);
    const when = changes.length === 1 && !changes[0]!.detail ? ` at ${listed[0]}` : `: ${someOf(listed)}`;
    detections.push(
      detection(report, {
        rule: rule.id,
        severity: rule.severity,
        subject,
        summary: `${rule.headline(shownName(subject), changes)} by ${someOf(who)}${when}`,
        at: changes[0]!.time,
        evidence: changes.flatMap((c) => c.evidence),
      }),
    );
  }
  return detections;
}
