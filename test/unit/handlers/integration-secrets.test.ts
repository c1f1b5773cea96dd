import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { refuseSecretArns } from '../../../functions/cli/ports.js';
import { parseConfig } from '../../../functions/config/load.js';
import { InputError } from '../../../functions/errors.js';
import { loadIntegrationSecrets } from '../../../functions/handlers/integration-secrets.js';
import { integrationSecret } from '../../../functions/incidents/integration-secret.js';
import { lambdaConfigDocument, mockedClients, type MockedClients } from '../../support/lambda-fakes.js';

const HOOK_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:sox-hook-AbCdEf';
const JIRA_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:sox-jira-GhIjKl';
/** Values that must never appear in an error. */
const HOOK_VALUE = 'hook-5ecret-never-logged';
const JIRA_VALUE = 'bot@example.com:jira-t0ken-never-logged';

const withIntegrations = (integrations: unknown[]) =>
  parseConfig(lambdaConfigDocument({ incidents: { integrations } }));

const hook = { type: 'webhook', name: 'hook', url: 'https://hooks.example.com/sox' };
const jira = { type: 'jira', name: 'jira', url: 'https://acme.atlassian.net', project: 'SEC' };
const pd = { type: 'pagerduty', name: 'pd' };

let aws: MockedClients;
beforeEach(() => {
  aws = mockedClients();
});
afterEach(() => {
  aws.restore();
});

describe('an integration names its secret with exactly one of secretEnv and secretArn', () => {
  it('takes either', () => {
    const config = withIntegrations([
      { ...hook, secretArn: HOOK_ARN },
      { ...jira, secretEnv: 'SOX_JIRA' },
    ]);
    expect(config.incidents.integrations.map((i) => [i.name, i.secretEnv, i.secretArn])).toEqual([
      ['hook', undefined, HOOK_ARN],
      ['jira', 'SOX_JIRA', undefined],
    ]);
  });

  it('refuses both, neither, and an ARN that is not a Secrets Manager secret', () => {
    const one =
      'must name its secret with exactly one of secretEnv (an environment variable) or secretArn (Secrets Manager)';
    expect(() => withIntegrations([{ ...pd, secretEnv: 'SOX_PD', secretArn: HOOK_ARN }])).toThrow(one);
    expect(() => withIntegrations([{ ...pd }])).toThrow(one);
    expect(() =>
      withIntegrations([{ ...pd, secretArn: 'arn:aws:ssm:us-east-1:111122223333:parameter/sox-pd' }]),
    ).toThrow('must be a Secrets Manager secret ARN');
  });
});

describe('loadIntegrationSecrets (Lambda)', () => {
  it('reads each named secret once with GetSecretValue, and nothing when none is named', async () => {
    aws.mocks.secrets.on(GetSecretValueCommand, { SecretId: HOOK_ARN }).resolves({ SecretString: HOOK_VALUE });
    aws.mocks.secrets.on(GetSecretValueCommand, { SecretId: JIRA_ARN }).resolves({ SecretString: JIRA_VALUE });
    const config = withIntegrations([
      { ...hook, secretArn: HOOK_ARN },
      { ...hook, name: 'hook-2', secretArn: HOOK_ARN },
      { ...jira, secretArn: JIRA_ARN },
      { ...pd, secretEnv: 'SOX_PD' },
    ]);
    const secrets = await loadIntegrationSecrets(config, aws.clients.secrets);
    expect(aws.mocks.secrets.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: HOOK_ARN },
      { SecretId: JIRA_ARN },
    ]);
    expect([...secrets]).toEqual([
      [HOOK_ARN, { value: HOOK_VALUE }],
      [JIRA_ARN, { value: JIRA_VALUE }],
    ]);
    const none = await loadIntegrationSecrets(withIntegrations([{ ...pd, secretEnv: 'SOX_PD' }]), aws.clients.secrets);
    expect(none.size).toBe(0);
    expect(aws.mocks.secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('records why a secret could not be read, by the error name only, never its text or a value', async () => {
    const denied = Object.assign(new Error(`not authorized; the value was ${HOOK_VALUE}`), {
      name: 'AccessDeniedException',
    });
    aws.mocks.secrets.on(GetSecretValueCommand, { SecretId: HOOK_ARN }).rejects(denied);
    aws.mocks.secrets.on(GetSecretValueCommand, { SecretId: JIRA_ARN }).resolves({ SecretBinary: new Uint8Array(3) });
    const config = withIntegrations([
      { ...hook, secretArn: HOOK_ARN },
      { ...jira, secretArn: JIRA_ARN },
    ]);
    const secrets = await loadIntegrationSecrets(config, aws.clients.secrets);
    expect([...secrets]).toEqual([
      [HOOK_ARN, { error: `Secrets Manager GetSecretValue ${HOOK_ARN} failed: AccessDeniedException` }],
      [JIRA_ARN, { error: `the secret ${JIRA_ARN} has no SecretString: store the integration's secret as text` }],
    ]);
    expect(JSON.stringify([...secrets])).not.toContain(HOOK_VALUE);
  });
});

describe('integrationSecret', () => {
  it('reads secretEnv from the environment and secretArn from what the Lambda read, naming neither value', () => {
    const secrets = new Map([[HOOK_ARN, { value: HOOK_VALUE }]]);
    expect(integrationSecret({ secretArn: HOOK_ARN }, { env: {}, secrets })).toEqual({ value: HOOK_VALUE });
    expect(integrationSecret({ secretEnv: 'SOX_HOOK' }, { env: { SOX_HOOK: HOOK_VALUE } })).toEqual({
      value: HOOK_VALUE,
    });
    expect(integrationSecret({ secretEnv: 'SOX_HOOK' }, { env: {} })).toEqual({
      error: 'the secret environment variable SOX_HOOK is not set',
    });
    expect(integrationSecret({ secretArn: JIRA_ARN }, { env: { SOX_HOOK: HOOK_VALUE }, secrets })).toEqual({
      error: `the secret ${JIRA_ARN} is read on AWS only (secretArn): here, name a variable with secretEnv`,
    });
  });
});

describe('a run on this machine', () => {
  it('refuses an integration whose secret is named by secretArn, with what to use instead', () => {
    const config = withIntegrations([
      { ...hook, secretArn: HOOK_ARN },
      { ...jira, secretEnv: 'SOX_JIRA' },
      { ...pd, secretArn: JIRA_ARN },
    ]);
    expect(() => refuseSecretArns(config)).toThrow(InputError);
    expect(() => refuseSecretArns(config)).toThrow(
      'incidents.integrations "hook", "pd": secretArn (Secrets Manager) is read by the report functions on AWS ' +
        'only; for a run on this machine name an environment variable with secretEnv',
    );
    expect(() => refuseSecretArns(withIntegrations([{ ...jira, secretEnv: 'SOX_JIRA' }]))).not.toThrow();
  });
});
