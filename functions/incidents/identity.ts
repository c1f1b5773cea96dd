import { readFile } from 'node:fs/promises';
import { decode } from '@nats-io/jwt';
import type { NatsConnection } from '@nats-io/transport-node';
import { isAccountKey } from '../config/account-refs.js';
import { resolveAccountNames } from '../source/account-names.js';
import { named } from '../text/named.js';

/** What the configuration says about the connection, used when the server will not say who it is. */
export interface ConfiguredIdentity {
  source: string;
  account?: string | undefined;
  user?: string | undefined;
  /** The source's creds file (operator mode): its user JWT's name is shown beside the user's key. */
  creds?: string | undefined;
}

/**
 * Who the connection is, as the server knows it: `ACCOUNT/user` from $SYS.REQ.USER.INFO (nats-server 2.10+).
 * Older servers do not answer it; then the configuration's account and user stand in, marked as such so a
 * reader of the record knows the server did not vouch for them.
 */
export async function connectionIdentity(nc: NatsConnection, configured: ConfiguredIdentity): Promise<string> {
  try {
    const reply = await nc.request('$SYS.REQ.USER.INFO', undefined, { timeout: 2000 });
    const data = reply.json<{ data?: { account?: unknown; user?: unknown } }>().data;
    if (typeof data?.account === 'string' && data.account) {
      const account = await accountShown(nc, data.account);
      if (!(typeof data.user === 'string' && data.user)) return account;
      return `${account}/${named(data.user, await credsUserName(configured.creds, data.user))}`;
    }
  } catch {
    // no responder (2.9) or no permission: fall back to the configuration
  }
  const known = [configured.account, configured.user].filter((part): part is string => Boolean(part));
  return `${known.length ? known.join('/') : `source ${configured.source}`} (from configuration)`;
}

/** Operator mode: the account key with its JWT name beside it, as the server gives it; the key alone otherwise. */
async function accountShown(nc: NatsConnection, account: string): Promise<string> {
  if (!isAccountKey(account)) return account;
  const [found] = await resolveAccountNames(nc, [account]);
  return named(account, found?.name ?? undefined);
}

/** The name in the creds file's user JWT, when that JWT is the connected user's (its subject is `user`). */
async function credsUserName(creds: string | undefined, user: string): Promise<string | undefined> {
  if (creds === undefined) return undefined;
  try {
    const jwt = (await readFile(creds, 'utf8')).split('\n').find((line) => line.trim().startsWith('eyJ'));
    const claims = jwt === undefined ? null : (decode(jwt.trim()) as { sub?: unknown; name?: unknown });
    return claims?.sub === user && typeof claims.name === 'string' && claims.name !== '' ? claims.name : undefined;
  } catch {
    return undefined;
  }
}
