import type { Detection } from '../../incidents/model.js';
import type { JsOperation } from '../../events/types.js';
import type { JetStreamChange, ReportV1 } from '../report-model.js';
import { actorOf, detection, groupBy, plural, shownName, shownTime, someOf, targetStream } from './common.js';
import type { DetectionContext } from './context.js';

export const AUDIT_STREAM_ATTEMPT = 'audit-stream-attempt';

/**
 * What the product itself does to the audit streams: provision creates them, and reading them goes through
 * consumers. The catalogue's "no tampering attempts" control leaves out the same operations.
 */
export const HARMLESS_ON_AUDIT: ReadonlySet<JsOperation> = new Set<JsOperation>([
  'stream.create',
  'consumer.create',
  'consumer.delete',
]);

/** The audit stream a change is aimed at, if any. "other" calls (snapshot, restore, …) name it as a subject token. */
function auditStreamOf(change: JetStreamChange, audit: Set<string>): string | null {
  if (change.operation === 'other') return change.target.split('.').find((token) => audit.has(token)) ?? null;
  const stream = targetStream(change.target);
  return audit.has(stream) ? stream : null;
}

/**
 * Any attempt to change, delete or purge the audit record, refused or not: refusal proves the safeguard, not the
 * intent.
 */
export function auditStreamAttempt(report: ReportV1, context: DetectionContext): Detection[] {
  const audit = new Set(context.auditStreams);
  const attempts = report.jetstreamChanges
    .filter((c) => !HARMLESS_ON_AUDIT.has(c.operation))
    .map((c) => ({ change: c, stream: auditStreamOf(c, audit) }))
    .filter((x): x is { change: JetStreamChange; stream: string } => x.stream !== null);
  const detections: Detection[] = [];
  for (const [stream, group] of groupBy(attempts, (x) => x.stream)) {
    const changes = group.map((x) => x.change);
    const listed = changes.map(
      (c) =>
        `${c.operation}${c.detail && c.success ? ` (${shownName(c.detail)})` : ''} ` +
        `${c.success ? 'ALLOWED' : 'refused'} at ${shownTime(report, c.time)} by ${shownName(actorOf(c))}`,
    );
    const allowed = changes.filter((c) => c.success).length;
    detections.push(
      detection(report, {
        rule: AUDIT_STREAM_ATTEMPT,
        severity: 'critical',
        subject: stream,
        summary:
          `${plural(changes.length, 'attempt')} against audit stream ${shownName(stream)}` +
          `${allowed ? ` (${allowed} ALLOWED)` : ', all refused'}: ${someOf(listed)}`,
        at: changes[0]!.time,
        evidence: changes.flatMap((c) => c.evidence),
      }),
    );
  }
  return detections;
}
