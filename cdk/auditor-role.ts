import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge, wildcardResource } from './nag.js';
import { PUBLIC_KEY_ACTIONS } from './signing-key.js';

/** Reading a report and proving it is the one that was archived: contents, every version, its lock. */
export const AUDITOR_OBJECT_ACTIONS = [
  's3:GetObject',
  's3:GetObjectVersion',
  's3:GetObjectAttributes',
  's3:GetObjectVersionAttributes',
  's3:GetObjectRetention',
  's3:GetObjectLegalHold',
] as const;

/** Listing reports and versions, and the bucket settings that are evidence themselves (lock, versioning, policy). */
export const AUDITOR_BUCKET_ACTIONS = [
  's3:ListBucket',
  's3:ListBucketVersions',
  's3:GetBucketLocation',
  's3:GetBucketVersioning',
  's3:GetBucketObjectLockConfiguration',
  's3:GetBucketPolicy',
  's3:GetEncryptionConfiguration',
] as const;

export interface AuditorRoleProps {
  bucket: s3.IBucket;
  bucketKey: kms.IKey;
  signingKey: kms.IKey;
  /** Who may assume the role; null: principals of this account whose IAM policies allow sts:AssumeRole on it. */
  assumedBy: string | null;
}

/**
 * The role an auditor assumes to run `sox-report verify s3://…`: it reads reports, versions, retention, legal
 * holds and the public keys under keys/, and verifies signatures. It has no statement that writes, deletes or
 * signs; test/cdk/stack.test.ts checks every statement attached to it.
 */
export class AuditorRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: AuditorRoleProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: props.assumedBy ? new iam.ArnPrincipal(props.assumedBy) : new iam.AccountRootPrincipal(),
      description: 'Auditors: read-only access to the SOX report archive and its public signing key',
      maxSessionDuration: Duration.hours(4),
    });
    const policy = new iam.Policy(this, 'ReadOnly', {
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadReports',
          actions: [...AUDITOR_OBJECT_ACTIONS],
          resources: [props.bucket.arnForObjects('*')],
        }),
        new iam.PolicyStatement({
          sid: 'ListReports',
          actions: [...AUDITOR_BUCKET_ACTIONS],
          resources: [props.bucket.bucketArn],
        }),
        new iam.PolicyStatement({
          sid: 'DecryptReports',
          actions: ['kms:Decrypt'],
          resources: [props.bucketKey.keyArn],
        }),
        new iam.PolicyStatement({
          sid: 'VerifySignatures',
          actions: [...PUBLIC_KEY_ACTIONS],
          resources: [props.signingKey.keyArn],
        }),
      ],
    });
    policy.attachToRole(this.role);
    acknowledge(
      policy,
      wildcardResource(this, props.bucket.arnForObjects('*')),
      'Auditors read every report, version and public key in the archive (daily/, adhoc/, keys/): ' +
        'the object ARN must be the bucket with /*; every action is a read.',
    );
  }
}
