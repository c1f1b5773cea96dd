import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** What anyone may do with the public half: it is published in the archive's keys/ anyway. */
export const PUBLIC_KEY_ACTIONS = ['kms:DescribeKey', 'kms:GetPublicKey', 'kms:Verify'] as const;

/**
 * Managing the key, delegated to the account's IAM policies. Deliberately absent: kms:Sign (below, for the report
 * and rollup roles only), kms:CreateGrant (a grant could hand Sign to anyone) and kms:ScheduleKeyDeletion (a deleted
 * key cannot sign tomorrow's report; the archived public keys still verify the old ones, but the chain would end).
 */
export const KEY_ADMIN_ACTIONS = [
  'kms:DescribeKey',
  'kms:GetKeyPolicy',
  'kms:PutKeyPolicy',
  'kms:ListResourceTags',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:EnableKey',
  'kms:DisableKey',
  'kms:UpdateKeyDescription',
  'kms:CreateAlias',
  'kms:UpdateAlias',
  'kms:DeleteAlias',
  'kms:ListGrants',
  'kms:RevokeGrant',
  'kms:CancelKeyDeletion',
] as const;

export interface SigningKeyProps {
  /** The roles whose sessions may sign: the report functions' role and the rollup function's. */
  signers: readonly iam.IRole[];
  /**
   * Someone who may also sign until a deadline, to make the key's certificate after the first deploy
   * (`sox-report certificate` signs it with this key). After `until` the statement grants nothing.
   */
  certificateIssuer?: { principalArn: string; until: string } | null;
}

/**
 * The asymmetric key that signs manifests and PDFs (ECDSA P-256, MessageType DIGEST). Its key policy does not
 * delegate signing to IAM, so no IAM policy anywhere in the account can give another principal kms:Sign: only
 * a change of this key policy can, and that is a CloudTrail event an auditor can look for.
 */
export class SigningKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: SigningKeyProps) {
    super(scope, id);
    const account = new iam.AccountRootPrincipal();
    const statements = [
      new iam.PolicyStatement({
        sid: 'KeyAdministration',
        principals: [account],
        actions: [...KEY_ADMIN_ACTIONS],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'ReadPublicKey',
        principals: [account],
        actions: [...PUBLIC_KEY_ACTIONS],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'OnlyTheReportRolesSign',
        principals: props.signers.map((signer) => new iam.ArnPrincipal(signer.roleArn)),
        actions: ['kms:Sign', 'kms:GetPublicKey', 'kms:DescribeKey'],
        resources: ['*'],
      }),
    ];
    if (props.certificateIssuer) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'CertificateIssuerSignsUntilDeadline',
          principals: [new iam.ArnPrincipal(props.certificateIssuer.principalArn)],
          actions: ['kms:Sign', 'kms:GetPublicKey', 'kms:DescribeKey'],
          resources: ['*'],
          conditions: { DateLessThan: { 'aws:CurrentTime': props.certificateIssuer.until } },
        }),
      );
    }
    this.key = new kms.Key(this, 'Key', {
      description: `Signs the SOX report bundles of ${Stack.of(this).stackName}`,
      keySpec: kms.KeySpec.ECC_NIST_P256,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
      policy: new iam.PolicyDocument({ statements }),
    });
  }
}
