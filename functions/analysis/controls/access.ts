import { isAuditKind } from '../../config/schema.js';
import { HARMLESS_ON_AUDIT } from '../detection/audit-stream-attempt.js';
import { ruleCategory } from '../detection/detect.js';
import { named } from '../../text/named.js';
import type { ControlInputs } from './inputs.js';
import type { Verdict } from './verdict.js';
import { plural } from './verdict.js';

/** Failed logins are looked at: every login incident is acknowledged or resolved within the deadline. */
export function authFailuresInvestigated({ report, incidents, incidentDeadlineDays }: ControlInputs): Verdict {
  const failures = report.authFailures.total;
  if (incidents === null) {
    return failures === 0
      ? { status: 'pass', detail: 'no login failed in the period' }
      : {
          status: 'warn',
          detail:
            `${plural(failures, 'login')} failed and the incident record could not be read to see whether they ` +
            'were investigated',
        };
  }
  const login = incidents.filter((i) => ruleCategory(i.rule) === 'login');
  const untouched = login.filter((i) => i.status === 'open');
  const late = untouched.filter((i) => i.ageDays > incidentDeadlineDays);
  if (late.length)
    return {
      status: 'fail',
      detail:
        `login incidents nobody acknowledged within ${incidentDeadlineDays} days: ` +
        `${late.map((i) => i.id).join(', ')}`,
    };
  if (untouched.length)
    return {
      status: 'warn',
      detail:
        `${plural(untouched.length, 'login incident')} not yet acknowledged: ` +
        `${untouched.map((i) => i.id).join(', ')}`,
    };
  return {
    status: 'pass',
    detail: `${plural(failures, 'failed login')} in the period; every login incident is acknowledged or resolved`,
  };
}

/** Every JetStream change names the person who made it; servers before 2.10.10 name only the account. */
export function changesAttributed({ report }: ControlInputs): Verdict {
  const changes = report.jetstreamChanges;
  if (changes.length === 0) return { status: 'pass', detail: 'no JetStream change in the period' };
  const anonymous = changes.filter((c) => c.user === null);
  if (anonymous.length === 0)
    return { status: 'pass', detail: `all ${plural(changes.length, 'change')} name the user who made them` };
  return {
    status: 'warn',
    detail:
      `${plural(anonymous.length, 'change')} of ${changes.length} name only the account ` +
      `(${[...new Set(anonymous.map((c) => c.account))].join(', ')}): ` +
      'the server records no user before nats-server 2.10.10',
  };
}

/** Nobody tried to delete, purge, update or remove an audit stream, whether the server refused it or not. */
export function noTamperingAttempts({ report, streams }: ControlInputs): Verdict {
  const audit = new Set(streams.filter((s) => isAuditKind(s.kind)).map((s) => s.stream));
  const attempts = report.jetstreamChanges.filter(
    (c) => audit.has(c.target.split('/')[0]!) && !HARMLESS_ON_AUDIT.has(c.operation),
  );
  if (attempts.length === 0) return { status: 'pass', detail: 'no attempt to change or remove the audit record' };
  const listed = attempts.slice(0, 10).map((c) => {
    const user = c.user === null ? '(user not recorded)' : named(c.user, c.userName);
    const who = `${named(c.account, c.accountName)}/${user}`;
    return `${c.operation} ${c.target} by ${who} at ${c.time} (${c.success ? 'ALLOWED' : 'refused'})`;
  });
  return {
    status: 'fail',
    detail: `${plural(attempts.length, 'attempt')} against the audit record: ${listed.join('; ')}`,
  };
}

/** Every event was understood; one that claims another account than the one it was published in is forged. */
export function eventsUnderstood({ report }: ControlInputs): Verdict {
  if (report.unparseable === 0) return { status: 'pass', detail: 'every event of the period was understood' };
  const forged = report.unparseableEvents.filter((u) => u.kind === 'forged');
  const where = report.unparseableEvents
    .slice(0, 5)
    .map((u) => `${u.stream} seq ${u.seq}`)
    .join(', ');
  if (forged.length) {
    return {
      status: 'fail',
      detail:
        `${plural(forged.length, 'event')} claim to come from where they cannot (forged), ` +
        `of ${report.unparseable} not understood: ${where}`,
    };
  }
  return {
    status: 'warn',
    detail: `${plural(report.unparseable, 'event')} could not be understood (listed in the report): ${where}`,
  };
}
