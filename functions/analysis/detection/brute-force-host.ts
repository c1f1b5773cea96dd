import type { Detection } from '../../incidents/model.js';
import type { ReportV1 } from '../report-model.js';
import { bruteForce } from './brute-force.js';
import { NO_USER_NAME, shownName } from './common.js';
import type { DetectionContext } from './context.js';
import { named } from '../../text/named.js';

export const BRUTE_FORCE_HOST = 'brute-force-host';

/** Repeated failed logins from one host within the window, whatever names it tried: password spraying. */
export function bruteForceHost(report: ReportV1, context: DetectionContext): Detection[] {
  return bruteForce(report, context, {
    rule: BRUTE_FORCE_HOST,
    // A failure whose host the server did not record cannot be put on any host.
    keyOf: (f) => f.host,
    describe: (host) => `from host ${shownName(host)}`,
    // Operator mode: the JWT name each failure presented beside the key it names.
    otherSide: (f) => (f.user === null ? NO_USER_NAME : named(f.user, f.userName)),
    otherLabel: 'user names tried',
    periodCount: (r, host) => r.authFailures.byHost.find((h) => h.host === host)?.count,
  });
}
