import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface ReviewerPolicyProps {
  attest: lambda.IFunction;
}

/**
 * A managed policy to attach to the reviewers' roles or groups: sign off a bundle through the attest function's URL,
 * nothing more. The URL authorizes with IAM (SigV4), and the function records the signer's principal ARN from the
 * request context. Since October 2025 a function URL needs both actions; `lambda:InvokeFunction` is allowed only
 * through the URL, so no reviewer can invoke the function directly with an event naming someone else.
 */
export class ReviewerPolicy extends Construct {
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: ReviewerPolicyProps) {
    super(scope, id);
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: 'Sign off SOX report bundles through the attest function URL (IAM-authorized), nothing else',
      statements: [
        new iam.PolicyStatement({
          sid: 'SignOffThroughTheUrl',
          actions: ['lambda:InvokeFunctionUrl'],
          resources: [props.attest.functionArn],
          conditions: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
        }),
        new iam.PolicyStatement({
          sid: 'InvokeOnlyThroughTheUrl',
          actions: ['lambda:InvokeFunction'],
          resources: [props.attest.functionArn],
          conditions: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
        }),
      ],
    });
  }
}
