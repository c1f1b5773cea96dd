import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSoxReportsStack } from '../../cdk/build-app.js';
import type { SoxReportsStack } from '../../cdk/stack.js';
import { ENV } from '../../functions/handlers/environment.js';

/** The attest function, its URL, its role and the reviewer policy, in the stack `npx cdk deploy` would deploy. */
const CONTEXT = { timezone: 'America/New_York', sesIdentity: 'example.com', sesFromAddress: 'reports@example.com' };

type Statement = { Effect: string; Action: string | string[]; Resource?: unknown; Condition?: unknown; Sid?: string };
type Resource = { Type: string; Properties: Record<string, unknown> };

let outdir: string;
let stack: SoxReportsStack;
let template: Template;
let resources: Record<string, Resource>;

const id = (construct: IConstruct): string =>
  stack.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
const ref = (construct: IConstruct) => ({ Ref: id(construct) });
const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [id(construct), 'Arn'] });
const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** Every statement of every IAM policy attached to a role (inline and managed) and of the role itself. */
function roleStatements(roleId: string): Statement[] {
  const attached = Object.values(resources).filter(
    (r) =>
      (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') &&
      JSON.stringify(r.Properties.Roles ?? []).includes(JSON.stringify({ Ref: roleId })),
  );
  return attached.flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), 'sox-cdk-attest-'));
  const app = new App({ outdir, context: CONTEXT });
  stack = addSoxReportsStack(app);
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources as Record<string, Resource>;
}, 180_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('the attest function', () => {
  it('has a function URL with AWS_IAM authorization, and no other', () => {
    const urls = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Url');
    expect(urls).toEqual([
      {
        Type: 'AWS::Lambda::Url',
        Properties: { AuthType: 'AWS_IAM', TargetFunctionArn: arnOf(stack.attest.function) },
      },
    ]);
    // No resource policy opens it: who may call it is the callers' own IAM policies (the reviewer policy).
    const permissions = Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::Lambda::Permission' &&
        JSON.stringify(r.Properties.FunctionName) === JSON.stringify(arnOf(stack.attest.function)),
    );
    expect(permissions).toEqual([]);
  });

  it('runs the attest handler with its own role, 512 MB, 2 minutes, tracing, and only the variables it reads', () => {
    const props = resources[id(stack.attest.function)]!.Properties;
    expect(props).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 120,
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      Role: arnOf(stack.attestRole.role),
      LoggingConfig: { LogFormat: 'JSON', LogGroup: ref(stack.attest.logGroup) },
    });
    expect((props.Environment as { Variables: Record<string, unknown> }).Variables).toEqual({
      [ENV.configParameter]: ref(stack.inputs.config),
      [ENV.natsSecretArn]: ref(stack.inputs.natsCredentials),
      [ENV.archive]: { 'Fn::Join': ['', ['s3://', ref(stack.archive.bucket)]] },
      POWERTOOLS_SERVICE_NAME: 'nats-sox-reports-attest',
    });
    // Called synchronously through its URL: no asynchronous retries or failure destination.
    const invokeConfigs = Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::Lambda::EventInvokeConfig' &&
        JSON.stringify(r.Properties.FunctionName) === JSON.stringify(ref(stack.attest.function)),
    );
    expect(invokeConfigs).toEqual([]);
  });

  it('may read the archive, its key, the configuration and the NATS secret, and write, sign or send nothing', () => {
    const statements = roleStatements(id(stack.attestRole.role));
    const actions = statements.flatMap(actionsOf).sort();
    expect(actions).toEqual([
      'kms:Decrypt',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:GetObject',
      's3:GetObjectVersion',
      's3:ListBucket',
      's3:ListBucketVersions',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'ssm:DescribeParameters',
      'ssm:GetParameter',
      'ssm:GetParameterHistory',
      'ssm:GetParameters',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    const on = (resource: unknown) =>
      statements.filter((s) => JSON.stringify(s.Resource).includes(JSON.stringify(resource))).flatMap(actionsOf);
    expect(on(arnOf(stack.archive.key))).toEqual(['kms:Decrypt']);
    expect(on(ref(stack.inputs.natsCredentials)).sort()).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    // Neither the signing key's policy nor the certificate names this role.
    expect(JSON.stringify(resources[id(stack.signing.key)]!.Properties)).not.toContain(id(stack.attestRole.role));
    expect(on(ref(stack.inputs.certificate))).toEqual([]);
  });

  it('is bundled as the handler alone: no templates, fonts, pdfkit or ingest worker', () => {
    const code = resources[id(stack.attest.function)]!.Properties.Code as { S3Key: string };
    const assetDir = path.join(outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
    expect(readdirSync(assetDir).sort()).toEqual(['index.mjs']);
    const bundle = readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');
    expect(bundle).toContain('sox-report-attestation/v1');
    expect(bundle).toContain('no IAM identity: call the function URL with a request signed by an IAM principal');
  });
});

describe('reviewer policy', () => {
  it('allows calling the attest function URL with IAM authorization, and invoking it only through that URL', () => {
    const policy = resources[id(stack.reviewer.policy)]!;
    expect(policy.Type).toBe('AWS::IAM::ManagedPolicy');
    expect((policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement).toEqual([
      {
        Sid: 'SignOffThroughTheUrl',
        Effect: 'Allow',
        Action: 'lambda:InvokeFunctionUrl',
        Resource: arnOf(stack.attest.function),
        Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
      },
      {
        Sid: 'InvokeOnlyThroughTheUrl',
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: arnOf(stack.attest.function),
        Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
      },
    ]);
    // Attached to nobody by the stack: an administrator attaches it to the reviewers' roles or groups.
    expect(policy.Properties).not.toHaveProperty('Roles');
  });
});

describe('outputs', () => {
  it('give the URL, the function and the reviewer policy', () => {
    const outputs = template.findOutputs('*') as Record<string, { Value: unknown; Description: string }>;
    expect(outputs.AttestFunctionUrl).toEqual({
      Value: { 'Fn::GetAtt': [id(stack.attestUrl), 'FunctionUrl'] },
      Description: 'Function URL (AWS_IAM) a reviewer POSTs a sign-off to, signed with SigV4',
    });
    expect(outputs.AttestFunctionName).toEqual({
      Value: ref(stack.attest.function),
      Description: "Lambda function recording reviewers' sign-offs",
    });
    expect(outputs.ReviewerPolicyArn).toEqual({
      Value: ref(stack.reviewer.policy),
      Description: 'Managed policy to attach to reviewers: call the attest function URL, nothing else',
    });
  });
});

describe('cdk-nag AwsSolutions, the attest function included', () => {
  it('reports no finding that is not acknowledged in code', () => {
    const report = new AwsSolutionsChecks(stack.node.scope, { verbose: true }).validateScope(stack);
    expect(
      report.violations.map(
        (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
  });
});
