/**
 * Where an integration's secret comes from: the environment variable its configuration names (`secretEnv`), or the
 * Secrets Manager secret it names (`secretArn`), which the report functions read on AWS before the run
 * (handlers/integration-secrets.ts). Messages name the variable or the ARN, never the value.
 */

/** What the secrets named by ARN held, by ARN: the text, or why it could not be read. */
export type IntegrationSecrets = ReadonlyMap<string, { value: string } | { error: string }>;

export interface SecretSources {
  /** Where `secretEnv` is read (process.env). */
  env: Readonly<Record<string, string | undefined>>;
  /** The secrets named by `secretArn`, read on AWS; absent elsewhere. */
  secrets?: IntegrationSecrets;
}

export interface SecretRef {
  secretEnv?: string | undefined;
  secretArn?: string | undefined;
}

/** How a message names where a secret is: the variable or the secret, never its value. */
export function secretPlace(ref: SecretRef): string {
  return ref.secretArn !== undefined
    ? `the secret ${ref.secretArn}`
    : `the secret environment variable ${ref.secretEnv ?? '(none)'}`;
}

/** The secret's text, or why there is none. */
export function integrationSecret(ref: SecretRef, sources: SecretSources): { value: string } | { error: string } {
  if (ref.secretArn !== undefined) {
    const read = sources.secrets?.get(ref.secretArn);
    if (read) return read;
    return { error: `${secretPlace(ref)} is read on AWS only (secretArn): here, name a variable with secretEnv` };
  }
  const value = ref.secretEnv === undefined ? undefined : sources.env[ref.secretEnv];
  return value ? { value } : { error: `${secretPlace(ref)} is not set` };
}
