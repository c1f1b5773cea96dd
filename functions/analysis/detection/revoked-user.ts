import type { Detection } from '../../incidents/model.js';
import { named } from '../../text/named.js';
import type { ReportV1 } from '../report-model.js';
import { detection } from './common.js';

export const REVOKED_USER_CONNECTED = 'revoked-user-connected';

/**
 * A user whose JWT its account has revoked, yet who connected after the revocation (a server that had not heard of
 * it, or a JWT re-issued with an old issue time): the connect event shows a credential that should not work.
 */
export function revokedUserConnected(report: ReportV1): Detection[] {
  return (report.access?.users ?? [])
    .filter((u) => u.flags.includes('revoked-but-connected'))
    .map((u) =>
      detection(report, {
        rule: REVOKED_USER_CONNECTED,
        severity: 'critical',
        subject: `${u.account}/${u.user}`,
        summary:
          `user ${named(u.user, u.userName)} of account ${named(u.account, u.accountName)} connected` +
          `${u.seenAt === null ? '' : ` at ${u.seenAt}`} with a JWT its account has revoked`,
        at: u.seenAt ?? report.access!.collectedAt,
        evidence: [],
      }),
    );
}
