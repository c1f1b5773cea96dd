import type { ControlInputs } from './inputs.js';
import type { Verdict } from './verdict.js';
import { plural } from './verdict.js';

/** The previous daily report is in the archive and its manifest is intact: the chain has no hole before today. */
export function previousReportInChain({ previousBundle }: ControlInputs): Verdict {
  switch (previousBundle.state) {
    case 'ok':
      return { status: 'pass', detail: previousBundle.detail };
    case 'first':
      return {
        status: 'pass',
        detail: `this is the first report of the daily series. ${previousBundle.detail}`.trim(),
      };
    case 'not-applicable':
      return { status: 'not-applicable', detail: previousBundle.detail };
    case 'missing':
    case 'invalid':
      return { status: 'fail', detail: previousBundle.detail };
  }
}

/** What is archived is locked (S3 Object Lock, COMPLIANCE) until its retain-until date. */
export function archiveLockInForce({ archiveLock }: ControlInputs): Verdict {
  if (archiveLock.state === 'none') return { status: 'not-applicable', detail: archiveLock.detail };
  return { status: archiveLock.state === 'locked' ? 'pass' : 'fail', detail: archiveLock.detail };
}

/** A remote mirror of the audit streams exists and has caught up (when one is configured). */
export function remoteMirrorInSync({ mirrors }: ControlInputs): Verdict {
  if (mirrors === null || mirrors.length === 0)
    return { status: 'not-applicable', detail: 'no remote mirror is configured' };
  const behind = mirrors.filter((m) => m.lastSeq === null || (m.lag ?? 0) > 0);
  if (behind.length) {
    return {
      status: 'fail',
      detail: behind
        .map((m) =>
          m.lastSeq === null
            ? `${m.mirror} (mirror of ${m.stream}) is missing`
            : `${m.mirror} is ${plural(m.lag ?? 0, 'message')} behind ${m.stream}`,
        )
        .join('; '),
    };
  }
  return {
    status: 'pass',
    detail: `${mirrors.map((m) => `${m.mirror} mirrors ${m.stream} up to seq ${m.lastSeq}`).join('; ')}`,
  };
}

/** No incident stays open past its deadline. */
export function noIncidentPastDeadline({ incidents, incidentDeadlineDays }: ControlInputs): Verdict {
  if (incidents === null) return { status: 'warn', detail: 'the incident record could not be read in this run' };
  const late = incidents.filter((i) => i.status !== 'resolved' && i.ageDays > incidentDeadlineDays);
  if (late.length) {
    return {
      status: 'fail',
      detail:
        `${plural(late.length, 'incident')} open longer than ${incidentDeadlineDays} days: ` +
        `${late.map((i) => `${i.id} (${Math.floor(i.ageDays)} days)`).join(', ')}`,
    };
  }
  const open = incidents.filter((i) => i.status !== 'resolved').length;
  return {
    status: 'pass',
    detail: open
      ? `${plural(open, 'incident')} open, none past the ${incidentDeadlineDays}-day deadline`
      : 'no incident is open',
  };
}
