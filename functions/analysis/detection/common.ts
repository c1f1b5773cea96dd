import { DateTime } from 'luxon';
import type { Detection, EvidenceRef, Severity } from '../../incidents/model.js';
import { formatTime } from '../../render/format.js';
import { parseInstant } from '../../time/nanos.js';
import type { ReportV1 } from '../report-model.js';
import { named } from '../../text/named.js';

/** A detection carries the first evidence references; the report lists the rest. */
export const MAX_DETECTION_EVIDENCE = 20;

/** How a failed login without a user name is named, in subjects and summaries. */
export const NO_USER_NAME = '(no user name)';

/** The report's calendar day in its time zone: the day an incident belongs to. */
export function reportDay(report: ReportV1): string {
  if (report.period.kind === 'daily' && report.period.date) return report.period.date;
  const from = parseInstant(report.period.from);
  const local = DateTime.fromMillis(from === null ? Date.parse(report.period.from) : Number(from / 1_000_000n), {
    zone: report.period.timezone,
  });
  return local.toISODate() ?? report.period.from.slice(0, 10);
}

/** An instant as the documents show it, in the report's time zone. */
export function shownTime(report: ReportV1, iso: string): string {
  return formatTime(iso, report.period.timezone);
}

/**
 * A name chosen by whoever connected, made safe for a one-line summary and an incident subject: control
 * characters (a header injection, a line break) are shown escaped, and a very long name is cut.
 */
/**
 * Operator mode: the JWT names of the user and account keys the report shows with a name (logins, failed logins,
 * JetStream changes), so a rule keyed by key can show who it is.
 */
export function knownNames(report: ReportV1): Map<string, string> {
  const names = new Map<string, string>();
  const add = (key: string | null, name: string | undefined) => {
    if (key !== null && name !== undefined && !names.has(key)) names.set(key, name);
  };
  for (const u of report.connections.byUser) {
    add(u.account, u.accountName);
    add(u.user, u.userName);
  }
  for (const c of report.jetstreamChanges) {
    add(c.account, c.accountName);
    add(c.user, c.userName);
  }
  for (const f of [...report.authFailures.byUser, ...(report.authFailureEvents ?? [])]) add(f.user, f.userName);
  return names;
}

/** A user key (or a name tried) as shown: its JWT name with the start of the key, where the report knows one. */
export function shownUser(names: Map<string, string>, user: string): string {
  return shownName(named(user, names.get(user)));
}

/** A baseline entry (`ACCOUNT/USER`, keys in operator mode) as shown: names beside the keys where known. */
export function shownBaselineUser(names: Map<string, string>, entry: string): string {
  const slash = entry.indexOf('/');
  if (slash < 0) return shownUser(names, entry);
  const account = entry.slice(0, slash);
  const user = entry.slice(slash + 1);
  return shownName(`${named(account, names.get(account))}/${named(user, names.get(user))}`, 240);
}

export function shownName(name: string, max = 120): string {
  const escaped = name.replace(
    /[\u0000-\u001f\u007f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  const trimmed = escaped.trim() === '' ? JSON.stringify(name) : escaped;
  return trimmed.length > max ? `${trimmed.slice(0, max - 1)}…` : trimmed;
}

export { plural } from '../wording.js';

/** The first items of a list in a sentence, saying how many more there are. */
export function someOf(items: string[], shown = 5): string {
  const head = items.slice(0, shown).join(', ');
  return items.length > shown ? `${head} and ${items.length - shown} more` : head;
}

/** Evidence references without duplicates, in the order given, at most MAX_DETECTION_EVIDENCE. */
export function boundedEvidence(refs: Iterable<EvidenceRef>): EvidenceRef[] {
  const seen = new Set<string>();
  const out: EvidenceRef[] = [];
  for (const ref of refs) {
    const key = `${ref.stream}\u0000${ref.seq}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ stream: ref.stream, seq: ref.seq });
    if (out.length === MAX_DETECTION_EVIDENCE) break;
  }
  return out;
}

/** Builds a detection dated to the report's day, its subject and summary safe for the incident record. */
export function detection(
  report: ReportV1,
  fields: {
    rule: string;
    severity: Severity;
    subject: string;
    summary: string;
    at: string;
    evidence: Iterable<EvidenceRef>;
  },
): Detection {
  return {
    rule: fields.rule,
    severity: fields.severity,
    subject: shownName(fields.subject, 500),
    summary: fields.summary.length > 2000 ? `${fields.summary.slice(0, 1999)}…` : fields.summary,
    day: reportDay(report),
    at: fields.at,
    evidence: boundedEvidence(fields.evidence),
  };
}

/** The stream a JetStream change is about: targets are "STREAM" or "STREAM/CONSUMER". */
export function targetStream(target: string): string {
  const slash = target.indexOf('/');
  return slash < 0 ? target : target.slice(0, slash);
}

/** Who made a change, as far as the server says: nats-server before 2.10.10 names only the account. */
export function actorOf(change: {
  account: string;
  accountName?: string;
  user: string | null;
  userName?: string;
}): string {
  const account = named(change.account, change.accountName);
  return change.user === null ? `${account} (user not recorded)` : `${account}/${named(change.user, change.userName)}`;
}

/** Groups items by key, keeping the order of first appearance. */
export function groupBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
