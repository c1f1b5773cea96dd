import type { Detection, Severity } from '../../incidents/model.js';
import type { JsOperation } from '../../events/types.js';
import type { JetStreamChange, ReportV1 } from '../report-model.js';
import { actorOf, detection, groupBy, shownName, shownTime, someOf } from './common.js';

export interface RemovalRule {
  rule: string;
  severity: Severity;
  operation: JsOperation;
  /** What the incident is about: the stream, or "STREAM/CONSUMER". */
  subjectOf(change: JetStreamChange): string;
  /** "2 messages deleted from TRANSACTIONS" */
  headline(subject: string, changes: JetStreamChange[]): string;
  /** Leaves out removals that are nobody's act. */
  include?(change: JetStreamChange): boolean;
}

/**
 * Removals that took effect (a refused attempt removed nothing: against an audit stream it is an
 * audit-stream-attempt, elsewhere the report lists it), one detection per subject a day.
 */
export function removals(report: ReportV1, spec: RemovalRule): Detection[] {
  const done = report.jetstreamChanges.filter((c) => c.operation === spec.operation && c.success && (spec.include?.(c) ?? true));
  const detections: Detection[] = [];
  for (const [subject, changes] of groupBy(done, spec.subjectOf)) {
    const who = [...new Set(changes.map(actorOf))].map((a) => shownName(a));
    const listed = changes.map((c) => `${c.detail ? `${shownName(c.detail)} at ` : ''}${shownTime(report, c.time)}`);
    const when = changes.length === 1 && !changes[0]!.detail ? ` at ${listed[0]}` : `: ${someOf(listed)}`;
    detections.push(
      detection(report, {
        rule: spec.rule,
        severity: spec.severity,
        subject,
        summary: `${spec.headline(shownName(subject), changes)} by ${someOf(who)}${when}`,
        at: changes[0]!.time,
        evidence: changes.flatMap((c) => c.evidence),
      }),
    );
  }
  return detections;
}

