import type { Detection } from '../../incidents/model.js';
import type { AuthFailureEvent, ReportV1 } from '../report-model.js';
import { detection, groupBy, plural, shownName, shownTime, someOf } from './common.js';
import type { DetectionContext } from './context.js';
import { densestWindow } from './failure-window.js';

/** What differs between the per-user and the per-host rule. */
export interface BruteForceAxis {
  rule: string;
  /** The key failures are grouped by; null leaves a failure out of this rule. */
  keyOf(failure: AuthFailureEvent): string | null;
  /** "for user mallory", "from host 203.0.113.9". */
  describe(key: string): string;
  /** The other side, named in the summary: the hosts a user tried from, the users a host tried. */
  otherSide(failure: AuthFailureEvent): string | null;
  otherLabel: string;
  /** Exact per-key counts of the whole period (the ranked table), when the key is in it. */
  periodCount(report: ReportV1, key: string): number | undefined;
}

/**
 * One detection per user (or host) a day: the window of `windowMinutes` with the most failures, when it holds
 * at least `failures`. Only the failures the report lists are examined (the first report.maxListed of the day).
 */
export function bruteForce(report: ReportV1, context: DetectionContext, axis: BruteForceAxis): Detection[] {
  const { failures: threshold, windowMinutes } = context.thresholds.bruteForce;
  const groups = groupBy(
    (report.authFailureEvents ?? []).filter((f) => axis.keyOf(f) !== null),
    (f) => axis.keyOf(f)!,
  );
  const detections: Detection[] = [];
  for (const [key, failures] of groups) {
    if (failures.length < threshold) continue;
    const window = densestWindow(failures, windowMinutes);
    if (window === null || window.failures.length < threshold) continue;
    const others = [...new Set(window.failures.map(axis.otherSide).filter((x): x is string => x !== null))].map((x) =>
      shownName(x),
    );
    const total = axis.periodCount(report, key) ?? failures.length;
    detections.push(
      detection(report, {
        rule: axis.rule,
        severity: 'high',
        subject: key,
        summary:
          `${plural(window.failures.length, 'failed login')} ${axis.describe(key)} within ${windowMinutes} minutes ` +
          `(from ${shownTime(report, window.first.time)} to ${shownTime(report, window.last.time)}; ` +
          `threshold ${threshold} in ${windowMinutes} min), ` +
          `${total} in the period` +
          (others.length ? `; ${axis.otherLabel}: ${someOf(others)}` : ''),
        at: window.first.time,
        evidence: window.failures,
      }),
    );
  }
  return detections;
}
