import type { Detection } from '../../incidents/model.js';
import type { ReportV1 } from '../report-model.js';
import { AUDIT_STREAM_ATTEMPT, auditStreamAttempt } from './audit-stream-attempt.js';
import { BRUTE_FORCE_HOST, bruteForceHost } from './brute-force-host.js';
import { BRUTE_FORCE_USER, bruteForceUser } from './brute-force-user.js';
import { CONSUMER_DELETED, consumerDeleted } from './consumer-deleted.js';
import type { DetectionContext, DetectionRule } from './context.js';
import { FORGED_EVENT, forgedEvent } from './forged-event.js';
import { GAP, gap } from './gap.js';
import { MALFORMED_EVENT, malformedEvent } from './malformed-event.js';
import { MESSAGE_DELETED, messageDeleted } from './message-deleted.js';
import { NEW_HOST, newHost } from './new-host.js';
import { OFF_HOURS_CHANGE, offHoursChange } from './off-hours-change.js';
import { STREAM_DELETED, streamDeleted } from './stream-deleted.js';
import { STREAM_PURGED, streamPurged } from './stream-purged.js';
import { STREAM_SETTINGS_WEAKENED, streamSettingsWeakened } from './stream-settings-weakened.js';
import { UNKNOWN_USER, unknownUser } from './unknown-user.js';

export { detectionContext, type DetectionContext, type DetectionRule } from './context.js';

/** Every detection rule, in the order the documents list them. */
export const DETECTION_RULES: readonly DetectionRule[] = [
  { id: BRUTE_FORCE_USER, detect: bruteForceUser },
  { id: BRUTE_FORCE_HOST, detect: bruteForceHost },
  { id: UNKNOWN_USER, detect: unknownUser },
  { id: NEW_HOST, detect: newHost },
  { id: OFF_HOURS_CHANGE, detect: offHoursChange },
  { id: STREAM_DELETED, detect: streamDeleted },
  { id: CONSUMER_DELETED, detect: consumerDeleted },
  { id: MESSAGE_DELETED, detect: messageDeleted },
  { id: STREAM_PURGED, detect: streamPurged },
  { id: AUDIT_STREAM_ATTEMPT, detect: auditStreamAttempt },
  { id: STREAM_SETTINGS_WEAKENED, detect: streamSettingsWeakened },
  { id: GAP, detect: gap },
  { id: MALFORMED_EVENT, detect: malformedEvent },
  { id: FORGED_EVENT, detect: forgedEvent },
];

const RULE_ORDER = new Map(DETECTION_RULES.map((r, i) => [r.id, i]));

/**
 * Runs every rule over a finished report. Pure: the same report and context give the same detections, in
 * the same order (by first evidence, then rule, then subject), so a re-run opens nothing twice.
 */
export function detect(report: ReportV1, context: DetectionContext): Detection[] {
  return DETECTION_RULES.flatMap((rule) => rule.detect(report, context)).sort(
    (a, b) => cmp(a.at, b.at) || (RULE_ORDER.get(a.rule) ?? 0) - (RULE_ORDER.get(b.rule) ?? 0) || cmp(a.subject, b.subject),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
