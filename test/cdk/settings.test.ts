import { App, type CfnElement, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addSoxReportsStack } from '../../cdk/build-app.js';
import { DEFAULTS, readSettings, SettingsError } from '../../cdk/settings.js';
import type { SoxReportsStack } from '../../cdk/stack.js';
import { ENV } from '../../functions/handlers/environment.js';

/**
 * Context variants, synthesized without bundling (the `aws:cdk:bundling-stacks` context the CLI's --exclusively
 * uses): only stack.test.ts pays for esbuild.
 */
function build(context: Record<string, unknown> = {}): SoxReportsStack {
  return addSoxReportsStack(new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } }));
}

function synth(context: Record<string, unknown> = {}): { stack: SoxReportsStack; template: Template } {
  const stack = build(context);
  return { stack, template: Template.fromStack(stack) };
}

const settingsOf = (context: Record<string, unknown>) => readSettings(new App({ context }).node);
const logicalId = (stack: SoxReportsStack, construct: IConstruct) =>
  stack.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
const variablesOf = (template: Template, stack: SoxReportsStack, construct: IConstruct) =>
  template.toJSON().Resources[logicalId(stack, construct)].Properties.Environment.Variables as Record<string, unknown>;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('context settings', () => {
  it('default to UTC at 06:00, seven years, the documented parameter names and a 26 h deadline', () => {
    expect(settingsOf({})).toMatchObject({
      stackName: 'NatsSoxReports',
      timezone: 'UTC',
      schedule: 'cron(0 6 * * ? *)',
      retentionYears: 7,
      nats: null,
      alarmEmail: null,
      configParameterName: DEFAULTS.configParameterName,
      certificateParameterName: DEFAULTS.certificateParameterName,
      sesIdentity: null,
      auditorPrincipalArn: null,
      certificateIssuer: null,
      archivePrefix: '',
      maxPeriodDays: null,
      missingBundleAlarmHours: 26,
      logRetentionDays: 365,
      reportMemoryMB: 1769,
    });
  });

  it('accept the strings `-c key=value` gives as well as JSON from cdk.json', () => {
    expect(
      settingsOf({
        retentionYears: '10',
        natsVpcId: 'vpc-0123456789abcdef0',
        natsSubnetIds: 'subnet-0aaaaaaaaaaaaaaa1, subnet-0bbbbbbbbbbbbbbb2',
        scheduleCron: '{"minute":"30","hour":"5"}',
        archivePrefix: '/reports/',
      }),
    ).toMatchObject({
      retentionYears: 10,
      nats: {
        vpcId: 'vpc-0123456789abcdef0',
        subnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'],
        securityGroupId: null,
      },
      schedule: { minute: '30', hour: '5' },
      archivePrefix: 'reports',
    });
    expect(
      settingsOf({
        retentionYears: 3,
        natsVpcId: 'vpc-0123456789abcdef0',
        natsSubnetIds: ['subnet-0ccccccccccccccc3'],
      }),
    ).toMatchObject({ retentionYears: 3, nats: { subnetIds: ['subnet-0ccccccccccccccc3'] } });
  });

  it.each([
    [{ timezone: 'Mars/Olympus_Mons' }, /context timezone: .* IANA/],
    [{ scheduleCron: 'cron(0 6 * *)' }, /context scheduleCron/],
    [{ scheduleCron: { hour: '6', second: '0' } }, /unknown field second/],
    [{ retentionYears: '0' }, /context retentionYears: expected a whole number from 1/],
    [{ natsSubnetIds: 'subnet-0aaaaaaaaaaaaaaa1' }, /need natsVpcId/],
    [{ natsVpcId: 'vpc-0123456789abcdef0' }, /needs natsSubnetIds/],
    [{ natsVpcId: 'vpc-0123456789abcdef0', natsSubnetIds: 'sub-1' }, /not a subnet id/],
    [{ logRetentionDays: 42 }, /context logRetentionDays/],
    [{ reportMemoryMB: 1024 }, /context reportMemoryMB/],
    [{ reportMemoryMB: 20_000 }, /context reportMemoryMB/],
    [{ alarmEmail: 'soc' }, /context alarmEmail/],
    [{ configParameterName: 'no-slash' }, /context configParameterName/],
    [{ certificateIssuerArn: 'arn:aws:iam::123456789012:role/Admin' }, /go together/],
    [
      { certificateIssuerArn: 'arn:aws:iam::123456789012:role/Admin', certificateIssuerUntil: 'tomorrow' },
      /certificateIssuerUntil/,
    ],
    [{ missingBundleAlarmHours: 24 }, /missingBundleAlarmHours/],
  ])('reject %j with a message naming the key', (context, message) => {
    expect(() => settingsOf(context)).toThrow(SettingsError);
    expect(() => settingsOf(context)).toThrow(message);
  });
});

describe('stack variants', () => {
  it('by default schedule in UTC, allow any SES identity and let the account assume the auditor role', () => {
    const { stack, template } = synth();
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 6 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
    });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    const text = JSON.stringify(template.toJSON());
    expect(text).toContain(':identity/*');
    expect(text).not.toContain('ses:FromAddress');
    expect(variablesOf(template, stack, stack.scheduled.function)).not.toHaveProperty(ENV.maxPeriodDays);
    expect(variablesOf(template, stack, stack.scheduled.function)).not.toHaveProperty(ENV.emailMaxBytes);
  });

  it('carry retention, cron fields, prefix, limits and the auditor principal from context', () => {
    const { stack, template } = synth({
      retentionYears: 10,
      timezone: 'Europe/Berlin',
      scheduleCron: { minute: '30', hour: '5', weekDay: 'MON-FRI' },
      archivePrefix: 'sox',
      maxPeriodDays: '92',
      emailMaxBytes: 10_000_000,
      auditorPrincipalArn: 'arn:aws:iam::123456789012:role/ExternalAuditors',
      logRetentionDays: 731,
      reportMemoryMB: '3538',
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 3650 } } },
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 5 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::123456789012:role/ExternalAuditors' },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 731 });
    // The scheduled, on-demand and rollup functions (a rollup re-performs every day from its evidence), and the
    // fan-out's plan, slice and merge.
    expect(template.findResources('AWS::Lambda::Function', { Properties: { MemorySize: 3538 } })).toSatisfy(
      (found: object) => Object.keys(found).length === 6,
    );
    for (const f of [stack.scheduled.function, stack.onDemand.function]) {
      expect(variablesOf(template, stack, f)).toMatchObject({
        [ENV.archive]: { 'Fn::Join': ['', ['s3://', { Ref: logicalId(stack, stack.archive.bucket) }, '/sox']] },
        [ENV.maxPeriodDays]: '92',
        [ENV.emailMaxBytes]: '10000000',
      });
    }
  });

  it('let the report role read exactly the integration secrets named, and none by default', () => {
    const hook = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:sox-hook-AbCdEf';
    const jira = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:sox/jira-GhIjKl';
    expect(settingsOf({}).integrationSecretArns).toEqual([]);
    expect(settingsOf({ integrationSecretArns: `${hook},${jira},${hook}` }).integrationSecretArns).toEqual([
      hook,
      jira,
    ]);
    expect(() => settingsOf({ integrationSecretArns: ['arn:aws:ssm:us-east-1:123456789012:parameter/x'] })).toThrow(
      'context integrationSecretArns: "arn:aws:ssm:us-east-1:123456789012:parameter/x" is not the full ARN of a ' +
        'Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>)',
    );
    const statementsOf = (stack: SoxReportsStack, template: Template) =>
      Object.values(template.toJSON().Resources as Record<string, { Type: string; Properties: any }>)
        .filter(
          (r) =>
            r.Type === 'AWS::IAM::Policy' &&
            JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: logicalId(stack, stack.reportRole.role) }]),
        )
        .flatMap(
          (r) => r.Properties.PolicyDocument.Statement as { Sid?: string; Action: unknown; Resource: unknown }[],
        );
    const granted = synth({ integrationSecretArns: [hook, jira] });
    expect(statementsOf(granted.stack, granted.template).filter((s) => s.Sid === 'ReadIntegrationSecrets')).toEqual([
      {
        Sid: 'ReadIntegrationSecrets',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: [hook, jira],
      },
    ]);
    const plain = synth();
    expect(statementsOf(plain.stack, plain.template).some((s) => s.Sid === 'ReadIntegrationSecrets')).toBe(false);
  });

  it('let a certificate issuer sign until the deadline only', () => {
    const { stack, template } = synth({
      certificateIssuerArn: 'arn:aws:iam::123456789012:role/Admin',
      certificateIssuerUntil: '2030-01-31T18:00:00Z',
    });
    const policy = template.toJSON().Resources[logicalId(stack, stack.signing.key)].Properties.KeyPolicy.Statement as {
      Sid?: string;
      Principal: unknown;
      Action: string[];
      Condition?: unknown;
    }[];
    const issuer = policy.find((s) => s.Sid === 'CertificateIssuerSignsUntilDeadline');
    expect(issuer).toMatchObject({
      Principal: { AWS: 'arn:aws:iam::123456789012:role/Admin' },
      Condition: { DateLessThan: { 'aws:CurrentTime': '2030-01-31T18:00:00Z' } },
    });
    expect(issuer!.Action).toContain('kms:Sign');
    expect(policy.filter((s) => s.Action.includes('kms:Sign') && !s.Condition)).toHaveLength(1);
  });

  it('place every function in the NATS subnets, with a security group of their own unless one is given', () => {
    const { template } = synth({
      natsVpcId: 'vpc-0123456789abcdef0',
      natsSubnetIds: 'subnet-0aaaaaaaaaaaaaaa1,subnet-0bbbbbbbbbbbbbbb2',
    });
    template.resourceCountIs('AWS::EC2::SecurityGroup', 1);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', { VpcId: 'vpc-0123456789abcdef0' });
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    // Scheduled, on-demand, rollup, attest, and the fan-out's plan, slice and merge.
    expect(functions).toHaveLength(7);
    for (const fn of functions)
      expect(fn.Properties.VpcConfig.SubnetIds).toEqual(['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2']);

    const given = synth({
      natsVpcId: 'vpc-0123456789abcdef0',
      natsSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1'],
      natsSecurityGroupId: 'sg-0123456789abcdef0',
    }).template;
    given.resourceCountIs('AWS::EC2::SecurityGroup', 0);
    for (const fn of Object.values(given.findResources('AWS::Lambda::Function')))
      expect(fn.Properties.VpcConfig).toEqual({
        SubnetIds: ['subnet-0aaaaaaaaaaaaaaa1'],
        SecurityGroupIds: ['sg-0123456789abcdef0'],
      });
  });
});

describe('cdk-nag acknowledgments', () => {
  const VARIANTS = [
    {},
    {
      natsVpcId: 'vpc-0123456789abcdef0',
      natsSubnetIds: 'subnet-0aaaaaaaaaaaaaaa1,subnet-0bbbbbbbbbbbbbbb2',
      sesIdentity: 'example.com',
      alarmEmail: 'soc@example.com',
    },
  ];

  it.each(VARIANTS)('leave no finding unacknowledged in %j', (context) => {
    const stack = build(context);
    const report = new AwsSolutionsChecks(stack.node.scope, { verbose: true }).validateScope(stack);
    expect(
      report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`),
    ).toEqual([]);
  });

  it.each(VARIANTS)('are each needed: every one matches a finding that appears without it, in %j', (context) => {
    const acknowledged: { path: string; id: string }[] = [];
    const realOf = Validations.of.bind(Validations);
    vi.spyOn(Validations, 'of').mockImplementation((scope: IConstruct) => {
      const real = realOf(scope);
      return new Proxy(real, {
        get: (target, property) =>
          property === 'acknowledge'
            ? (...rules: { id: string }[]) =>
                acknowledged.push(...rules.map((rule) => ({ path: scope.node.path, id: rule.id })))
            : Reflect.get(target, property, target),
      });
    });
    // Not synthesized: the plugin would fail synth on the very findings this test wants to see.
    const stack = build(context);
    const findings = new AwsSolutionsChecks(stack.node.scope)
      .validateScope(stack)
      .violations.flatMap((v) => v.violatingResources.map((r) => ({ id: v.ruleName, path: r.constructPath })));
    const ours = acknowledged.filter((a) => a.id.startsWith('AwsSolutions-'));
    expect(ours.length).toBeGreaterThan(0);
    for (const ack of ours) {
      expect(
        findings.some((f) => f.id === ack.id && (f.path === ack.path || (f.path ?? '').startsWith(`${ack.path}/`))),
        `${ack.path} ${ack.id}`,
      ).toBe(true);
    }
  });
});
