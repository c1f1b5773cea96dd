import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readSettings } from './settings.js';
import { SoxReportsStack } from './stack.js';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Feature flags this stack is written and tested for, set in code rather than in cdk.json so that the tests'
 * apps and `npx cdk synth` build exactly the same template. cdk.json context still overrides any of them.
 */
export const FEATURE_FLAGS: Record<string, unknown> = {
  // Server access logs delivered by bucket policy, not ACLs (the archive buckets enforce bucket-owner ownership).
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  '@aws-cdk/aws-s3:createDefaultLoggingPolicy': true,
  '@aws-cdk/aws-iam:minimizePolicies': true,
  '@aws-cdk/core:enablePartitionLiterals': true,
  '@aws-cdk/core:target-partitions': ['aws', 'aws-cn', 'aws-us-gov'],
};

/**
 * Adds the SOX reports stack to an app, configured from the app's context (cdk/settings.ts), with cdk-nag's
 * AwsSolutions checks as a policy-validation plugin: `cdk synth` fails on any finding not acknowledged in code.
 */
export function addSoxReportsStack(app: App, projectRoot: string = PROJECT_ROOT): SoxReportsStack {
  for (const [flag, value] of Object.entries(FEATURE_FLAGS)) {
    if (app.node.tryGetContext(flag) === undefined) app.node.setContext(flag, value);
  }
  const settings = readSettings(app.node);
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  const stack = new SoxReportsStack(app, settings.stackName, {
    settings,
    projectRoot,
    description: 'nats-sox-reports: signed SOX control reports from NATS audit streams, archived under S3 Object Lock',
    // Without an account (no credentials) the template is environment-agnostic: nothing here needs a lookup.
    ...(account && region ? { env: { account, region } } : {}),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return stack;
}
