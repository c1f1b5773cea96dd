import { formatInstant } from '../../time/nanos.js';
import type { LoginRecord } from '../aggregate-state.js';
import { compareStored } from '../stored-order.js';
import type { Baseline } from '../report-model.js';

/** Bounds of the baseline carried in every report.json; what is already in it is kept first. */
export interface BaselineLimits {
  maxUsers: number;
  maxHostsPerUser: number;
  /** Rows of `newHosts` (report.maxListed). */
  maxListed: number;
}

export const BASELINE_MAX_USERS = 10_000;
export const BASELINE_MAX_HOSTS_PER_USER = 50;

/** How a user is named in the baseline: the same user name in two accounts is two users. */
export function baselineUser(account: string, user: string): string {
  return `${account}/${user}`;
}

/** The user name of a baseline entry: failed logins carry only the name tried, never the account. */
export function userNameOf(entry: string): string {
  const slash = entry.indexOf('/');
  return slash < 0 ? entry : entry.slice(slash + 1);
}

/**
 * The previous report's baseline joined with this period's successful logins. Users and hosts already known
 * are kept first when a bound is reached, so an established user is never pushed out by a crowd of new ones
 * (and then reported as unknown the day after); what did not fit is recorded in `truncated`.
 */
export function buildBaseline(
  previous: Baseline | null,
  logins: Iterable<LoginRecord>,
  loginsTruncated: boolean,
  limits: BaselineLimits,
): Baseline {
  let truncated = (previous?.truncated ?? false) || loginsTruncated;
  const knownHosts = new Map<string, { hosts: string[]; hostsTruncated: boolean }>();
  for (const entry of previous?.userHosts ?? [])
    knownHosts.set(entry.user, { hosts: entry.hosts, hostsTruncated: entry.hostsTruncated ?? false });

  const periodHosts = new Map<string, Set<string>>();
  const sorted = [...logins].sort(compareStored);
  for (const login of sorted) {
    const user = baselineUser(login.account, login.user);
    const hosts = periodHosts.get(user) ?? new Set<string>();
    periodHosts.set(user, hosts);
    if (login.host !== null) hosts.add(login.host);
  }

  const users = new Set<string>();
  for (const user of previous?.users ?? []) {
    if (users.size < limits.maxUsers) users.add(user);
    else truncated = true;
  }
  for (const user of [...periodHosts.keys()].sort()) {
    if (users.has(user)) continue;
    if (users.size < limits.maxUsers) users.add(user);
    else truncated = true;
  }

  const userHosts: Baseline['userHosts'] = [];
  for (const user of [...users].sort()) {
    const known = knownHosts.get(user);
    const hosts = new Set(known?.hosts.slice(0, limits.maxHostsPerUser) ?? []);
    let hostsTruncated = (known?.hostsTruncated ?? false) || (known?.hosts.length ?? 0) > limits.maxHostsPerUser;
    for (const host of [...(periodHosts.get(user) ?? [])].sort()) {
      if (hosts.has(host)) continue;
      if (hosts.size < limits.maxHostsPerUser) hosts.add(host);
      else hostsTruncated = true;
    }
    if (hostsTruncated) truncated = true;
    if (hosts.size > 0 || hostsTruncated) userHosts.push({ user, hosts: [...hosts].sort(), hostsTruncated });
  }

  const newHosts = sorted
    .filter(
      (login) =>
        login.host !== null &&
        !(knownHosts.get(baselineUser(login.account, login.user))?.hosts.includes(login.host) ?? false),
    )
    .slice(0, limits.maxListed)
    .map((login) => ({
      time: formatInstant(login.ts),
      user: baselineUser(login.account, login.user),
      host: login.host!,
      stream: login.stream,
      seq: login.seq,
    }));

  return { users: [...users].sort(), userHosts, truncated, newHosts };
}
