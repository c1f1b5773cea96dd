import type { Nanos } from '../time/nanos.js';
import { MAX_DISTINCT_KEYS } from './bounded.js';
import { KEY_SEPARATOR, type LoginTable } from './aggregate-state.js';
import { compareStored } from './stored-order.js';

/** Keeps the earliest proof that `user` of `account` logged in from `host`. */
export function recordLogin(
  table: LoginTable,
  at: { ts: Nanos; stream: string; seq: number },
  account: string,
  user: string,
  host: string | null,
): void {
  const key = [account, user, host ?? ''].join(KEY_SEPARATOR);
  const known = table.first.get(key);
  const record = { ts: at.ts, stream: at.stream, seq: at.seq, account, user, host };
  if (known === undefined) {
    if (table.first.size < MAX_DISTINCT_KEYS) table.first.set(key, record);
    else table.truncated = true;
  } else if (compareStored(record, known) < 0) {
    table.first.set(key, record);
  }
}

export function mergeLogins(a: LoginTable, b: LoginTable): LoginTable {
  const merged: LoginTable = { first: new Map(a.first), truncated: a.truncated || b.truncated };
  for (const record of b.first.values()) recordLogin(merged, record, record.account, record.user, record.host);
  return merged;
}
