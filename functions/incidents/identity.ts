import type { NatsConnection } from '@nats-io/transport-node';

/** What the configuration says about the connection, used when the server will not say who it is. */
export interface ConfiguredIdentity {
  source: string;
  account?: string | undefined;
  user?: string | undefined;
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
      return typeof data.user === 'string' && data.user ? `${data.account}/${data.user}` : data.account;
    }
  } catch {
    // no responder (2.9) or no permission: fall back to the configuration
  }
  const known = [configured.account, configured.user].filter((part): part is string => Boolean(part));
  return `${known.length ? known.join('/') : `source ${configured.source}`} (from configuration)`;
}
