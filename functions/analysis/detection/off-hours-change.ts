import type { Detection } from '../../incidents/model.js';
import type { ReportV1 } from '../report-model.js';
import { describeBusinessHours, withinBusinessHours } from './business-hours.js';
import { actorOf, detection, groupBy, plural, shownName, shownTime, someOf } from './common.js';
import type { DetectionContext } from './context.js';
import { requestedThroughApi } from './requested.js';

export const OFF_HOURS_CHANGE = 'off-hours-change';

/**
 * JetStream changes, made or refused, outside business hours in the configured time zone: one detection per
 * person (or account, where the server names no user) a day. Creating a consumer only reads, and every
 * reading application creates ephemeral consumers at any hour; nor is the server removing an idle ephemeral
 * consumer anybody's change. The report's own reads never reach jetstreamChanges.
 */
export function offHoursChange(report: ReportV1, context: DetectionContext): Detection[] {
  const hours = context.thresholds.businessHours;
  const changes = report.jetstreamChanges.filter(
    (c) =>
      c.operation !== 'consumer.create' &&
      (c.operation !== 'consumer.delete' || requestedThroughApi(c)) &&
      !withinBusinessHours(c.time, hours, context.timezone),
  );
  const detections: Detection[] = [];
  for (const [actor, made] of groupBy(changes, actorOf)) {
    const listed = made.map(
      (c) => `${c.operation} ${shownName(c.target)}${c.success ? '' : ' (refused)'} at ${shownTime(report, c.time)}`,
    );
    detections.push(
      detection(report, {
        rule: OFF_HOURS_CHANGE,
        severity: 'medium',
        subject: actor,
        summary:
          `${shownName(actor)} made ${plural(made.length, 'JetStream change')} outside business hours ` +
          `(${describeBusinessHours(hours, context.timezone)}): ${someOf(listed)}`,
        at: made[0]!.time,
        evidence: made.flatMap((c) => c.evidence),
      }),
    );
  }
  return detections;
}
