import type { AccountName, ReportV1 } from './report-model.js';

/**
 * Puts each account's JWT name beside its key (operator mode): logins by user and JetStream changes get
 * `accountName`; the keys stay the identifiers everything matches and merges on.
 */
export function applyAccountNames(report: ReportV1, names: readonly AccountName[] | null | undefined): void {
  if (!names?.length) return;
  const byKey = new Map(names.filter((n) => n.name !== null).map((n) => [n.account, n.name!]));
  const name = (account: string) => byKey.get(account);
  report.connections.byUser = report.connections.byUser.map((u) => withAccountName(u, name(u.account)));
  report.jetstreamChanges = report.jetstreamChanges.map((c) => withAccountName(c, name(c.account)));
}

/** The record with `accountName` right after `account`, so report.json reads key then name. */
function withAccountName<T extends { account: string }>(record: T, accountName: string | undefined): T {
  if (accountName === undefined) return record;
  const { account, ...rest } = record;
  return { account, accountName, ...rest } as unknown as T;
}
