import { createRequire } from 'node:module';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { addSoxReportsStack } from '../../cdk/build-app.js';
import { SCHEDULE_RETRY } from '../../cdk/daily-schedule.js';
import { DEFAULTS, readSettings, SettingsError } from '../../cdk/settings.js';
import type { SoxReportsStack } from '../../cdk/stack.js';
import { ENV } from '../../functions/handlers/environment.js';

/**
 * The Step Functions fan-out in the stack `npx cdk deploy` would deploy: the state machine's definition exactly (and
 * valid ASL by asl-validator), the staging bucket, least-privilege roles, and the schedule's target by the setting.
 * Synthesized without bundling (stack.test.ts pays for esbuild once).
 */
const require = createRequire(import.meta.url);
const aslValidator = require('asl-validator') as (definition: unknown) => {
  isValid: boolean;
  errors: { message?: string }[];
};

const CONTEXT = {
  'aws:cdk:bundling-stacks': [],
  timezone: 'America/New_York',
  sesIdentity: 'example.com',
  sesFromAddress: 'reports@example.com',
};

type Statement = { Effect: string; Action: string | string[]; Resource?: unknown; Condition?: unknown; Sid?: string };
type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };

function build(context: Record<string, unknown> = {}) {
  const stack = addSoxReportsStack(new App({ context: { ...CONTEXT, ...context } }));
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
  const id = (construct: IConstruct): string =>
    stack.resolve(stack.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement)) as string;
  const statements = (roleId: string): Statement[] =>
    Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(`"${roleId}"`))
      .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  return { stack, resources, id, statements };
}

let built: ReturnType<typeof build>;
let stack: SoxReportsStack;
let id: (construct: IConstruct) => string;
const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [id(construct), 'Arn'] });
const staged = () => ({ 'Fn::Join': ['', [arnOf(stack.fanOutStaging.bucket), '/runs/*']] });

/** The definition as deployed, with the template's references put in as the ARNs and URLs they become. */
function definition(): Record<string, any> {
  const machine = built.resources[id(stack.fanOut.stateMachine)]!.Properties;
  const parts = (machine.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const p = part as { 'Fn::GetAtt'?: [string, string]; Ref?: string };
      if (p['Fn::GetAtt']) return `arn:aws:lambda:us-east-1:111122223333:function:${p['Fn::GetAtt'][0]}`;
      if (p.Ref === 'AWS::Partition') return 'aws';
      if (p.Ref) return `https://sqs.us-east-1.amazonaws.com/111122223333/${p.Ref}`;
      throw new Error(`unexpected part ${JSON.stringify(part)}`);
    })
    .join('');
  return JSON.parse(text) as Record<string, any>;
}

beforeAll(() => {
  built = build();
  ({ stack, id } = built);
}, 120_000);

describe('the fan-out state machine', () => {
  const fn = (which: 'plan' | 'slice' | 'merge') =>
    `arn:aws:lambda:us-east-1:111122223333:function:${id(stack.fanOut[which].function)}`;
  const lambdaRetry = [
    {
      ErrorEquals: [
        'Lambda.ClientExecutionTimeoutException',
        'Lambda.ServiceException',
        'Lambda.AWSLambdaException',
        'Lambda.SdkClientException',
      ],
      IntervalSeconds: 2,
      MaxAttempts: 6,
      BackoffRate: 2,
    },
    // A failed step twice more, as Lambda retries the scheduled function's failed run.
    { ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 60, MaxAttempts: 2, BackoffRate: 2 },
  ];
  const toFailedRuns = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'SendToFailedRuns' }];

  it('plans, reads every slice in a distributed map, merges; retries; sends failures to the queue', () => {
    expect(definition()).toEqual({
      Comment: 'SOX report of one period fanned out over many Lambdas: plan, read slices, merge',
      StartAt: 'PlanSlices',
      TimeoutSeconds: 6 * 3600,
      States: {
        PlanSlices: {
          Type: 'Task',
          Comment: 'Size the period and split it into slices',
          Resource: fn('plan'),
          Retry: lambdaRetry,
          Catch: toFailedRuns,
          Next: 'ReadSlices',
        },
        ReadSlices: {
          Type: 'Map',
          Comment: 'Every slice of the plan, in parallel',
          ItemsPath: '$.slices',
          ItemSelector: { 'runId.$': '$.runId', 'position.$': '$$.Map.Item.Index', 'slice.$': '$$.Map.Item.Value' },
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'ReadSlice',
            States: {
              ReadSlice: {
                Type: 'Task',
                Comment: 'Read one slice into the staging bucket; return the digests of what it wrote',
                Resource: fn('slice'),
                // Only what the merge checks the parts against: no message count, nothing else.
                ResultSelector: {
                  'position.$': '$.position',
                  'attempt.$': '$.attempt',
                  'part.$': '$.part',
                  'evidence.$': '$.evidence',
                },
                Retry: lambdaRetry,
                End: true,
              },
            },
          },
          MaxConcurrency: DEFAULTS.fanOutMaxConcurrency,
          // The slice functions' results reach the merge through the state, beside the plan: not through the bucket.
          ResultPath: '$.results',
          Catch: toFailedRuns,
          Next: 'MergeAndSeal',
        },
        MergeAndSeal: {
          Type: 'Task',
          Comment: 'Merge the slices; render, seal, archive, deliver',
          Resource: fn('merge'),
          Retry: lambdaRetry,
          Catch: toFailedRuns,
          End: true,
        },
        SendToFailedRuns: {
          Type: 'Task',
          Comment: 'The failed-runs queue, whose alarm tells the alert topic',
          Resource: 'arn:aws:states:::sqs:sendMessage',
          Parameters: {
            QueueUrl: `https://sqs.us-east-1.amazonaws.com/111122223333/${id(stack.failedRuns)}`,
            MessageBody: {
              'fanOut.$': '$$.Execution.Id',
              'input.$': '$$.Execution.Input',
              'error.$': '$.failure.Error',
              'cause.$': '$.failure.Cause',
            },
          },
          ResultPath: null,
          Next: 'Failed',
        },
        Failed: { Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' },
      },
    });
  });

  it('is valid Amazon States Language by asl-validator, which refuses a broken copy', () => {
    const checked = aslValidator(definition());
    expect(checked.errors).toEqual([]);
    expect(checked.isValid).toBe(true);
    const broken = definition();
    broken.States.ReadSlices.Next = 'Nowhere';
    delete broken.States.PlanSlices.Resource;
    expect(aslValidator(broken).isValid).toBe(false);
  });

  it('logs every event without the data, is traced, and alarms when an execution times out', () => {
    const machine = built.resources[id(stack.fanOut.stateMachine)]!.Properties;
    expect(machine.LoggingConfiguration).toEqual({
      Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: arnOf(stack.fanOut.logGroup) } }],
      IncludeExecutionData: false,
      Level: 'ALL',
    });
    expect(machine.TracingConfiguration).toEqual({ Enabled: true });
    const alarms = Object.values(built.resources).filter(
      (r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.Namespace === 'AWS/States',
    );
    expect(alarms.map((a) => a.Properties)).toEqual([
      {
        AlarmActions: [{ Ref: id(stack.alerts.topic) }],
        AlarmDescription: 'A fan-out execution timed out: its period has no bundle',
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: id(stack.fanOut.stateMachine) } }],
        EvaluationPeriods: 1,
        MetricName: 'ExecutionsTimedOut',
        Namespace: 'AWS/States',
        Period: 300,
        Statistic: 'Sum',
        Threshold: 1,
        TreatMissingData: 'notBreaching',
      },
    ]);
  });

  it('may invoke its three functions and send to the failed-runs queue, nothing else of ours', () => {
    const own = built.statements(id(stack.fanOut.stateMachine.role));
    const invoke = own.find((s) => s.Action === 'lambda:InvokeFunction')!;
    const fns = [stack.fanOut.merge, stack.fanOut.plan, stack.fanOut.slice].map((f) => arnOf(f.function));
    expect(invoke.Resource).toEqual([...fns, ...fns.map((f) => ({ 'Fn::Join': ['', [f, ':*']] }))]);
    expect(own.find((s) => s.Action === 'sqs:SendMessage')!.Resource).toEqual(arnOf(stack.failedRuns));
    expect(JSON.stringify(own)).not.toContain(id(stack.archive.bucket));
  });
});

describe('the staging bucket', () => {
  it('is private, TLS-only, encrypted with the archive key, unlocked, and forgets a run after 7 days', () => {
    const bucket = built.resources[id(stack.fanOutStaging.bucket)]!;
    expect(bucket.Properties).toEqual({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { KMSMasterKeyID: arnOf(stack.archive.key), SSEAlgorithm: 'aws:kms' },
          },
        ],
      },
      LifecycleConfiguration: {
        Rules: [
          {
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            ExpirationInDays: 7,
            Prefix: 'runs/',
            Status: 'Enabled',
          },
        ],
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: id(stack.archive.accessLogs) }, LogFilePrefix: 'staging/' },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    const policy = Object.values(built.resources).find(
      (r) =>
        r.Type === 'AWS::S3::BucketPolicy' &&
        JSON.stringify(r.Properties.Bucket) === JSON.stringify({ Ref: id(stack.fanOutStaging.bucket) }),
    )!;
    expect(
      (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement.map((s) => [s.Effect, s.Condition]),
    ).toEqual([
      ['Deny', { Bool: { 'aws:SecureTransport': 'false' } }],
      ['Deny', { NumericLessThan: { 's3:TlsVersion': 1.2 } }],
    ]);
  });
});

describe('the fan-out roles', () => {
  it('let the slice function write only its parts under runs/, read its inputs, and touch no archive', () => {
    const statements = built.statements(id(stack.fanOutStaging.sliceRole));
    expect(statements.filter((s) => s.Sid)).toEqual([
      {
        Sid: 'WriteSliceParts',
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:PutObject'],
        Resource: staged(),
      },
    ]);
    expect(statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort()).toEqual([
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:AbortMultipartUpload',
      's3:PutObject',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'ssm:DescribeParameters',
      'ssm:GetParameter',
      'ssm:GetParameterHistory',
      'ssm:GetParameters',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    expect(JSON.stringify(statements)).not.toContain(id(stack.archive.bucket));
    expect(JSON.stringify(statements)).not.toContain(id(stack.signing.key));
  });

  it('give the merge (and the plan) the report role’s rights plus reading and removing the parts', () => {
    const merge = built.statements(id(stack.fanOutStaging.mergeRole.role));
    const report = built.statements(id(stack.reportRole.role));
    const sids = (list: Statement[]) => list.filter((s) => s.Sid);
    expect(sids(merge)).toEqual([
      ...sids(report),
      {
        Sid: 'ReadAndRemoveSliceParts',
        Effect: 'Allow',
        Action: ['s3:DeleteObject', 's3:GetObject'],
        Resource: staged(),
      },
      {
        Sid: 'ListSliceParts',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: arnOf(stack.fanOutStaging.bucket),
        Condition: { StringLike: { 's3:prefix': ['runs/*'] } },
      },
    ]);
    // Deleting is granted on the staging bucket's runs/ only: never on the archive (whose policy denies it anyway).
    const deletes = merge.filter((s) => JSON.stringify(s.Action).includes('Delete'));
    expect(deletes.map((s) => s.Resource)).toEqual([staged()]);
    // It signs, as the report role does: the signing key's policy names it.
    const key = built.resources[id(stack.signing.key)]!.Properties.KeyPolicy as { Statement: Statement[] };
    const signers = key.Statement.filter((s) => JSON.stringify(s.Action).includes('kms:Sign'));
    expect(JSON.stringify(signers)).toContain(id(stack.fanOutStaging.mergeRole.role));
  });

  it('run the plan and merge with the merge role, the slice with its own, each 15 minutes at most', () => {
    const props = (f: IConstruct) => built.resources[id(f)]!.Properties;
    expect(props(stack.fanOut.plan.function)).toMatchObject({
      Role: arnOf(stack.fanOutStaging.mergeRole.role),
      Timeout: 300,
    });
    expect(props(stack.fanOut.merge.function)).toMatchObject({
      Role: arnOf(stack.fanOutStaging.mergeRole.role),
      Timeout: 900,
    });
    expect(props(stack.fanOut.slice.function)).toMatchObject({
      Role: arnOf(stack.fanOutStaging.sliceRole),
      Timeout: 900,
      MemorySize: 1769,
      Environment: {
        Variables: {
          [ENV.configParameter]: { Ref: id(stack.inputs.config) },
          [ENV.natsSecretArn]: { Ref: id(stack.inputs.natsCredentials) },
          [ENV.sliceStaging]: { 'Fn::Join': ['', ['s3://', { Ref: id(stack.fanOutStaging.bucket) }, '/runs']] },
          POWERTOOLS_SERVICE_NAME: 'nats-sox-reports-fan-out-slice',
        },
      },
    });
    const plan = props(stack.fanOut.plan.function).Environment as { Variables: Record<string, unknown> };
    expect(plan.Variables[ENV.sliceMessagesPerSecond]).toBe('40000');
    expect(plan.Variables[ENV.sliceBudgetSeconds]).toBe('480');
    const merge = props(stack.fanOut.merge.function).Environment as { Variables: Record<string, unknown> };
    expect(merge.Variables.POWERTOOLS_SERVICE_NAME).toBe('nats-sox-reports-fan-out-merge');
  });
});

describe('the operator policy', () => {
  it('lets operators start an execution and see how it ended, of this state machine only', () => {
    const policy = built.resources[id(stack.operator.policy)]!.Properties.PolicyDocument as { Statement: Statement[] };
    expect(policy.Statement.filter((s) => JSON.stringify(s.Action).includes('states:'))).toEqual([
      {
        Sid: 'RunFanOutOnDemand',
        Effect: 'Allow',
        Action: 'states:StartExecution',
        Resource: { Ref: id(stack.fanOut.stateMachine) },
      },
      {
        Sid: 'SeeFanOutExecutions',
        Effect: 'Allow',
        Action: 'states:DescribeExecution',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':states:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':execution:',
              { 'Fn::GetAtt': [id(stack.fanOut.stateMachine), 'Name'] },
              ':*',
            ],
          ],
        },
      },
    ]);
  });
});

describe('the daily schedule and the fan-out setting', () => {
  it('invokes the scheduled function by default, and starts the state machine when fanOutScheduled is true', () => {
    const target = (b: ReturnType<typeof build>) =>
      (b.resources[b.id(b.stack.daily.schedule)]!.Properties.Target as Record<string, unknown>).Arn;
    expect(target(built)).toEqual({ 'Fn::GetAtt': [id(stack.scheduled.function), 'Arn'] });

    const on = build({ fanOutScheduled: 'true', fanOutMaxConcurrency: 4 });
    const schedule = on.resources[on.id(on.stack.daily.schedule)]!.Properties.Target;
    expect(schedule).toEqual({
      Arn: { Ref: on.id(on.stack.fanOut.stateMachine) },
      RoleArn: { 'Fn::GetAtt': [on.id(on.stack.daily.node.findChild('InvokeRole')), 'Arn'] },
      Input: JSON.stringify({ scheduledTime: '<aws.scheduler.scheduled-time>' }),
      RetryPolicy: {
        MaximumRetryAttempts: SCHEDULE_RETRY.retryAttempts,
        MaximumEventAgeInSeconds: SCHEDULE_RETRY.maxEventAge.toSeconds(),
      },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [on.id(on.stack.scheduleDeadLetters), 'Arn'] } },
    });
    expect(on.statements(on.id(on.stack.daily.node.findChild('InvokeRole')))).toEqual([
      { Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: on.id(on.stack.fanOut.stateMachine) } },
      {
        Action: 'sqs:SendMessage',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [on.id(on.stack.scheduleDeadLetters), 'Arn'] },
      },
    ]);
    // The merge then archives the dailies the deadline alarm counts: it reports as the scheduled service.
    const merge = on.resources[on.id(on.stack.fanOut.merge.function)]!.Properties.Environment as {
      Variables: Record<string, unknown>;
    };
    expect(merge.Variables.POWERTOOLS_SERVICE_NAME).toBe('nats-sox-reports');
    expect(JSON.stringify(on.resources[on.id(on.stack.fanOut.stateMachine)]!.Properties.DefinitionString)).toContain(
      '\\"MaxConcurrency\\":4',
    );
  });

  it('reads its settings from the context, with defaults, and refuses a bad value naming the key', () => {
    const settingsOf = (context: Record<string, unknown>) => readSettings(new App({ context }).node).fanOut;
    expect(settingsOf({})).toEqual({
      scheduled: false,
      maxConcurrency: 16,
      messagesPerSecond: 40_000,
      budgetSeconds: 480,
    });
    expect(settingsOf({ fanOutScheduled: true, sliceMessagesPerSecond: '60000', sliceBudgetSeconds: 600 })).toEqual({
      scheduled: true,
      maxConcurrency: 16,
      messagesPerSecond: 60_000,
      budgetSeconds: 600,
    });
    expect(() => settingsOf({ fanOutScheduled: 'yes' })).toThrow(
      new SettingsError('context fanOutScheduled: expected true or false, got "yes"'),
    );
    expect(() => settingsOf({ sliceBudgetSeconds: 900 })).toThrow(
      new SettingsError('context sliceBudgetSeconds: expected a whole number from 60 to 840, got 900'),
    );
    expect(() => settingsOf({ fanOutMaxConcurrency: 0 })).toThrow(
      new SettingsError('context fanOutMaxConcurrency: expected a whole number from 1 to 1000, got 0'),
    );
  });
});

describe('cdk-nag AwsSolutions, the fan-out included', () => {
  it('reports no finding that is not acknowledged in code', () => {
    const report = new AwsSolutionsChecks(stack.node.scope, { verbose: true }).validateScope(stack);
    expect(
      report.violations.map(
        (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
  });
});
