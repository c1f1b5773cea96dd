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
 * 1. every object version is written with Object Lock COMPLIANCE and a retain-until date (the pipeline sends them
 *    on each PutObject and CreateMultipartUpload): until that date no one, the account root included, can delete or
 *    overwrite that version or shorten its retention;
 * 2. versioning, which Object Lock makes impossible to suspend, so a second write under a key is a new version and
 *    never replaces the first; `verify` fails any key with more than one version or a delete marker, and reads
 *    the version it listed;
 * 3. this bucket policy, which denies to everyone:
 *    - deleting objects and versions (also after retention ends), and installing lifecycle rules, which S3 runs as
 *      itself, past any policy, and could hide every report behind delete markers;
 *    - creating an object without If-None-Match (AWS's conditional-write enforcement: s3:if-none-match must be
 *      there on PutObject and CompleteMultipartUpload; CreateMultipartUpload, UploadPart and UploadPartCopy take
 *      no conditional header, and s3:ObjectCreationOperation is false for exactly those), so no one can add a
 *      version over an existing key;
 *    - a lock mode other than COMPLIANCE wherever a request names one (PutObject, CreateMultipartUpload);
 *    - copies (CopyObject, UploadPartCopy): what is archived is written, never copied from elsewhere;
 * 4. the encryption key, whose deletion would make every report unreadable however locked: its policy denies
 *    scheduling that deletion.
 * What the policy cannot do is demand the lock headers themselves: UploadPart and CompleteMultipartUpload carry
 * none, and no condition key tells them from a PutObject or a CreateMultipartUpload that leaves them out. An
 * object created without them gets the bucket's default retention below, COMPLIANCE for retentionYears, so it is
 * locked all the same (and `verify` checks every object's lock). Changing that default
 * (s3:PutBucketObjectLockConfiguration) is therefore not denied here either: denying it to everyone would stop
 * this stack from ever raising retentionYears; keep it to the deploying role.
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
    for (const statement of conditionalWriteStatements(this.bucket.arnForObjects('*')))
      this.bucket.addToResourcePolicy(statement);
  }
}

/**
 * The write rules of the bucket policy (see ArchiveBucket): If-None-Match on every request that creates an object,
 * COMPLIANCE wherever a lock mode is named, and no copies. Every statement denies s3:PutObject, the one IAM action
 * of PutObject, CopyObject and each step of a multipart upload.
 */
export function conditionalWriteStatements(objects: string): iam.PolicyStatement[] {
  const deny = (sid: string, conditions: Record<string, Record<string, string>>) =>
    new iam.PolicyStatement({
      sid,
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [objects],
      conditions,
    });
  return [
    // As AWS documents it: the header absent (Null true) on an operation that creates the object.
    deny('DenyWritesWithoutIfNoneMatch', {
      Null: { 's3:if-none-match': 'true' },
      Bool: { 's3:ObjectCreationOperation': 'true' },
    }),
    // Null false: only where a mode is named; UploadPart and CompleteMultipartUpload name none (see the class).
    deny('DenyLockModesOtherThanCompliance', {
      StringNotEquals: { 's3:object-lock-mode': 'COMPLIANCE' },
      Null: { 's3:object-lock-mode': 'false' },
    }),
    deny('DenyCopies', { Null: { 's3:x-amz-copy-source': 'false' } }),
  ];
}
