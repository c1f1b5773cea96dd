import { readFile } from 'node:fs/promises';
import {
  AuthorizationError,
  connect,
  credsAuthenticator,
  UserAuthenticationExpiredError,
  type NatsConnection,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import type { NatsConnectionConfig } from '../config/schema.js';
import { InputError, RunError, errorMessage } from '../errors.js';
import { redactCredentials } from '../text/redact.js';

export const CLIENT_NAME = 'sox-report';

/**
 * Credentials kept out of the configuration (Secrets Manager on AWS): the content of a creds file, a user and
 * password, or a token. They replace whatever way of authenticating the configuration names.
 */
export interface SourceSecret {
  creds?: string;
  user?: string;
  pass?: string;
  token?: string;
}

/** Connection options from configuration; secrets go into the options and nowhere else. */
export async function connectionOptions(
  name: string,
  nats: NatsConnectionConfig,
  secret?: SourceSecret,
): Promise<NodeConnectionOptions> {
  const options: NodeConnectionOptions = {
    servers: nats.servers,
    name: CLIENT_NAME,
    timeout: nats.connectTimeoutSeconds * 1000,
    // A server that restarts mid-replay is waited for; the ordered consumer resumes after the last sequence.
    reconnect: true,
    maxReconnectAttempts: 60,
    reconnectTimeWait: 1000,
  };
  if (nats.user !== undefined) {
    options.user = nats.user;
    options.pass = nats.pass ?? '';
  }
  if (nats.token !== undefined) options.token = nats.token;
  if (nats.creds !== undefined && !secret) {
    let creds: Uint8Array;
    try {
      creds = await readFile(nats.creds);
    } catch (err) {
      throw new InputError(`sources "${name}": nats.creds: cannot read ${nats.creds}: ${errorMessage(err)}`);
    }
    options.authenticator = credsAuthenticator(creds);
  }
  if (secret) {
    delete options.user;
    delete options.pass;
    delete options.token;
    delete options.authenticator;
    if (secret.creds !== undefined) options.authenticator = credsAuthenticator(new TextEncoder().encode(secret.creds));
    else if (secret.token !== undefined) options.token = secret.token;
    else if (secret.user !== undefined) {
      options.user = secret.user;
      options.pass = secret.pass ?? '';
    }
  }
  if (nats.tls) {
    options.tls = {
      ...(nats.tls.ca ? { caFile: nats.tls.ca } : {}),
      ...(nats.tls.cert ? { certFile: nats.tls.cert } : {}),
      ...(nats.tls.key ? { keyFile: nats.tls.key } : {}),
    };
  }
  return options;
}

/** The servers of a source as they may be shown: credentials in a URL become `***`. */
export function describeServers(servers: readonly string[]): string {
  return servers.map(redactCredentials).join(', ');
}

/** Connects for a source, failing with a message that names the source and servers but no secret. */
export async function connectSource(
  name: string,
  nats: NatsConnectionConfig,
  secret?: SourceSecret,
): Promise<NatsConnection> {
  const options = await connectionOptions(name, nats, secret);
  try {
    return await connect(options);
  } catch (err) {
    // The client's own text is redacted too: a future version may quote the URL it was given.
    const reason = redactCredentials(errorMessage(err));
    const refused = err instanceof AuthorizationError || err instanceof UserAuthenticationExpiredError;
    const hint = refused ? ' (check the user, password, token or creds of this source)' : '';
    throw new RunError(
      `cannot connect to NATS for source "${name}" at ${describeServers(nats.servers)}: ${reason}${hint}`,
      // The cause tells a refused connection (waited out by nats-steps.ts) from a refused login (not).
      { cause: err },
    );
  }
}
