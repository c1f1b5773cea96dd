import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import type { Config } from '../config/schema.js';
import { InputError, RunError, errorMessage } from '../errors.js';
import type { SourceSecret } from '../source/connect.js';
import { ENV } from './environment.js';
import { nonEmpty, type Environment } from './lambda-config.js';

/** NATS credentials by source name; a source without an entry authenticates as its configuration says. */
export type NatsSecrets = ReadonlyMap<string, SourceSecret>;

const text = z.string().min(1);
const credsFile = text.refine(
  (creds) => creds.includes('-----BEGIN NATS USER JWT-----') && /-----BEGIN USER NKEY SEED-----/.test(creds),
);
const sourceSecret = z.union([
  z.strictObject({ creds: credsFile }),
  z.strictObject({ user: text, pass: z.string() }),
  z.strictObject({ token: text }),
]);
const secretDocument = z.record(z.string(), sourceSecret);

const SHAPES = '{ "creds": "<content of a .creds file>" }, { "user": "…", "pass": "…" } or { "token": "…" }';

/** Reads and checks the secret `SOX_NATS_SECRET_ARN` names; an empty map when the variable is not set. */
export async function loadNatsSecrets(
  env: Environment,
  client: SecretsManagerClient,
  config: Config,
): Promise<NatsSecrets> {
  const arn = nonEmpty(env[ENV.natsSecretArn]);
  if (arn === undefined) return new Map();
  let secretString: string | undefined;
  try {
    ({ SecretString: secretString } = await client.send(new GetSecretValueCommand({ SecretId: arn })));
  } catch (err) {
    const code = err instanceof Error ? err.name : 'Error';
    throw new RunError(
      `Secrets Manager GetSecretValue ${arn} (named by ${ENV.natsSecretArn}) failed: ${code}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  if (secretString === undefined)
    throw new InputError(
      `secret ${arn} (${ENV.natsSecretArn}) has no SecretString: store the NATS credentials as JSON text`,
    );
  return parseNatsSecret(secretString, config, `secret ${arn} (${ENV.natsSecretArn})`);
}

/**
 * `{ "<source>": { creds } | { user, pass } | { token } }`, every name a configured source. Messages name keys
 * and sources, never a value: whatever is in here is a credential.
 */
export function parseNatsSecret(secretString: string, config: Config, where: string): NatsSecrets {
  let document: unknown;
  try {
    document = JSON.parse(secretString);
  } catch {
    throw new InputError(
      `${where}: it is not valid JSON; it must be an object by source name whose values are ${SHAPES}`,
    );
  }
  const parsed = secretDocument.safeParse(document);
  if (!parsed.success) {
    const sources = [
      ...new Set(parsed.error.issues.map((issue) => issue.path[0]).filter((p) => typeof p === 'string')),
    ];
    if (sources.length === 0)
      throw new InputError(`${where}: it must be a JSON object by source name whose values are ${SHAPES}`);
    throw new InputError(
      `${where}: ${sources.map((s) => JSON.stringify(s)).join(', ')}: ` +
        `each entry must be exactly one of ${SHAPES}, with non-empty text`,
    );
  }
  const configured = new Set(config.sources.map((s) => s.name));
  const unknown = Object.keys(parsed.data).filter((name) => !configured.has(name));
  if (unknown.length > 0) {
    throw new InputError(
      `${where}: no source named ${unknown.map((n) => JSON.stringify(n)).join(', ')} in the configuration ` +
        `(its sources: ${[...configured].join(', ')})`,
    );
  }
  return new Map(Object.entries(parsed.data));
}
