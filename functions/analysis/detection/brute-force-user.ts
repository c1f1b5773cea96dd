import type { Detection } from '../../incidents/model.js';
import type { ReportV1 } from '../report-model.js';
import { bruteForce } from './brute-force.js';
import { NO_USER_NAME, knownNames, shownUser } from './common.js';
import type { DetectionContext } from './context.js';

export const BRUTE_FORCE_USER = 'brute-force-user';

/** Repeated failed logins for one user name within the window: someone guessing its password. */
export function bruteForceUser(report: ReportV1, context: DetectionContext): Detection[] {
  const names = knownNames(report);
  return bruteForce(report, context, {
    rule: BRUTE_FORCE_USER,
    // Failures without a user name (a token or nkey guessed) are one "user": the guessing is the same.
    keyOf: (f) => f.user ?? NO_USER_NAME,
    describe: (user) => (user === NO_USER_NAME ? 'with no user name' : `for user ${shownUser(names, user)}`),
    otherSide: (f) => f.host,
    otherLabel: 'from hosts',
    periodCount: (r, user) => r.authFailures.byUser.find((u) => (u.user ?? NO_USER_NAME) === user)?.count,
  });
}
