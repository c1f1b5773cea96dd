import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSoxReportsStack } from '../../cdk/build-app.js';
import { SCHEDULE_RETRY } from '../../cdk/daily-schedule.js';
import { ESM_REQUIRE_BANNER, PDF_FONT_FILES } from '../../cdk/bundle-files.js';
import { readSettings, SettingsError } from '../../cdk/settings.js';
import type { SoxReportsStack } from '../../cdk/stack.js';
import { ENV } from '../../functions/handlers/environment.js';

/** The rollup function, its role and its schedules, in the stack `npx cdk deploy` would deploy (bundled for real). */
const CONTEXT = {
  timezone: 'America/New_York',
  sesIdentity: 'example.com',
  sesFromAddress: 'reports@example.com',
  archivePrefix: 'reports',
};

type Statement = { Effect: string; Action: string | string[]; Resource?: unknown; Condition?: unknown; Sid?: string };
type Resource = { Type: string; Properties: Record<string, unknown> };

let outdir: string;
let stack: SoxReportsStack;
let resources: Record<string, Resource>;

const id = (construct: IConstruct): string =>
  stack.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
const ref = (construct: IConstruct) => ({ Ref: id(construct) });
const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [id(construct), 'Arn'] });
const objects = (suffix: string) => ({ 'Fn::Join': ['', [arnOf(stack.archive.bucket), suffix]] });
const sesArn = (resource: unknown[]) => ({
  'Fn::Join': [
    '',
    ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ...resource],
  ],
});
const parameterArn = (parameter: IConstruct) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':ssm:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':parameter',
      ref(parameter),
    ],
  ],
});

/** Every statement of every IAM policy attached to a role. */
function roleStatements(roleId: string): Statement[] {
  return Object.values(resources)
    .filter(
      (r) =>
        (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') &&
        JSON.stringify(r.Properties.Roles ?? []).includes(JSON.stringify({ Ref: roleId })),
    )
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), 'sox-cdk-rollup-'));
  stack = addSoxReportsStack(new App({ outdir, context: CONTEXT }));
  resources = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
}, 180_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('the rollup schedules', () => {
  const schedules = () => Object.values(resources).filter((r) => r.Type === 'AWS::Scheduler::Schedule');
  const target = (which: 'monthly' | 'quarterly') => ({
    Arn: arnOf(stack.rollup.function),
    RoleArn: { 'Fn::GetAtt': [id(stack.rollupSchedules.node.findChild('InvokeRole')), 'Arn'] },
    Input: JSON.stringify({ schedule: which, scheduledTime: '<aws.scheduler.scheduled-time>' }),
    RetryPolicy: {
      MaximumRetryAttempts: SCHEDULE_RETRY.retryAttempts,
      MaximumEventAgeInSeconds: SCHEDULE_RETRY.maxEventAge.toSeconds(),
    },
    DeadLetterConfig: { Arn: arnOf(stack.scheduleDeadLetters) },
  });

  it('fire on the 2nd at 06:00 in the stack zone (a day after the daily), monthly and in each quarter', () => {
    expect(resources[id(stack.rollupSchedules.monthly)]!.Properties).toEqual({
      Description: 'SOX rollup of the month before the one it fires in',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ScheduleExpression: 'cron(0 6 2 * ? *)',
      ScheduleExpressionTimezone: 'America/New_York',
      State: 'ENABLED',
      Target: target('monthly'),
    });
    expect(resources[id(stack.rollupSchedules.quarterly)]!.Properties).toEqual({
      Description: 'SOX rollup of the quarter before the one it fires in',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ScheduleExpression: 'cron(0 6 2 1,4,7,10 ? *)',
      ScheduleExpressionTimezone: 'America/New_York',
      State: 'ENABLED',
      Target: target('quarterly'),
    });
    // The daily's, and these two: no other schedule.
    expect(schedules().map((s) => s.Properties.ScheduleExpression)).toEqual([
      'cron(0 6 * * ? *)',
      'cron(0 6 2 * ? *)',
      'cron(0 6 2 1,4,7,10 ? *)',
    ]);
  });

  it('invoke through a role that may start the rollup function and send dead letters, nothing else', () => {
    const roleId = id(stack.rollupSchedules.node.findChild('InvokeRole'));
    expect(roleStatements(roleId)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: [arnOf(stack.rollup.function), { 'Fn::Join': ['', [arnOf(stack.rollup.function), ':*']] }],
      },
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: arnOf(stack.scheduleDeadLetters) },
    ]);
  });

  it('take their crons and states from the context, and refuse a bad value naming the key', () => {
    const disabled = addSoxReportsStack(
      new App({
        context: {
          'aws:cdk:bundling-stacks': [],
          monthlyRollupEnabled: 'false',
          quarterlyRollupCron: '{"minute":"30","hour":"9","day":"3","month":"1,4,7,10"}',
        },
      }),
    );
    const props = Template.fromStack(disabled).toJSON().Resources as Record<string, Resource>;
    const of = (construct: IConstruct) =>
      props[disabled.getLogicalId(construct.node.defaultChild as CfnElement)]!.Properties;
    expect([
      of(disabled.rollupSchedules.monthly).State,
      of(disabled.rollupSchedules.monthly).ScheduleExpression,
    ]).toEqual(['DISABLED', 'cron(0 6 2 * ? *)']);
    expect([
      of(disabled.rollupSchedules.quarterly).State,
      of(disabled.rollupSchedules.quarterly).ScheduleExpression,
    ]).toEqual(['ENABLED', 'cron(30 9 3 1,4,7,10 ? *)']);
    expect(of(disabled.rollupSchedules.quarterly).ScheduleExpressionTimezone).toBe('UTC');

    const settingsOf = (context: Record<string, unknown>) => readSettings(new App({ context }).node);
    expect(settingsOf({ quarterlyRollupEnabled: false, monthlyRollupCron: 'cron(15 8 3 * ? *)' })).toMatchObject({
      monthlyRollup: { enabled: true, cron: 'cron(15 8 3 * ? *)' },
      quarterlyRollup: { enabled: false, cron: 'cron(0 6 2 1,4,7,10 ? *)' },
    });
    expect(() => settingsOf({ monthlyRollupEnabled: 'no' })).toThrow(
      new SettingsError('context monthlyRollupEnabled: expected true or false, got "no"'),
    );
    expect(() => settingsOf({ quarterlyRollupCron: 'cron(0 6 2 1,4,7,10 ?)' })).toThrow(
      new SettingsError(
        'context quarterlyRollupCron: "cron(0 6 2 1,4,7,10 ?)" ' +
          'is not cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 6 * * ? *)',
      ),
    );
    expect(() => settingsOf({ monthlyRollupCron: { hour: '6', minutes: '0' } })).toThrow(
      new SettingsError(
        'context monthlyRollupCron: unknown field minutes (known: minute, hour, day, month, weekDay, year)',
      ),
    );
  });
});

describe('the rollup function', () => {
  it('runs the rollup handler with its own role, one vCPU, 15 minutes, and only the variables it reads', () => {
    const props = resources[id(stack.rollup.function)]!.Properties;
    expect(props).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 1769,
      Timeout: 900,
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      Role: arnOf(stack.rollupRole.role),
      LoggingConfig: { LogFormat: 'JSON', LogGroup: ref(stack.rollup.logGroup) },
    });
    const variables = (props.Environment as { Variables: Record<string, unknown> }).Variables;
    const { SOX_REPORT_VERSION: version, SOX_REPORT_COMMIT: _commit, ...decided } = variables;
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    expect(decided).toEqual({
      [ENV.configParameter]: ref(stack.inputs.config),
      [ENV.natsSecretArn]: ref(stack.inputs.natsCredentials),
      [ENV.archive]: { 'Fn::Join': ['', ['s3://', ref(stack.archive.bucket), '/reports']] },
      [ENV.kmsKeyId]: arnOf(stack.signing.key),
      [ENV.certificateParameter]: ref(stack.inputs.certificate),
      [ENV.sesConfigurationSet]: ref(stack.configurationSet),
      POWERTOOLS_SERVICE_NAME: 'nats-sox-reports-rollup',
    });
    // A scheduled rollup that failed twice goes to the failed-runs queue, as a daily does.
    expect(
      Object.values(resources).filter(
        (r) =>
          r.Type === 'AWS::Lambda::EventInvokeConfig' &&
          JSON.stringify(r.Properties.FunctionName) === JSON.stringify(ref(stack.rollup.function)),
      ),
    ).toEqual([
      {
        Type: 'AWS::Lambda::EventInvokeConfig',
        Properties: {
          FunctionName: ref(stack.rollup.function),
          Qualifier: '$LATEST',
          MaximumRetryAttempts: 2,
          MaximumEventAgeInSeconds: 21600,
          DestinationConfig: { OnFailure: { Destination: arnOf(stack.failedRuns) } },
        },
      },
    ]);
  });

  it('reads the whole archive, writes only rollups, their receipts and the key file, and mails', () => {
    expect(roleStatements(id(stack.rollupRole.role))).toEqual([
      {
        Sid: 'ReadArchive',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:GetObjectLegalHold', 's3:GetObjectRetention', 's3:GetObjectVersion'],
        Resource: objects('/*'),
      },
      {
        Sid: 'ListArchive',
        Effect: 'Allow',
        Action: ['s3:ListBucket', 's3:ListBucketMultipartUploads', 's3:ListBucketVersions'],
        Resource: arnOf(stack.archive.bucket),
      },
      {
        Sid: 'WriteRollupsOnce',
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:PutObject', 's3:PutObjectRetention'],
        Resource: [objects('/reports/keys/*'), objects('/reports/receipts/rollup/*'), objects('/reports/rollup/*')],
      },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: arnOf(stack.archive.key) },
      {
        Effect: 'Allow',
        Action: ['ssm:DescribeParameters', 'ssm:GetParameter', 'ssm:GetParameterHistory', 'ssm:GetParameters'],
        Resource: [parameterArn(stack.inputs.config), parameterArn(stack.inputs.certificate)],
      },
      {
        Effect: 'Allow',
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        Resource: ref(stack.inputs.natsCredentials),
      },
      {
        Sid: 'SendReports',
        Effect: 'Allow',
        Action: ['ses:SendEmail', 'ses:SendRawEmail'],
        Resource: [sesArn([':configuration-set/', ref(stack.configurationSet)]), sesArn([':identity/example.com'])],
        Condition: { StringEquals: { 'ses:FromAddress': 'reports@example.com' } },
      },
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: arnOf(stack.rollup.logGroup),
      },
      { Effect: 'Allow', Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' },
      {
        Effect: 'Allow',
        Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
        Resource: arnOf(stack.failedRuns),
      },
    ]);
  });

  it('is one of the roles the signing key lets sign; the report role still writes anywhere', () => {
    const policy = (resources[id(stack.signing.key)]!.Properties.KeyPolicy as { Statement: Statement[] }).Statement;
    expect(policy.filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).includes('kms:Sign'))).toEqual([
      {
        Sid: 'OnlyTheReportRolesSign',
        Effect: 'Allow',
        // The fan-out's merge role (cdk/fan-out.ts) seals too, as the report role does.
        Principal: {
          AWS: [arnOf(stack.fanOutStaging.mergeRole.role), arnOf(stack.reportRole.role), arnOf(stack.rollupRole.role)],
        },
        Action: ['kms:DescribeKey', 'kms:GetPublicKey', 'kms:Sign'],
        Resource: '*',
      },
    ]);
  });

  it('alarms on its errors into the alert topic', () => {
    const alarms = Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::CloudWatch::Alarm' &&
        JSON.stringify(r.Properties.Dimensions) ===
          JSON.stringify([{ Name: 'FunctionName', Value: ref(stack.rollup.function) }]),
    );
    expect(alarms.map((a) => [a.Properties.MetricName, a.Properties.Threshold, a.Properties.AlarmActions])).toEqual([
      ['Errors', 1, [ref(stack.alerts.topic)]],
    ]);
  });

  it('is bundled with what a rollup reads at run time: templates, fonts, pdfkit', () => {
    const code = resources[id(stack.rollup.function)]!.Properties.Code as { S3Key: string };
    const assetDir = path.join(outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
    const has = (file: string) => existsSync(path.join(assetDir, file));
    expect(
      [
        'index.mjs',
        'templates/report.hbs',
        'templates/email.txt.hbs',
        'templates/email.html.hbs',
        'node_modules/pdfkit/package.json',
        ...PDF_FONT_FILES.map((font) => `node_modules/dejavu-fonts-ttf/ttf/${font}`),
      ].filter((file) => !has(file)),
    ).toEqual([]);
    // The ingest worker is an ESM bundle of its own whose CommonJS dependencies (nkeys' tweetnacl) require Node
    // built-ins: it starts with a require of its own, as index.mjs does.
    expect(readFileSync(path.join(assetDir, 'ingest-worker.mjs'), 'utf8').startsWith(ESM_REQUIRE_BANNER)).toBe(true);
    const bundle = readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');
    // The rollup handler's own words, and the evidence reader it re-performs each day with.
    const words = ['rollup payload', 'scheduled-rollup', 'sox-report-evidence/v1', 'Rollup report for '];
    expect(words.filter((word) => !bundle.includes(word))).toEqual([]);
    // Only its own handler: no module of the daily or on-demand function (each builds its handler when loaded).
    expect(
      ['createRollupHandler(', 'createScheduledHandler(', 'createOnDemandHandler('].map((w) => bundle.includes(w)),
    ).toEqual([true, false, false]);
  });
});

describe('cdk-nag AwsSolutions, the rollup function included', () => {
  it('reports no finding that is not acknowledged in code', () => {
    const report = new AwsSolutionsChecks(stack.node.scope, { verbose: true }).validateScope(stack);
    expect(
      report.violations.map(
        (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
  });
});
