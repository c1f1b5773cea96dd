import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface ArchiveBucketProps {
  /** COMPLIANCE default retention; the pipeline also sets a retain-until date on every object it writes. */
  retentionYears: number;
}

/**
 * What keeps a report from being changed or removed, strongest first:
 * 1. every object version is written with Object Lock COMPLIANCE and a retain-until date (the pipeline does this on
 *    each PutObject; the policy below refuses a PutObject without it): until that date no one, the account root
 *    included, can delete or overwrite that version or shorten its retention;
 * 2. versioning, which Object Lock makes impossible to suspend, so a second write under a key is a new version and
 *    never replaces the first (the pipeline also writes with If-None-Match);
 * 3. this bucket policy, which denies deleting objects and versions (also after retention ends) and installing
 *    lifecycle rules, which S3 runs as itself, past any policy, and could hide every report behind delete markers;
 * 4. the encryption key, whose deletion would make every report unreadable however locked: its policy denies
 *    scheduling that deletion.
 * Changing the bucket's default retention (s3:PutBucketObjectLockConfiguration) is not denied: the default applies
 * only to objects written without a retention of their own, which the policy already refuses, so denying it would
 * protect nothing and would stop this stack from ever raising retentionYears.
 */
export class ArchiveBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: ArchiveBucketProps) {
    super(scope, id);
    const retentionDays = 365 * props.retentionYears;

    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the SOX report archive',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ArchiveKeyIsNeverDeleted',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:ScheduleKeyDeletion'],
        resources: ['*'],
      }),
    );

    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      // Server access logs can only be delivered to buckets encrypted with S3-managed keys.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      // Who read which report is evidence too: kept as long as the reports.
      lifecycleRules: [{ expiration: Duration.days(retentionDays), noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(Duration.days(retentionDays)),
      versioned: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'archive/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyDeletingReports',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
        resources: [this.bucket.arnForObjects('*')],
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyLifecycleRules',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutLifecycleConfiguration'],
        resources: [this.bucket.bucketArn],
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyWritesWithoutComplianceLock',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
        // An absent header makes StringNotEquals true as well: a write without a lock of its own is refused. This
        // also refuses CopyObject and multipart uploads without lock headers; the pipeline uses neither.
        conditions: { StringNotEquals: { 's3:object-lock-mode': 'COMPLIANCE' } },
      }),
    );
  }
}
