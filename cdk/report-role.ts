import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as ses from 'aws-cdk-lib/aws-ses';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { acknowledge, wildcardAction, wildcardResource } from './nag.js';

/**
 * Writing a bundle once, under lock, and reading it back: PutObject with the lock headers needs
 * s3:PutObjectRetention, and HeadObject reports the lock it set only with s3:GetObjectRetention/GetObjectLegalHold.
 * The read-back asks for the exact version the write created, which is s3:GetObjectVersion (not s3:GetObject).
 * s3:PutObject also covers each step of a multipart upload (the evidence file); s3:AbortMultipartUpload lets a run
 * that failed half-way drop its parts, which nothing else would (the bucket refuses lifecycle rules). Aborting
 * an upload never touches an object that was completed.
 */
export const REPORT_OBJECT_ACTIONS = [
  's3:GetObject',
  's3:GetObjectVersion',
  's3:PutObject',
  's3:AbortMultipartUpload',
  's3:PutObjectRetention',
  's3:GetObjectRetention',
  's3:GetObjectLegalHold',
] as const;

export interface ReportAccess {
  bucket: s3.IBucket;
  bucketKey: kms.IKey;
  config: ssm.IStringParameter;
  certificate: ssm.IStringParameter;
  natsCredentials: secretsmanager.ISecret;
  /** The secrets the incident integrations name by `secretArn` (context integrationSecretArns). */
  integrationSecretArns: readonly string[];
  topic: sns.ITopic;
  configurationSet: ses.IConfigurationSet;
  /** The verified identity reports are sent from; null: any identity of the account. */
  sesIdentity: string | null;
  sesFromAddress: string | null;
}

/**
 * The one execution role of both report functions. Lambda's managed policy is not attached: the log groups are the
 * stack's own and each function gets write access to exactly its own (ReportFunction). Signing is granted by the
 * signing key's own policy, which names this role.
 */
export class ReportRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description:
        'SOX report functions: replay NATS, seal with the signing key, archive under Object Lock, mail with SES',
    });
  }

  grant(access: ReportAccess): void {
    const role = this.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteBundlesOnce',
        actions: [...REPORT_OBJECT_ACTIONS],
        resources: [access.bucket.arnForObjects('*')],
      }),
    );
    // Without ListBucket a missing key answers 403 instead of 404, and "is this day archived?" cannot be told;
    // the versions show what is really under a bundle's path before a run writes there (a newer version written
    // over an archived object included); the unfinished multipart uploads are the evidence of runs that died
    // mid-upload, which the next run of the period aborts.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListBundles',
        actions: ['s3:ListBucket', 's3:ListBucketVersions', 's3:ListBucketMultipartUploads'],
        resources: [access.bucket.bucketArn],
      }),
    );
    access.bucketKey.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    access.config.grantRead(role);
    access.certificate.grantRead(role);
    access.natsCredentials.grantRead(role);
    // Read once per run, before the integrations are sent to; only the secrets named in the settings.
    if (access.integrationSecretArns.length > 0) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ReadIntegrationSecrets',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [...access.integrationSecretArns],
        }),
      );
    }
    access.topic.grantPublish(role);

    grantSendReports(role, access);

    acknowledge(
      role,
      wildcardResource(this, access.bucket.arnForObjects('*')),
      'The functions write and read back every object of a bundle (daily/…, adhoc/…, keys/…): ' +
        'the object ARN must be the archive bucket with /*.',
    );
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments/PutTelemetryRecords (tracing is active) support no resource-level permissions.',
    );
    acknowledge(
      role,
      wildcardAction('kms:GenerateDataKey*'),
      "kms:GenerateDataKey* is how CDK grants publishing to the alert topic's KMS key; " +
        'the statement names that one key.',
    );
  }
}

/** Who sends the reports' emails, and from where: the configuration set, the identity and the From address. */
export type SendReportsAccess = Pick<ReportAccess, 'configurationSet' | 'sesIdentity' | 'sesFromAddress'>;

/**
 * SendEmail through the stack's configuration set only, from the verified identity (and From address) the settings
 * name: the report role's and the rollup role's one way to mail.
 */
export function grantSendReports(role: iam.Role, access: SendReportsAccess): void {
  const stack = Stack.of(role);
  const sesArn = (resource: string) => stack.formatArn({ service: 'ses', resource });
  const identities = access.sesIdentity ? [...new Set([access.sesIdentity, domainOf(access.sesIdentity)])] : ['*'];
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'SendReports',
      actions: ['ses:SendEmail', 'ses:SendRawEmail'],
      resources: [
        ...identities.map((identity) => sesArn(`identity/${identity}`)),
        sesArn(`configuration-set/${access.configurationSet.configurationSetName}`),
      ],
      ...(access.sesFromAddress ? { conditions: { StringEquals: { 'ses:FromAddress': access.sesFromAddress } } } : {}),
    }),
  );
  if (!access.sesIdentity) {
    acknowledge(
      role,
      wildcardResource(role, sesArn('identity/*')),
      'No sesIdentity was given in context, so the functions may send from any verified SES identity of ' +
        'the account; set sesIdentity to narrow it.',
    );
  }
}

function domainOf(identity: string): string {
  return identity.includes('@') ? identity.slice(identity.indexOf('@') + 1) : identity;
}
