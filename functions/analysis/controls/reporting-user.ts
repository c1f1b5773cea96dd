import { named } from '../../text/named.js';
import type { ControlInputs } from './inputs.js';
import type { Verdict } from './verdict.js';

/**
 * The report's own user can only read: a reporting user that may change or delete what it reports on would make
 * every figure something it could have arranged. Judged on the permissions the server states for it (USER.INFO).
 */
export function reportingUserReadOnly({ report }: ControlInputs): Verdict {
  const access = report.access;
  if (!access) return { status: 'warn', detail: 'the access evidence was not collected in this run' };
  const user = access.reportingUser;
  if (!user) {
    const why = access.limits.find((l) => l.includes('$SYS.REQ.USER.INFO')) ?? 'the server did not say';
    return { status: 'warn', detail: `the reporting user's permissions could not be read: ${why}` };
  }
  const who = `${named(user.user, user.userName)} of account ${named(user.account, user.accountName)}`;
  if (user.permissions === null || user.permissions.publish.allow === null)
    return {
      status: 'fail',
      detail:
        `the reporting user ${who} may publish to every subject` +
        `${user.permissions?.publish.deny.length ? ' not denied' : ''}: ` +
        "give it the README's read-only permissions",
    };
  if (user.beyondReadOnly.length)
    return {
      status: 'fail',
      detail: `the reporting user ${who} may also publish ${user.beyondReadOnly.slice(0, 10).join(', ')}${
        user.beyondReadOnly.length > 10 ? ` and ${user.beyondReadOnly.length - 10} more` : ''
      }, beyond the read-only list`,
    };
  return {
    status: 'pass',
    detail:
      `the reporting user ${who} may publish only within the read-only list ` +
      `(${user.permissions.publish.allow.length} subjects)`,
  };
}
