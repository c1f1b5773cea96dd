import type { NatsConnection } from '@nats-io/transport-node';
import type { AggregateState } from '../analysis/aggregate-state.js';
import type { AccountName } from '../analysis/report-model.js';
import { isAccountKey } from '../config/account-refs.js';
import type { Config } from '../config/schema.js';
import { errorMessage } from '../errors.js';

/** At most this many accounts are looked up in one run (the rest are shown by their key, and say so). */
export const MAX_ACCOUNT_LOOKUPS = 200;

/** The account public keys a period's events and the configuration name, sorted; none outside operator mode. */
export function accountKeysOf(config: Config, state: AggregateState): string[] {
  const keys = new Set<string>();
  const add = (account: string | undefined) => {
    if (account !== undefined && isAccountKey(account)) keys.add(account);
  };
  for (const source of config.sources) {
    add(source.account);
    for (const ref of source.streams) add(ref.account);
  }
  for (const u of state.users.values()) add(u.account);
  for (const r of state.leafnodes.remotes.values()) add(r.account);
  for (const c of state.jetstream.changes) add(c.account);
  for (const p of [...state.jetstream.pendingActions, ...state.jetstream.pendingAudits]) add(p.record.account);
  return [...keys].sort();
}

/**
 * Each account's JWT name, as the server says ($SYS.REQ.ACCOUNT.<key>.INFO answers with the decoded account JWT;
 * a non-system account reaches it through a service import from the system account). Where the server does not
 * answer, the name is null and the reason says why.
 */
export async function resolveAccountNames(nc: NatsConnection, keys: string[]): Promise<AccountName[]> {
  const names: AccountName[] = [];
  for (const [i, account] of keys.entries()) {
    if (i >= MAX_ACCOUNT_LOOKUPS) {
      names.push({ account, name: null, reason: `more than ${MAX_ACCOUNT_LOOKUPS} accounts: not looked up` });
      continue;
    }
    try {
      const reply = await nc.request(`$SYS.REQ.ACCOUNT.${account}.INFO`, undefined, { timeout: 2000 });
      const body = reply.json<{
        data?: { name_tag?: unknown; decoded_jwt?: { name?: unknown } };
        error?: { description?: unknown };
      }>();
      const name = body.data?.name_tag ?? body.data?.decoded_jwt?.name;
      if (typeof name === 'string' && name !== '' && name !== account) names.push({ account, name, reason: null });
      else
        names.push({
          account,
          name: null,
          reason:
            typeof body.error?.description === 'string'
              ? `the server answered: ${body.error.description}`
              : 'the account JWT carries no name',
        });
    } catch (err) {
      names.push({ account, name: null, reason: `$SYS.REQ.ACCOUNT.${account}.INFO: ${errorMessage(err)}` });
    }
  }
  return names;
}
