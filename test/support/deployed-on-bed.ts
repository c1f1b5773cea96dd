/**
 * The handlers as the stack deploys them, in this process, over a real test bed: the configuration without
 * passwords (they are in the NATS secret), a KMS key backed by a real private key (so signatures verify), the
 * certificate in SSM, SES requests captured, and S3 an in-memory bucket with Object Lock.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { demoConfig } from '../../functions/cli/demo.js';
import type { AwsClients } from '../../functions/handlers/aws-clients.js';
import { ENV } from '../../functions/handlers/environment.js';
import type { TestBed } from './hub.js';
import { KMS_KEY_ARN, kmsHoldingKey } from './kms-mock.js';
import { CERT_PARAMETER, mockedClients, NATS_SECRET_ARN, type MockedClients } from './lambda-fakes.js';
import { FakeBucket } from './s3-fake.js';
import { createTestSigner } from './test-signer.js';

export interface DeployedOnBed {
  /** The configuration document, as the stack stores it. */
  document: Record<string, unknown>;
  aws: MockedClients;
  bucket: FakeBucket;
  /** The mocked clients with the in-memory bucket's S3. */
  clients: AwsClients;
  /** What the stack sets for a report function, the configuration given inline. */
  env: Record<string, string>;
  /** Each SendEmail request, in order; its message id is `ses-<n>`. */
  sent: SendEmailCommandInput[];
}

export function deployedOnBed(
  bed: Pick<TestBed, 'hub'>,
  options: { archive: string; email: Record<string, unknown>; signerName: string },
): DeployedOnBed {
  const demo = demoConfig(bed.hub.url, bed.hub.passwords, '/unused') as Record<string, unknown>;
  const sources = (demo.sources as { nats: Record<string, unknown> }[]).map((source) => {
    const { user: _user, pass: _pass, ...nats } = source.nats;
    return { ...source, nats };
  });
  const document = { ...demo, sources, archive: options.archive, signing: undefined, email: options.email };
  const signer = createTestSigner('ECDSA_SHA_256', options.signerName);
  const bucket = new FakeBucket();
  const aws = mockedClients();
  kmsHoldingKey(aws.mocks.kms, createPrivateKey(readFileSync(signer.keyPath)));
  aws.mocks.ssm
    .on(GetParameterCommand, { Name: CERT_PARAMETER })
    .resolves({ Parameter: { Name: CERT_PARAMETER, Value: signer.certificatePem } });
  aws.mocks.secrets.on(GetSecretValueCommand, { SecretId: NATS_SECRET_ARN }).resolves({
    SecretString: JSON.stringify({
      audit: { user: 'audit', pass: bed.hub.passwords.audit },
      app: { user: 'app', pass: bed.hub.passwords.app },
    }),
  });
  const sent: SendEmailCommandInput[] = [];
  aws.mocks.ses.on(SendEmailCommand).callsFake((input: SendEmailCommandInput) => {
    sent.push(input);
    return { MessageId: `ses-${sent.length}` };
  });
  return {
    document,
    aws,
    bucket,
    clients: { ...aws.clients, s3: bucket.client },
    env: {
      [ENV.config]: JSON.stringify(document),
      [ENV.natsSecretArn]: NATS_SECRET_ARN,
      [ENV.kmsKeyId]: KMS_KEY_ARN,
      [ENV.certificateParameter]: CERT_PARAMETER,
    },
    sent,
  };
}
