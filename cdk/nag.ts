import { Stack, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag 3 acknowledges one finding at a time, by the exact id it reports:
 * `AwsSolutions-IAM5[Resource::<Bucket.Arn>/*]`. These build those ids from the same values the policies use, so a
 * renamed construct cannot leave an acknowledgment behind that matches nothing while the finding it meant comes back.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** The finding of IAM5 for a wildcard resource, e.g. `bucket.arnForObjects('*')`. */
export function wildcardResource(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(resource))}]`;
}

/** The finding of IAM5 for a wildcard action, e.g. `kms:GenerateDataKey*`. */
export function wildcardAction(action: string): string {
  return `AwsSolutions-IAM5[Action::${action}]`;
}

/** The finding of IAM4 for an AWS managed policy, by its name under `arn:<partition>:iam::aws:policy/`. */
export function awsManagedPolicy(name: string): string {
  return `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`;
}
