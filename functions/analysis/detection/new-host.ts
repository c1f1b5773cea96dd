import type { Detection } from '../../incidents/model.js';
import type { ReportV1 } from '../report-model.js';
import { detection, groupBy, knownNames, plural, shownBaselineUser, shownName, shownTime, someOf } from './common.js';
import type { DetectionContext } from './context.js';

export const NEW_HOST = 'new-host';

/**
 * A user logging in from a host their baseline does not hold: a stolen password used from elsewhere.
 * Only users the previous report has hosts for are judged. On the first day (no previous report, or one
 * written before baselines existed) every host would be new, so nothing fires: the baseline is being built.
 * A user whose baseline hosts were cut at the bound is not judged either: a host left out is not a new one.
 */
export function newHost(report: ReportV1, context: DetectionContext): Detection[] {
  const previous = context.previous?.baseline;
  if (!previous) return [];
  const knownHosts = new Map(previous.userHosts.map((entry) => [entry.user, entry]));
  const fresh = (report.baseline?.newHosts ?? []).filter((login) => {
    const known = knownHosts.get(login.user);
    return known !== undefined && !known.hostsTruncated && !known.hosts.includes(login.host);
  });
  const detections: Detection[] = [];
  const names = knownNames(report);
  for (const [user, logins] of groupBy(fresh, (login) => login.user)) {
    const known = knownHosts.get(user)!.hosts.map((h) => shownName(h));
    const seen = logins.map((login) => `${shownName(login.host)} (first at ${shownTime(report, login.time)})`);
    detections.push(
      detection(report, {
        rule: NEW_HOST,
        severity: 'medium',
        subject: user,
        summary:
          `${shownBaselineUser(names, user)} logged in from ` +
          `${logins.length === 1 ? 'a host' : plural(logins.length, 'host')} not seen for this user before: ` +
          `${someOf(seen)}; known hosts: ${someOf(known)}`,
        at: logins[0]!.time,
        evidence: logins,
      }),
    );
  }
  return detections;
}
