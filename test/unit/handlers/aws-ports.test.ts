import { generateKeyPairSync, sign as signWithHash } from 'node:crypto';
import { GetPublicKeyCommand, SignCommand } from '@aws-sdk/client-kms';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/config/load.js';
import { InputError } from '../../../functions/errors.js';
import {
  archiveLocation,
  awsPorts,
  emailMaxBytes,
  pdfLinkFor,
  planPorts,
} from '../../../functions/handlers/aws-ports.js';
import { CONFIG_PLACEHOLDER } from '../../../cdk/run-inputs.js';
import { ENV } from '../../../functions/handlers/environment.js';
import { loadLambdaConfig, maxPeriodDays } from '../../../functions/handlers/lambda-config.js';
import { lambdaSigner } from '../../../functions/handlers/lambda-signer.js';
import { parseNatsSecret } from '../../../functions/handlers/nats-secret.js';
import { createScheduledHandler, firedAt } from '../../../functions/handlers/scheduled.js';
import { selfSignedCertificate } from '../../../functions/seal/local-signer.js';
import {
  captureOutput,
  handlerDeps,
  lambdaConfigDocument,
  lambdaContext,
  mockedClients,
  testObservability,
  type MockedClients,
} from '../../support/lambda-fakes.js';

const CONFIG_PARAMETER = '/sox/config';
const CERT_PARAMETER = '/sox/signing-cert';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:sox-nats-AbCdEf';
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
/** Values that must never appear in an error or a log line. */
const SECRET_VALUES = ['pa55-Wörd-never-logged', 'tok-3f9a-never-logged', 'SUAKSEEDnever-logged'];

const config = parseConfig(lambdaConfigDocument());
const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
let certificatePem: string;

let aws: MockedClients;
let output: ReturnType<typeof captureOutput>;

beforeAll(async () => {
  certificatePem = await selfSignedCertificate(keys, 'Handler Tests Inc.', new Date());
});
beforeEach(() => {
  aws = mockedClients();
  output = captureOutput();
});
afterEach(() => {
  output.restore();
  aws.restore();
});

/** A KMS that answers for a real P-256 key (Sign hashes nothing more: the input is a DIGEST). */
function kmsWithRealKey() {
  aws.mocks.kms.on(GetPublicKeyCommand).resolves({
    KeyId: KEY_ARN,
    PublicKey: new Uint8Array(keys.publicKey.export({ type: 'spki', format: 'der' })),
    KeyUsage: 'SIGN_VERIFY',
    KeySpec: 'ECC_NIST_P256',
    SigningAlgorithms: ['ECDSA_SHA_256'],
  });
  aws.mocks.kms
    .on(SignCommand)
    .callsFake(() => ({ Signature: new Uint8Array(signWithHash('sha256', Buffer.from('unused'), keys.privateKey)) }));
}

function expectNoSecretIn(...texts: string[]) {
  for (const text of texts) for (const secret of SECRET_VALUES) expect(text).not.toContain(secret);
}

describe('configuration on Lambda', () => {
  it('reads the SSM parameter SOX_CONFIG_PARAMETER names, decrypted', async () => {
    aws.mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(lambdaConfigDocument()) } });
    const loaded = await loadLambdaConfig({ [ENV.configParameter]: CONFIG_PARAMETER }, aws.clients.ssm);
    expect(loaded.timezone).toBe('America/New_York');
    const calls = aws.mocks.ssm.commandCalls(GetParameterCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({ Name: CONFIG_PARAMETER, WithDecryption: true });
  });

  it('names the parameter when its document is invalid, and quotes no value when it is not JSON', async () => {
    aws.mocks.ssm
      .on(GetParameterCommand)
      .resolves({ Parameter: { Value: JSON.stringify(lambdaConfigDocument({ timezone: 'Mars/Olympus' })) } });
    await expect(loadLambdaConfig({ [ENV.configParameter]: CONFIG_PARAMETER }, aws.clients.ssm)).rejects.toThrow(
      /^invalid configuration in SSM parameter \/sox\/config:\n {2}timezone: is not a known IANA time zone/,
    );
    aws.mocks.ssm
      .on(GetParameterCommand)
      .resolves({ Parameter: { Value: `{"sources": [{"nats": {"pass": "${SECRET_VALUES[0]}"` } });
    const error = (await loadLambdaConfig({ [ENV.configParameter]: CONFIG_PARAMETER }, aws.clients.ssm).catch(
      (e: unknown) => e,
    )) as Error;
    expect(error.message).toBe('invalid configuration in SSM parameter /sox/config: it is not valid JSON');
  });

  it("says what to put into a parameter that still holds the stack's placeholder", async () => {
    aws.mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: CONFIG_PLACEHOLDER } });
    await expect(loadLambdaConfig({ [ENV.configParameter]: CONFIG_PARAMETER }, aws.clients.ssm)).rejects.toThrow(
      'invalid configuration in SSM parameter /sox/config: it holds no JSON document yet (a placeholder?). ' +
        'Store the configuration with `aws ssm put-parameter --name /sox/config --type String --overwrite ' +
        '--value file://sox-report.json`',
    );
  });

  it('says which parameter is missing', async () => {
    aws.mocks.ssm
      .on(GetParameterCommand)
      .rejects(Object.assign(new Error('Parameter not found.'), { name: 'ParameterNotFound' }));
    await expect(loadLambdaConfig({ [ENV.configParameter]: CONFIG_PARAMETER }, aws.clients.ssm)).rejects.toThrow(
      'SSM GetParameter /sox/config (named by SOX_CONFIG_PARAMETER) failed: ParameterNotFound: ' +
        'Parameter not found. (the parameter does not exist in this account and region)',
    );
  });

  it('takes SOX_CONFIG without asking SSM, and refuses both or neither', async () => {
    const inline = await loadLambdaConfig({ [ENV.config]: JSON.stringify(lambdaConfigDocument()) }, aws.clients.ssm);
    expect(inline.archive).toBe('s3://sox-evidence/reports');
    expect(aws.calls()).toBe(0);
    await expect(
      loadLambdaConfig({ [ENV.config]: '{}', [ENV.configParameter]: CONFIG_PARAMETER }, aws.clients.ssm),
    ).rejects.toThrow(/set either SOX_CONFIG or SOX_CONFIG_PARAMETER, not both/);
    await expect(loadLambdaConfig({}, aws.clients.ssm)).rejects.toThrow(
      /^no configuration: set SOX_CONFIG .* or SOX_CONFIG_PARAMETER/,
    );
  });

  it('takes the archive from SOX_ARCHIVE, else the configuration, and only on S3', () => {
    expect(archiveLocation({ [ENV.archive]: 's3://other-bucket/x' }, config)).toBe('s3://other-bucket/x');
    expect(archiveLocation({}, config)).toBe('s3://sox-evidence/reports');
    expect(() => archiveLocation({ [ENV.archive]: '/tmp/reports' }, config)).toThrow(
      'SOX_ARCHIVE is "/tmp/reports": on AWS Lambda the archive must be s3://bucket/prefix',
    );
    expect(() => archiveLocation({}, parseConfig(lambdaConfigDocument({ archive: './reports' })))).toThrow(
      /^the configuration's "archive" \(SOX_ARCHIVE is not set\) is "\.\/reports"/,
    );
  });

  it('takes SOX_MAX_PERIOD_DAYS over report.maxPeriodDays', () => {
    expect(maxPeriodDays({}, config)).toBe(31);
    expect(maxPeriodDays({ [ENV.maxPeriodDays]: '92' }, config)).toBe(92);
    expect(() => maxPeriodDays({ [ENV.maxPeriodDays]: '0' }, config)).toThrow(InputError);
  });
});

describe('the NATS secret', () => {
  it('maps each source to its credentials: creds content, user and password, or token', () => {
    const creds =
      '-----BEGIN NATS USER JWT-----\neyJ0\n------END NATS USER JWT------\n-----BEGIN USER NKEY ' +
      'SEED-----\nSUAK\n------END USER NKEY SEED------\n';
    const secrets = parseNatsSecret(
      JSON.stringify({ audit: { creds }, app: { user: 'app', pass: SECRET_VALUES[0] } }),
      config,
      'secret X',
    );
    expect(secrets.get('audit')).toEqual({ creds });
    expect(secrets.get('app')).toEqual({ user: 'app', pass: SECRET_VALUES[0] });
    expect(parseNatsSecret(JSON.stringify({ app: { token: SECRET_VALUES[1] } }), config, 'secret X').has('audit')).toBe(
      false,
    );
  });

  const invalid: [string, string, RegExp][] = [
    [
      'an unknown source',
      JSON.stringify({ audit: { token: SECRET_VALUES[1] }, billing: { user: 'b', pass: SECRET_VALUES[0] } }),
      /^secret X: no source named "billing" in the configuration \(its sources: audit, app\)$/,
    ],
    [
      'an entry of no known shape',
      JSON.stringify({ app: { user: 'app', password: SECRET_VALUES[0] } }),
      /^secret X: "app": each entry must be exactly one of .*"creds".*"user".*"pass".*"token"/,
    ],
    [
      'two ways at once',
      JSON.stringify({ app: { token: SECRET_VALUES[1], user: 'u', pass: SECRET_VALUES[0] } }),
      /^secret X: "app": each entry must be exactly one of/,
    ],
    [
      'creds that are no creds file',
      JSON.stringify({ audit: { creds: SECRET_VALUES[2] } }),
      /^secret X: "audit": each entry must be exactly one of/,
    ],
    ['not JSON', `{"app": {"token": "${SECRET_VALUES[1]}"`, /^secret X: it is not valid JSON/],
    ['not an object', JSON.stringify([SECRET_VALUES[1]]), /^secret X: it must be a JSON object by source name/],
  ];
  for (const [what, secretString, message] of invalid) {
    it(`refuses ${what}, quoting no value`, () => {
      const error = (() => {
        try {
          parseNatsSecret(secretString, config, 'secret X');
        } catch (err) {
          return err as Error;
        }
        throw new Error('accepted');
      })();
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toMatch(message);
      expectNoSecretIn(error.message, String(error.stack));
    });
  }

  it(
    'a failed scheduled run names the unknown source, ' + 'and neither its error nor its logs hold a secret value',
    async () => {
      aws.mocks.secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
        SecretString: JSON.stringify({
          app: { user: 'app', pass: SECRET_VALUES[0] },
          reporting: { token: SECRET_VALUES[1] },
        }),
      });
      aws.mocks.ssm
        .on(GetParameterCommand, { Name: CERT_PARAMETER, WithDecryption: true })
        .resolves({ Parameter: { Value: certificatePem } });
      kmsWithRealKey();
      const env = {
        [ENV.config]: JSON.stringify(lambdaConfigDocument()),
        [ENV.natsSecretArn]: SECRET_ARN,
        [ENV.kmsKeyId]: 'alias/sox-signing',
        [ENV.certificateParameter]: CERT_PARAMETER,
      };
      const handler = createScheduledHandler(handlerDeps(env, aws.clients, Date.parse('2026-11-26T11:00:00Z')));
      const error = (await handler({}, lambdaContext('req-secret')).catch((e: unknown) => e)) as Error;
      expect(error.message).toBe(
        `scheduled report for 2026-11-25 failed: secret ${SECRET_ARN} (SOX_NATS_SECRET_ARN): ` +
          'no source named "reporting" in the configuration (its sources: audit, app)',
      );
      const logs = output.text();
      const errorLine = JSON.parse(logs.split('\n').find((l) => l.includes('"level":"ERROR"'))!);
      expect(errorLine).toMatchObject({
        message: error.message,
        runId: 'req-secret',
        period: '2026-11-25',
        function_request_id: 'req-secret',
      });
      expectNoSecretIn(error.message, String(error.stack), String((error.cause as Error).stack), logs);
    },
  );
});

describe('the signer on Lambda', () => {
  const env = { [ENV.kmsKeyId]: 'alias/sox-signing', [ENV.certificateParameter]: CERT_PARAMETER };

  it('is the KMS key with the certificate from SSM', async () => {
    aws.mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: certificatePem } });
    kmsWithRealKey();
    const signer = await lambdaSigner(env, aws.clients.kms, aws.clients.ssm);
    expect(signer.keyId).toBe(KEY_ARN);
    expect(signer.algorithm).toBe('ECDSA_SHA_256');
    expect(aws.mocks.ssm.commandCalls(GetParameterCommand)[0]!.args[0].input).toEqual({
      Name: CERT_PARAMETER,
      WithDecryption: true,
    });
  });

  it('a placeholder certificate: says how to make and store the real one, before asking KMS anything', async () => {
    aws.mocks.ssm
      .on(GetParameterCommand)
      .resolves({ Parameter: { Value: 'PLACEHOLDER: replace with the PEM certificate of the signing key' } });
    const error = (await lambdaSigner(env, aws.clients.kms, aws.clients.ssm).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain(
      'SSM parameter /sox/signing-cert (SOX_SIGNING_CERT_PARAMETER) does not hold a PEM certificate',
    );
    expect(error.message).toContain('sox-report certificate --kms-key alias/sox-signing --out cert.pem');
    expect(error.message).toContain(
      'aws ssm put-parameter --name /sox/signing-cert --type String --overwrite --value file://cert.pem',
    );
    expect(aws.mocks.kms.calls()).toHaveLength(0);
  });

  it('needs both the key and the certificate parameter', async () => {
    await expect(lambdaSigner({ [ENV.kmsKeyId]: 'alias/x' }, aws.clients.kms, aws.clients.ssm)).rejects.toThrow(
      /SOX_SIGNING_CERT_PARAMETER not set$/,
    );
  });
});

describe('awsPorts', () => {
  /** A deployed function's environment, with its certificate, NATS secret and KMS key answering. */
  const deployed = () => {
    aws.mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: certificatePem } });
    aws.mocks.secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ app: { user: 'app', pass: SECRET_VALUES[0] } }) });
    kmsWithRealKey();
    return {
      [ENV.natsSecretArn]: SECRET_ARN,
      [ENV.kmsKeyId]: 'alias/sox',
      [ENV.certificateParameter]: CERT_PARAMETER,
      [ENV.archive]: 's3://evidence/sox',
    };
  };

  it('builds the archive on S3, the KMS signer, SES and the NATS connections with the secret', async () => {
    const env = deployed();
    const ports = await awsPorts(env, aws.clients, testObservability().logger, config);
    expect(ports.archive.locate('daily/2026/11/25')).toBe('s3://evidence/sox/daily/2026/11/25');
    expect(ports.signer.keyId).toBe(KEY_ARN);
    expect(ports.mailer).not.toBeNull();
    expect(ports.templates.files.has('report.hbs')).toBe(true);
    expect(aws.mocks.secrets.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({ SecretId: SECRET_ARN });
    expect(aws.mocks.s3.calls()).toHaveLength(0);
  });

  it("builds the plan step's ports: no templates, branding, mailer or alerts (its bundle carries none)", async () => {
    const env = deployed();
    const ports = await planPorts(env, aws.clients, testObservability().logger, config, { now: () => 1_000 });
    expect(Object.keys(ports).sort()).toEqual(['archive', 'connect', 'deadline', 'log', 'now', 'signer']);
    expect(ports.archive.locate('daily/2026/11/25')).toBe('s3://evidence/sox/daily/2026/11/25');
    expect(ports.signer.keyId).toBe(KEY_ARN);
    expect(ports.now()).toBe(1_000_000_000n);
    expect(aws.mocks.ses.calls()).toHaveLength(0);
    expect(aws.mocks.sns.calls()).toHaveLength(0);
  });

  it('reads the integration secrets named by secretArn into the ports, and logs none of them', async () => {
    const hookArn = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:sox-hook-AbCdEf';
    aws.mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: certificatePem } });
    aws.mocks.secrets.on(GetSecretValueCommand, { SecretId: hookArn }).resolves({ SecretString: SECRET_VALUES[1] });
    kmsWithRealKey();
    const withHook = parseConfig(
      lambdaConfigDocument({
        incidents: {
          integrations: [{ type: 'webhook', name: 'hook', url: 'https://hooks.example.com/sox', secretArn: hookArn }],
        },
      }),
    );
    const env = { [ENV.kmsKeyId]: 'alias/sox', [ENV.certificateParameter]: CERT_PARAMETER };
    const ports = await awsPorts(env, aws.clients, testObservability().logger, withHook);
    expect([...ports.integrationSecrets!]).toEqual([[hookArn, { value: SECRET_VALUES[1] }]]);
    expect(aws.mocks.secrets.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: hookArn },
    ]);
    for (const value of SECRET_VALUES) expect(output.text()).not.toContain(value);
  });

  it('reads a logo relative to the task root', async () => {
    aws.mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: certificatePem } });
    kmsWithRealKey();
    const withLogo = parseConfig(lambdaConfigDocument({ branding: { logo: 'assets/logo.png' } }));
    const env = {
      [ENV.kmsKeyId]: 'alias/sox',
      [ENV.certificateParameter]: CERT_PARAMETER,
      LAMBDA_TASK_ROOT: '/var/task-that-is-not-here',
    };
    await expect(awsPorts(env, aws.clients, testObservability().logger, withLogo)).rejects.toThrow(
      'branding.logo: cannot read /var/task-that-is-not-here/assets/logo.png (ENOENT)',
    );
  });
});

describe('the scheduled event', () => {
  it('reports the day before the schedule fired when the event says when, whatever the clock says now', () => {
    expect(firedAt({ scheduledTime: '2026-11-26T11:00:00Z' })).toBe(Date.parse('2026-11-26T11:00:00Z'));
    expect(firedAt({})).toBeNull();
    expect(firedAt(null)).toBeNull();
    expect(() => firedAt({ scheduledTime: 'yesterday' })).toThrow(InputError);
  });

  it(
    'refuses a scheduledTime whose previous day has not ended, before asking AWS for anything but the ' +
      'configuration',
    async () => {
      const env = { [ENV.config]: JSON.stringify(lambdaConfigDocument()) };
      const handler = createScheduledHandler(handlerDeps(env, aws.clients, Date.parse('2026-11-26T11:00:00Z')));
      await expect(handler({ scheduledTime: '2026-11-28T11:00:00Z' }, lambdaContext())).rejects.toThrow(
        /^scheduled report failed: period: it ends at 2026-11-28T05:00:00\.000000000Z, which is in the future/,
      );
      expect(aws.calls()).toBe(0);
    },
  );
});

describe('the configuration placeholder the stack deploys', () => {
  it('says how to store the document', async () => {
    const mocked = mockedClients();
    mocked.mocks.ssm
      .on(GetParameterCommand)
      .resolves({ Parameter: { Value: 'PLACEHOLDER: put the configuration document here' } });
    await expect(loadLambdaConfig({ [ENV.configParameter]: CONFIG_PARAMETER }, mocked.clients.ssm)).rejects.toThrow(
      'invalid configuration in SSM parameter /sox/config: it holds no JSON document yet (a placeholder?). ' +
        'Store the configuration with `aws ssm put-parameter --name /sox/config --type String --overwrite ' +
        '--value file://sox-report.json`',
    );
    mocked.restore();
  });
});

describe('the link to an archived PDF too large to email', () => {
  it('expires when the credentials that signed it do (less a minute), never later than seven days', async () => {
    const now = new Date('2026-11-25T06:00:00Z');
    const { S3Client } = await import('@aws-sdk/client-s3');
    const s3 = new S3Client({
      region: 'us-east-1',
      credentials: {
        accessKeyId: 'ASIATEST',
        secretAccessKey: 'test',
        sessionToken: 'token',
        expiration: new Date(now.getTime() + 2 * 3600_000),
      },
    });
    const link = await pdfLinkFor(
      { ...mockedClients().clients, s3 },
      's3://sox-evidence/reports',
      'daily/2026/11/24/report.pdf',
      now,
    );
    expect(link.expiresAt.toISOString()).toBe('2026-11-25T07:59:00.000Z');
    expect(link.url).toMatch(
      /^https:\/\/sox-evidence\.s3\.us-east-1\.amazonaws\.com\/reports\/daily\/2026\/11\/24\/report\.pdf\?/,
    );
    expect(link.url).toContain('X-Amz-Expires=7140');

    const longLived = new S3Client({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'test' },
    });
    const week = await pdfLinkFor(
      { ...mockedClients().clients, s3: longLived },
      's3://sox-evidence',
      'daily/2026/11/24/report.pdf',
      now,
    );
    expect(week.url).toContain('X-Amz-Expires=604800');
  });

  it('reads the size limit from the environment, and refuses a limit SES would not honour', () => {
    expect(emailMaxBytes({})).toBe(40 * 1024 * 1024);
    expect(emailMaxBytes({ [ENV.emailMaxBytes]: '10485760' })).toBe(10_485_760);
    expect(() => emailMaxBytes({ [ENV.emailMaxBytes]: '50MB' })).toThrow(
      /SOX_EMAIL_MAX_BYTES is "50MB": it must be a number of bytes/,
    );
    expect(() => emailMaxBytes({ [ENV.emailMaxBytes]: String(41 * 1024 * 1024) })).toThrow(InputError);
  });
});
