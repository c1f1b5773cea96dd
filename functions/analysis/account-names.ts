import type { ConfiguredAccount } from '../config/account-refs.js';
import type { Config } from '../config/schema.js';
import type { AccountName, ReportV1, StreamPlanSummary } from './report-model.js';

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
  const leafnodes = report.connections.leafnodes;
  leafnodes.remotes = leafnodes.remotes.map((r) => withAccountName(r, name(r.account)));
}

/** The record with `accountName` right after `account`, so report.json reads key then name. */
function withAccountName<T extends { account: string }>(record: T, accountName: string | undefined): T {
  if (accountName === undefined) return record;
  const { account, ...rest } = record;
  return { account, accountName, ...rest } as unknown as T;
}

/**
 * Each stream plan with the accounts its configuration names, as the run resolved them (operator mode): the
 * source's `account` and the stream's, each with the key used, so report.json says which account was read.
 */
export function withConfiguredAccounts(
  plans: StreamPlanSummary[] | null,
  config: Config,
  accounts: readonly ConfiguredAccount[] | null,
): StreamPlanSummary[] | null {
  if (plans === null || !accounts?.length) return plans;
  const byPath = new Map(accounts.map((a) => [a.path, a]));
  return plans.map((plan) => {
    const i = config.sources.findIndex((s) => s.name === plan.source);
    const j = i < 0 ? -1 : config.sources[i]!.streams.findIndex((r) => r.stream === plan.stream);
    const sourceAccount = byPath.get(`sources[${i}].account`);
    const account = byPath.get(`sources[${i}].streams[${j}].account`);
    return { ...plan, ...(sourceAccount ? { sourceAccount } : {}), ...(account ? { account } : {}) };
  });
}
