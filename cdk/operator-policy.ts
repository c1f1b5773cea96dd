import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface OperatorPolicyProps {
  onDemand: lambda.IFunction;
}

/**
 * A managed policy to attach to the operators' roles or groups: run any period on demand, nothing more. The
 * function decides what a run may touch; the operator's own identity never reaches the archive or the key.
 */
export class OperatorPolicy extends Construct {
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: OperatorPolicyProps) {
    super(scope, id);
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: 'Invoke the on-demand SOX report function (any period, optional recipients)',
      statements: [
        new iam.PolicyStatement({
          sid: 'RunReportsOnDemand',
          actions: ['lambda:InvokeFunction'],
          resources: [props.onDemand.functionArn],
        }),
      ],
    });
  }
}
