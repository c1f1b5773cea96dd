/**
 * Who a connection is, as the server vouches for it: $SYS.REQ.USER.INFO (nats-server 2.10+), else the connection's
 * own entry in its account's CONNZ ($SYS.REQ.ACCOUNT.PING.CONNZ, which every account has, 2.9 included). In operator
 * mode with the names: the user JWT's (CONNZ `name_tag`) and the account JWT's ($SYS.REQ.ACCOUNT.<key>.INFO).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { isAccountKey } from '../config/account-refs.js';
import { resolveAccountNames } from './account-names.js';
import { sysRequest } from './sys-request.js';

export interface OwnIdentity {
  account: string;
  /** null where the server names only the account. */
  user: string | null;
  accountName?: string;
  userName?: string;
}

/**
 * Who `nc` is; null when the server says nothing (the user may ask none of the services). Its account's statistics
 * ($SYS.REQ.ACCOUNT.PING.STATZ) name the account alone where the user may not ask for its CONNZ entry. Without
 * `names`, nothing more is asked than who it is.
 */
export async function ownIdentity(nc: NatsConnection, options: { names?: boolean } = {}): Promise<OwnIdentity | null> {
  const names = options.names ?? true;
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  let account: string | null = null;
  let user: string | null = null;
  const info = await sysRequest(nc, '$SYS.REQ.USER.INFO');
  if (info !== null) {
    const data = jsonOf(info)?.data as { account?: unknown; user?: unknown } | undefined;
    account = text(data?.account);
    user = account === null ? null : text(data?.user);
  }
  const connz =
    account !== null && !names
      ? null
      : await sysRequest(nc, '$SYS.REQ.ACCOUNT.PING.CONNZ', JSON.stringify({ cid: nc.info?.client_id, auth: true }));
  const data = connz === null ? undefined : (jsonOf(connz)?.data as { connections?: unknown[] } | undefined);
  const own = Array.isArray(data?.connections)
    ? (data.connections[0] as Record<string, unknown> | undefined)
    : undefined;
  if (account === null && own) {
    account = text(own.account);
    user = account === null ? null : text(own.authorized_user);
  }
  if (account === null) {
    const statz = await sysRequest(nc, '$SYS.REQ.ACCOUNT.PING.STATZ', '{}');
    const stats = statz === null ? undefined : (jsonOf(statz)?.data as { account_statz?: unknown[] } | undefined);
    const first = Array.isArray(stats?.account_statz) ? (stats.account_statz[0] as { acc?: unknown }) : undefined;
    account = text(first?.acc);
  }
  if (account === null) return null;
  if (!names) return { account, user };
  const userName = own && text(own.authorized_user) === user ? text(own.name_tag) : null;
  const accountName = isAccountKey(account) ? (await resolveAccountNames(nc, [account]))[0]?.name : null;
  return {
    account,
    user,
    ...(accountName ? { accountName } : {}),
    ...(userName && userName !== user ? { userName } : {}),
  };
}

function jsonOf(m: { json<T>(): T }): Record<string, unknown> | null {
  try {
    const value = m.json<unknown>();
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
