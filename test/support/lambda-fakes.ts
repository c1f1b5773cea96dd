import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { vi } from 'vitest';
import type { AwsClients } from '../../functions/handlers/aws-clients.js';
import { METRICS_NAMESPACE, type Observability } from '../../functions/handlers/observability.js';
import type { HandlerDeps } from '../../functions/handlers/run-period.js';

const REGION = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };

/** Stand-ins for the NATS secret's ARN and the signing certificate's SSM parameter, as the stack names them. */
export const NATS_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:nats-AbCdEf';
export const CERT_PARAMETER = '/nats-sox-reports/signing-certificate';

/** The parts of a Lambda context the handlers read. */
export function lambdaContext(awsRequestId = 'req-0001'): Context {
  return {
    awsRequestId,
    functionName: 'sox-report-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:sox-report-test',
    memoryLimitInMB: '1024',
    logGroupName: '/aws/lambda/sox-report-test',
    logStreamName: 'test',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Real Powertools objects (their JSON goes to stdout, where `captureOutput` finds it); tracing off. */
export function testObservability(): Observability {
  return {
    logger: new Logger({ serviceName: 'sox-test' }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'sox-test' }),
    tracer: new Tracer({ serviceName: 'sox-test', enabled: false }),
  };
}

export interface MockedClients {
  clients: AwsClients;
  mocks: {
    s3: AwsStub<any, any, any>;
    kms: AwsStub<any, any, any>;
    ssm: AwsStub<any, any, any>;
    secrets: AwsStub<any, any, any>;
    ses: AwsStub<any, any, any>;
    sns: AwsStub<any, any, any>;
  };
  /** Every command any client was sent. */
  calls(): number;
  restore(): void;
}

/** Clients of every service the handlers use, each mocked per instance: nothing reaches a network. */
export function mockedClients(): MockedClients {
  const clients: AwsClients = {
    s3: new S3Client(REGION),
    kms: new KMSClient(REGION),
    ssm: new SSMClient(REGION),
    secrets: new SecretsManagerClient(REGION),
    ses: new SESv2Client(REGION),
    sns: new SNSClient(REGION),
  };
  const mocks = {
    s3: mockClient(clients.s3),
    kms: mockClient(clients.kms),
    ssm: mockClient(clients.ssm),
    secrets: mockClient(clients.secrets),
    ses: mockClient(clients.ses),
    sns: mockClient(clients.sns),
  };
  return {
    clients,
    mocks,
    calls: () => Object.values(mocks).reduce((n, mock) => n + mock.calls().length, 0),
    restore: () => {
      for (const mock of Object.values(mocks)) mock.restore();
    },
  };
}

export function handlerDeps(env: Record<string, string | undefined>, clients: AwsClients, now: number): HandlerDeps {
  return { env, clients: () => clients, observability: testObservability(), now: () => now };
}

/** Whatever is written to stdout and stderr while it runs (Powertools' logs and metrics), kept off the terminal. */
export function captureOutput(): { text(): string; restore(): void } {
  const chunks: string[] = [];
  const keep = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  return {
    text: () => chunks.join(''),
    restore: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
}

/** A configuration as the stack would deploy it: S3 archive, email, two sources without passwords. */
export function lambdaConfigDocument(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    timezone: 'America/New_York',
    sources: [
      {
        name: 'audit',
        account: 'AUDIT',
        nats: { servers: ['nats://nats.internal:4222'] },
        streams: [{ stream: 'SYS_EVENTS', kind: 'system-events' }],
      },
      {
        name: 'app',
        account: 'APP',
        nats: { servers: ['nats://nats.internal:4222'] },
        streams: [{ stream: 'TRANSACTIONS', kind: 'transactions' }],
      },
    ],
    archive: 's3://sox-evidence/reports',
    email: { from: 'reports@example.com', to: ['cfo@example.com'] },
    ...overrides,
  };
}
