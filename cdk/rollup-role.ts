import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { FOLDERS } from '../functions/archive/layout.js';
import { acknowledge, wildcardResource } from './nag.js';
import { grantSendReports, type SendReportsAccess } from './report-role.js';

/**
 * Verifying the daily bundles a rollup rests on, as `verify` does: every object and version, with its lock (HeadObject
 * reports the lock only with GetObjectRetention/GetObjectLegalHold).
 */
export const ROLLUP_READ_ACTIONS = [
  's3:GetObject',
  's3:GetObjectVersion',
  's3:GetObjectRetention',
  's3:GetObjectLegalHold',
] as const;
/** Listing every version (what `verify` judges), and the unfinished uploads a crashed run of the rollup left. */
export const ROLLUP_LIST_ACTIONS = ['s3:ListBucket', 's3:ListBucketVersions', 's3:ListBucketMultipartUploads'] as const;
/** Writing once under lock (PutObject with the lock headers needs PutObjectRetention), and dropping stale uploads. */
export const ROLLUP_WRITE_ACTIONS = ['s3:PutObject', 's3:PutObjectRetention', 's3:AbortMultipartUpload'] as const;

/**
 * Where a rollup run writes, under the archive's prefix: its bundle, its delivery receipts, and the signing key's file
 * (written once before anything else, pipeline/bundle-place-open.ts; a key file already there is only compared).
 */
export function rollupWritePrefixes(archivePrefix: string): string[] {
  const under = (path: string) => (archivePrefix ? `${archivePrefix}/${path}` : path);
  return [under(`${FOLDERS.rollup}/`), under(`${FOLDERS.receipts}/${FOLDERS.rollup}/`), under(`${FOLDERS.keys}/`)];
}

export interface RollupRoleProps extends SendReportsAccess {
  bucket: s3.IBucket;
  bucketKey: kms.IKey;
  /** The archive's prefix in the bucket (`s3://bucket/<prefix>`); empty: the bucket root. */
  archivePrefix: string;
  config: ssm.IStringParameter;
  certificate: ssm.IStringParameter;
  natsCredentials: secretsmanager.ISecret;
}

/**
 * The execution role of the rollup function: it reads the whole archive (the dailies it verifies and re-performs),
 * writes only rollups (and their receipts and the key file), signs with the signing key (whose policy names it), reads
 * the sign-offs from NATS and sends the email. Not the report role: it can write no daily or ad-hoc bundle, publish no
 * alert and read no integration secret.
 */
export class RollupRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: RollupRoleProps) {
    super(scope, id);
    const role = (this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'SOX rollup function: verify the daily bundles, seal and archive rollups only, mail with SES',
    }));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadArchive',
        actions: [...ROLLUP_READ_ACTIONS],
        resources: [props.bucket.arnForObjects('*')],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListArchive',
        actions: [...ROLLUP_LIST_ACTIONS],
        resources: [props.bucket.bucketArn],
      }),
    );
    const writable = rollupWritePrefixes(props.archivePrefix).map((prefix) => props.bucket.arnForObjects(`${prefix}*`));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'WriteRollupsOnce', actions: [...ROLLUP_WRITE_ACTIONS], resources: writable }),
    );
    props.bucketKey.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    props.config.grantRead(role);
    props.certificate.grantRead(role);
    props.natsCredentials.grantRead(role);
    grantSendReports(role, props);

    for (const resource of [props.bucket.arnForObjects('*'), ...writable]) {
      acknowledge(
        role,
        wildcardResource(this, resource),
        'A rollup reads every object of the archive it verifies (daily/…, keys/…) and writes the objects of its own ' +
          'bundle, receipts and key file, whose names it makes: the object ARNs end in /*.',
      );
    }
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments/PutTelemetryRecords (tracing is active) support no resource-level permissions.',
    );
  }
}
