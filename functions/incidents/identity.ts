import { readFile } from 'node:fs/promises';
import { decode } from '@nats-io/jwt';
import type { NatsConnection } from '@nats-io/transport-node';
import { ownIdentity } from '../source/own-identity.js';
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
 * Who the connection is, as the server vouches for it (source/own-identity.ts): `ACCOUNT/user`, with the JWTs'
 * names beside the keys in operator mode. Where the server says nothing (the user may ask neither service), the
 * configuration's account and user stand in, marked as such so a reader of the record knows the server did not
 * vouch for them.
 */
export async function connectionIdentity(nc: NatsConnection, configured: ConfiguredIdentity): Promise<string> {
  const own = await ownIdentity(nc);
  if (own !== null) {
    const account = named(own.account, own.accountName);
    if (own.user === null) return account;
    return `${account}/${named(own.user, own.userName ?? (await credsUserName(configured.creds, own.user)))}`;
  }
  const known = [configured.account, configured.user].filter((part): part is string => Boolean(part));
  return `${known.length ? known.join('/') : `source ${configured.source}`} (from configuration)`;
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
