import type { Detection, Severity } from '../../incidents/model.js';
import type { UnparseableKind } from '../../events/types.js';
import type { ReportV1 } from '../report-model.js';
import { detection, groupBy, plural, shownName, someOf } from './common.js';

/**
 * Messages of one kind that could not be understood, one detection per stream a day. The report keeps no
 * stored time for them, so a detection is dated by the start of the period; the evidence says where they are.
 */
export function unparseableOfKind(
  report: ReportV1,
  rule: string,
  kind: UnparseableKind,
  severity: Severity,
  what: string,
): Detection[] {
  const events = report.unparseableEvents.filter((u) => u.kind === kind);
  const unlisted = report.unparseable - report.unparseableEvents.length;
  const detections: Detection[] = [];
  for (const [stream, group] of groupBy(events, (u) => u.stream)) {
    const listed = group.map((u) => `seq ${u.seq} (${shownName(u.subject, 60)}): ${shownName(u.reason, 160)}`);
    detections.push(
      detection(report, {
        rule,
        severity,
        subject: stream,
        summary:
          `${plural(group.length, `${what} message`)} in ${shownName(stream)}: ${someOf(listed, 3)}` +
          (unlisted > 0 ? `; ${unlisted} more not understood are not listed in the report` : ''),
        at: report.period.from,
        evidence: group,
      }),
    );
  }
  return detections;
}
