import type { Detection } from '../../incidents/model.js';
import type { ReportV1 } from '../report-model.js';
import { ACCESS_CHANGE, accessChange } from './access-change.js';
import { AUDIT_STREAM_ATTEMPT, auditStreamAttempt } from './audit-stream-attempt.js';
import { BRUTE_FORCE_HOST, bruteForceHost } from './brute-force-host.js';
import { BRUTE_FORCE_USER, bruteForceUser } from './brute-force-user.js';
import type { DetectionCategory, DetectionContext, DetectionRule } from './context.js';
import { FORGED_EVENT, forgedEvent } from './forged-event.js';
import { GAP, gap } from './gap.js';
import { MALFORMED_EVENT, malformedEvent } from './malformed-event.js';
import { NEW_HOST, newHost } from './new-host.js';
import { OFF_HOURS_CHANGE, offHoursChange } from './off-hours-change.js';
import { detectRemovals, REMOVAL_RULES } from './removals.js';
import { REVOKED_USER_CONNECTED, revokedUserConnected } from './revoked-user.js';
import { STREAM_SETTINGS_WEAKENED, streamSettingsWeakened } from './stream-settings-weakened.js';
import { UNKNOWN_USER, unknownUser } from './unknown-user.js';

export { detectionContext, type DetectionCategory, type DetectionContext, type DetectionRule } from './context.js';

/** Every detection rule, in the order the documents list them. */
export const DETECTION_RULES: readonly DetectionRule[] = [
  { id: BRUTE_FORCE_USER, category: 'login', detect: bruteForceUser },
  { id: BRUTE_FORCE_HOST, category: 'login', detect: bruteForceHost },
  { id: UNKNOWN_USER, category: 'login', detect: unknownUser },
  { id: NEW_HOST, category: 'login', detect: newHost },
  { id: REVOKED_USER_CONNECTED, category: 'login', detect: revokedUserConnected },
  { id: OFF_HOURS_CHANGE, category: 'change', detect: offHoursChange },
  { id: ACCESS_CHANGE, category: 'change', detect: accessChange },
  ...REMOVAL_RULES.map(
    (rule): DetectionRule => ({ id: rule.id, category: 'removal', detect: (report) => detectRemovals(report, rule) }),
  ),
  { id: AUDIT_STREAM_ATTEMPT, category: 'integrity', detect: auditStreamAttempt },
  { id: STREAM_SETTINGS_WEAKENED, category: 'integrity', detect: streamSettingsWeakened },
  { id: GAP, category: 'integrity', detect: gap },
  { id: MALFORMED_EVENT, category: 'integrity', detect: malformedEvent },
  { id: FORGED_EVENT, category: 'integrity', detect: forgedEvent },
];

const RULE_ORDER = new Map(DETECTION_RULES.map((r, i) => [r.id, i]));
const RULE_CATEGORY = new Map(DETECTION_RULES.map((r) => [r.id, r.category]));

/** The category of a rule by its id; undefined for a rule this version does not have (an older incident's). */
export function ruleCategory(rule: string): DetectionCategory | undefined {
  return RULE_CATEGORY.get(rule);
}

/**
 * Runs every rule over a finished report. Pure: the same report and context give the same detections, in
 * the same order (by first evidence, then rule, then subject), so a re-run opens nothing twice.
 */
export function detect(report: ReportV1, context: DetectionContext): Detection[] {
  return DETECTION_RULES.flatMap((rule) => rule.detect(report, context)).sort(
    (a, b) =>
      cmp(a.at, b.at) || (RULE_ORDER.get(a.rule) ?? 0) - (RULE_ORDER.get(b.rule) ?? 0) || cmp(a.subject, b.subject),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
