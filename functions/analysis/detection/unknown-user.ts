import type { Detection } from '../../incidents/model.js';
import type { AuthFailureEvent, ReportV1 } from '../report-model.js';
import { userNameOf } from './baseline.js';
import {
  NO_USER_NAME,
  detection,
  groupBy,
  knownNames,
  plural,
  shownName,
  shownTime,
  shownUser,
  someOf,
} from './common.js';
import type { DetectionContext } from './context.js';

export const UNKNOWN_USER = 'unknown-user';

/** Every user name seen logging in successfully: in the previous report's baseline or in this period. */
function knownUserNames(report: ReportV1, context: DetectionContext): Set<string> {
  const names = new Set<string>();
  for (const entry of [...(context.previous?.baseline?.users ?? []), ...(report.baseline?.users ?? [])])
    names.add(userNameOf(entry));
  // A report written before the baseline existed still names this period's users in its tables.
  for (const u of report.connections.byUser) if (u.user !== null) names.add(u.user);
  for (const r of report.connections.leafnodes.remotes) if (r.user !== null) names.add(r.user);
  return names;
}

/**
 * Failed logins with a user name nobody has ever logged in with: probing for accounts. Failures carry only
 * the name tried (the server cannot know its account), so names are compared across accounts.
 */
export function unknownUser(report: ReportV1, context: DetectionContext): Detection[] {
  const known = knownUserNames(report, context);
  const isUnknown = (user: string | null) => user === null || !known.has(user);
  const listed = groupBy(
    (report.authFailureEvents ?? []).filter((f) => isUnknown(f.user)),
    (f) => f.user ?? NO_USER_NAME,
  );
  const detections: Detection[] = [];
  for (const [name, failures] of listed) detections.push(unknownUserDetection(report, name, failures));
  // Names only in the ranked table: failures past report.maxListed, whose times the report does not keep.
  for (const { user, count } of report.authFailures.byUser) {
    const name = user ?? NO_USER_NAME;
    if (!isUnknown(user) || listed.has(name)) continue;
    detections.push(
      detection(report, {
        rule: UNKNOWN_USER,
        severity: 'medium',
        subject: name,
        summary:
          `${plural(count, 'failed login')} ${describe(name, knownNames(report))}, ` +
          'a user name never seen logging in successfully ' +
          '(after the failures the report lists, so without times)',
        at: report.period.from,
        evidence: [],
      }),
    );
  }
  return detections;
}

function describe(name: string, names: Map<string, string>): string {
  return name === NO_USER_NAME ? 'with no user name' : `as ${shownUser(names, name)}`;
}

function unknownUserDetection(report: ReportV1, name: string, failures: AuthFailureEvent[]): Detection {
  const count = report.authFailures.byUser.find((u) => (u.user ?? NO_USER_NAME) === name)?.count ?? failures.length;
  const hosts = [...new Set(failures.map((f) => f.host).filter((h): h is string => h !== null))].map((h) =>
    shownName(h),
  );
  const first = failures[0]!;
  return detection(report, {
    rule: UNKNOWN_USER,
    severity: 'medium',
    subject: name,
    summary:
      `${plural(count, 'failed login')} ${describe(name, knownNames(report))}, ` +
      'a user name never seen logging in successfully; ' +
      `first at ${shownTime(report, first.time)}` +
      (hosts.length ? ` from ${someOf(hosts)}` : ''),
    at: first.time,
    evidence: failures,
  });
}
