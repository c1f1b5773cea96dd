import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Config } from '../config/schema.js';
import type { IntegrationSecrets } from '../incidents/integration-secret.js';

/**
 * Reads each Secrets Manager secret an integration names (`secretArn`) once, before the run. A secret that cannot be
 * read fails no report: its integration's notifications are recorded as failed tries, with why (the error's name,
 * never its text nor the value), and retried by the next run.
 */
export async function loadIntegrationSecrets(
  config: Config,
  client: SecretsManagerClient,
): Promise<IntegrationSecrets> {
  const arns = [
    ...new Set(config.incidents.integrations.flatMap((i) => (i.secretArn === undefined ? [] : [i.secretArn]))),
  ];
  const secrets = new Map<string, { value: string } | { error: string }>();
  for (const arn of arns) {
    try {
      const { SecretString: value } = await client.send(new GetSecretValueCommand({ SecretId: arn }));
      secrets.set(
        arn,
        value ? { value } : { error: `the secret ${arn} has no SecretString: store the integration's secret as text` },
      );
    } catch (err) {
      const code = err instanceof Error ? err.name : 'Error';
      secrets.set(arn, { error: `Secrets Manager GetSecretValue ${arn} failed: ${code}` });
    }
  }
  return secrets;
}
