import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Tracer } from '@aws-lambda-powertools/tracer';

/** Every AWS service a report run talks to; tests hand in clients of their own (mocked or pointed at emulators). */
export interface AwsClients {
  s3: S3Client;
  kms: KMSClient;
  ssm: SSMClient;
  secrets: SecretsManagerClient;
  ses: SESv2Client;
  sns: SNSClient;
}

let shared: AwsClients | undefined;

/**
 * The clients of this container, made on first use and kept: a warm invocation reuses their connections and
 * resolved credentials. Region and credentials come from the Lambda environment; X-Ray sees every call.
 */
export function sharedAwsClients(tracer: Tracer): AwsClients {
  shared ??= {
    s3: tracer.captureAWSv3Client(new S3Client({})),
    kms: tracer.captureAWSv3Client(new KMSClient({})),
    ssm: tracer.captureAWSv3Client(new SSMClient({})),
    secrets: tracer.captureAWSv3Client(new SecretsManagerClient({})),
    ses: tracer.captureAWSv3Client(new SESv2Client({})),
    sns: tracer.captureAWSv3Client(new SNSClient({})),
  };
  return shared;
}
