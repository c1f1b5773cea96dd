import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { acknowledge, wildcardResource } from './nag.js';

/** Reading an archived bundle (its manifest, as archived): no write, no lock, no delete. */
export const ATTEST_OBJECT_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion'] as const;
/** Telling a missing bundle (404) from a refused read (403), and finding the version that is there. */
export const ATTEST_BUCKET_ACTIONS = ['s3:ListBucket', 's3:ListBucketVersions'] as const;

export interface AttestRoleProps {
  bucket: s3.IBucket;
  bucketKey: kms.IKey;
  config: ssm.IStringParameter;
  natsCredentials: secretsmanager.ISecret;
}

/**
 * The execution role of the attest function: it reads the archive and the configuration, and the NATS credentials
 * with which the attestation is recorded. It is a role of its own because a function URL is a way in: what it may
 * do is kept to exactly that, and it is not the report role (it cannot sign, write a bundle or send email).
 */
export class AttestRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: AttestRoleProps) {
    super(scope, id);
    const role = (this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'SOX attest function: read an archived bundle, record a sign-off in NATS',
    }));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadBundles',
        actions: [...ATTEST_OBJECT_ACTIONS],
        resources: [props.bucket.arnForObjects('*')],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListBundles',
        actions: [...ATTEST_BUCKET_ACTIONS],
        resources: [props.bucket.bucketArn],
      }),
    );
    props.bucketKey.grant(role, 'kms:Decrypt');
    props.config.grantRead(role);
    props.natsCredentials.grantRead(role);

    acknowledge(
      role,
      wildcardResource(this, props.bucket.arnForObjects('*')),
      'The attest function reads the manifest of whichever bundle a reviewer names (daily/…, adhoc/…): ' +
        'the object ARN must be the archive bucket with /*. It may only read.',
    );
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments/PutTelemetryRecords (tracing is active) support no resource-level permissions.',
    );
  }
}
