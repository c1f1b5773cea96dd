import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledge, wildcardResource } from './nag.js';

export interface OperatorPolicyProps {
  onDemand: lambda.IFunction;
  /** The rollup function: `{"rollup": {…}}` on demand (its own role writes only rollups). */
  rollup: lambda.IFunction;
  /** The fan-out's state machine (cdk/fan-out.ts): an execution of any period, and what became of it. */
  fanOut?: sfn.StateMachine;
}

/**
 * A managed policy to attach to the operators' roles or groups: run any period or rollup on demand, nothing more. The
 * function decides what a run may touch; the operator's own identity never reaches the archive or the key.
 */
export class OperatorPolicy extends Construct {
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: OperatorPolicyProps) {
    super(scope, id);
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description:
        'Invoke the on-demand SOX report and rollup functions (any period, optional recipients); start the fan-out',
      statements: [
        new iam.PolicyStatement({
          sid: 'RunReportsOnDemand',
          actions: ['lambda:InvokeFunction'],
          resources: [props.onDemand.functionArn],
        }),
        new iam.PolicyStatement({
          sid: 'RunRollupsOnDemand',
          actions: ['lambda:InvokeFunction'],
          resources: [props.rollup.functionArn],
        }),
      ],
    });
    if (props.fanOut) {
      const executions = Stack.of(this).formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${props.fanOut.stateMachineName}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      this.policy.addStatements(
        new iam.PolicyStatement({
          sid: 'RunFanOutOnDemand',
          actions: ['states:StartExecution'],
          resources: [props.fanOut.stateMachineArn],
        }),
        new iam.PolicyStatement({
          sid: 'SeeFanOutExecutions',
          actions: ['states:DescribeExecution'],
          resources: [executions],
        }),
      );
      acknowledge(
        this.policy,
        wildcardResource(this, executions),
        "An execution's name is made when it starts: the executions of the one fan-out state machine.",
      );
    }
  }
}
