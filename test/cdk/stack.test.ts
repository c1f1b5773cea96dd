import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDITOR_BUCKET_ACTIONS, AUDITOR_OBJECT_ACTIONS } from '../../cdk/auditor-role.js';
import { addSoxReportsStack } from '../../cdk/build-app.js';
import { PDF_FONT_FILES } from '../../cdk/bundle-files.js';
import { SCHEDULE_RETRY } from '../../cdk/daily-schedule.js';
import { CERTIFICATE_PLACEHOLDER, CONFIG_PLACEHOLDER } from '../../cdk/run-inputs.js';
import type { SoxReportsStack } from '../../cdk/stack.js';
import { ENV } from '../../functions/handlers/environment.js';

/**
 * One app for the whole file, bundled for real (esbuild, the afterBundling copies): what is asserted here is the
 * stack `npx cdk deploy` would deploy with this context.
 */
const CONTEXT = {
  timezone: 'America/New_York',
  alarmEmail: 'soc@example.com',
  sesIdentity: 'example.com',
  sesFromAddress: 'reports@example.com',
};

type Statement = {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: unknown;
  Sid?: string;
};
type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };

let outdir: string;
let stack: SoxReportsStack;
let template: Template;
let resources: Record<string, Resource>;

const id = (construct: IConstruct): string =>
  stack.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
const ref = (construct: IConstruct) => ({ Ref: id(construct) });
const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [id(construct), 'Arn'] });
const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const statementsOf = (logicalId: string): Statement[] => {
  const props = resources[logicalId]!.Properties;
  const doc = (props.PolicyDocument ?? props.KeyPolicy) as { Statement: Statement[] };
  return doc.Statement;
};

/** Every statement any IAM policy attaches to a role: inline, customer managed and the role's own. */
function roleStatements(roleId: string): Statement[] {
  const attached = Object.entries(resources).filter(
    ([, r]) =>
      (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') &&
      JSON.stringify(r.Properties.Roles ?? []).includes(JSON.stringify({ Ref: roleId })),
  );
  const own =
    (resources[roleId]!.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[] | undefined) ?? [];
  return [
    ...attached.flatMap(([logicalId]) => statementsOf(logicalId)),
    ...own.flatMap((p) => p.PolicyDocument.Statement),
  ];
}

beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), 'sox-cdk-'));
  const app = new App({ outdir, context: CONTEXT });
  stack = addSoxReportsStack(app);
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources as Record<string, Resource>;
  // esbuild and the afterBundling copies, twice: seconds alone, longer on two busy CI cores.
}, 120_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('archive bucket', () => {
  it(
    'locks every object in COMPLIANCE mode for seven years by default, versioned, KMS-encrypted, private, ' +
      'retained',
    () => {
      const bucket = resources[id(stack.archive.bucket)]!;
      expect(bucket.DeletionPolicy).toBe('Retain');
      expect(bucket.Properties).toMatchObject({
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 * 7 } },
        },
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: arnOf(stack.archive.key) },
            },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LoggingConfiguration: { DestinationBucketName: ref(stack.archive.accessLogs), LogFilePrefix: 'archive/' },
      });
    },
  );

  it(
    'denies to everyone plain HTTP and old TLS, deletes, lifecycle rules, writes without If-None-Match, ' +
      'lock modes but COMPLIANCE, and copies',
    () => {
      const policy = template.findResources('AWS::S3::BucketPolicy', {
        Properties: { Bucket: ref(stack.archive.bucket) },
      });
      const bucket = arnOf(stack.archive.bucket);
      const objects = { 'Fn::Join': ['', [bucket, '/*']] };
      const everyone = { AWS: '*' };
      expect(statementsOf(Object.keys(policy)[0]!)).toEqual([
        {
          Effect: 'Deny',
          Principal: everyone,
          Action: 's3:*',
          Resource: [bucket, objects],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
        {
          Effect: 'Deny',
          Principal: everyone,
          Action: 's3:*',
          Resource: [bucket, objects],
          Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
        },
        {
          Sid: 'DenyDeletingReports',
          Effect: 'Deny',
          Principal: everyone,
          Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
          Resource: objects,
        },
        {
          Sid: 'DenyLifecycleRules',
          Effect: 'Deny',
          Principal: everyone,
          Action: 's3:PutLifecycleConfiguration',
          Resource: bucket,
        },
        // AWS's conditional-write enforcement: CreateMultipartUpload, UploadPart and UploadPartCopy
        // (ObjectCreationOperation false) take no conditional header; PutObject and CompleteMultipartUpload must carry
        // If-None-Match.
        {
          Sid: 'DenyWritesWithoutIfNoneMatch',
          Effect: 'Deny',
          Principal: everyone,
          Action: 's3:PutObject',
          Resource: objects,
          Condition: { Null: { 's3:if-none-match': 'true' }, Bool: { 's3:ObjectCreationOperation': 'true' } },
        },
        // Only where a mode is named, so UploadPart and CompleteMultipartUpload (which name none) go through.
        {
          Sid: 'DenyLockModesOtherThanCompliance',
          Effect: 'Deny',
          Principal: everyone,
          Action: 's3:PutObject',
          Resource: objects,
          Condition: {
            StringNotEquals: { 's3:object-lock-mode': 'COMPLIANCE' },
            Null: { 's3:object-lock-mode': 'false' },
          },
        },
        {
          Sid: 'DenyCopies',
          Effect: 'Deny',
          Principal: everyone,
          Action: 's3:PutObject',
          Resource: objects,
          Condition: { Null: { 's3:x-amz-copy-source': 'false' } },
        },
      ]);
    },
  );

  it(
    'lets through, by those conditions, exactly the requests of a locked, ' +
      'conditional write and of a multipart upload',
    () => {
      // Each request as IAM sees it: the condition keys S3 sets for it. A Deny applies when all its conditions hold.
      type Request = {
        's3:if-none-match'?: string;
        's3:ObjectCreationOperation': boolean;
        's3:object-lock-mode'?: string;
        's3:x-amz-copy-source'?: string;
      };
      const holds = (condition: Record<string, Record<string, string>>, request: Request) =>
        Object.entries(condition).every(([operator, keys]) =>
          Object.entries(keys).every(([key, value]) => {
            const present = (request as Record<string, unknown>)[key];
            if (operator === 'Null') return (present === undefined) === (value === 'true');
            if (operator === 'Bool') return present !== undefined && String(present) === value;
            if (operator === 'StringNotEquals') return present !== value;
            throw new Error(`no model for ${operator}`);
          }),
        );
      const policy = template.findResources('AWS::S3::BucketPolicy', {
        Properties: { Bucket: ref(stack.archive.bucket) },
      });
      const writeRules = statementsOf(Object.keys(policy)[0]!).filter((s) => actionsOf(s).includes('s3:PutObject'));
      const denied = (request: Request) =>
        writeRules.some((s) => holds(s.Condition as Record<string, Record<string, string>>, request));
      const locked = { 's3:object-lock-mode': 'COMPLIANCE' };

      // PutObject
      expect(denied({ 's3:ObjectCreationOperation': true, 's3:if-none-match': '*', ...locked })).toBe(false);
      // CreateMultipartUpload
      expect(denied({ 's3:ObjectCreationOperation': false, ...locked })).toBe(false);
      // UploadPart
      expect(denied({ 's3:ObjectCreationOperation': false })).toBe(false);
      // CompleteMultipartUpload
      expect(denied({ 's3:ObjectCreationOperation': true, 's3:if-none-match': '*' })).toBe(false);

      // PutObject over an existing key
      expect(denied({ 's3:ObjectCreationOperation': true, ...locked })).toBe(true);
      // CompleteMultipartUpload without If-None-Match
      expect(denied({ 's3:ObjectCreationOperation': true })).toBe(true);
      expect(
        denied({ 's3:ObjectCreationOperation': true, 's3:if-none-match': '*', 's3:object-lock-mode': 'GOVERNANCE' }),
      ).toBe(true);
      // CreateMultipartUpload
      expect(denied({ 's3:ObjectCreationOperation': false, 's3:object-lock-mode': 'GOVERNANCE' })).toBe(true);
      expect(
        denied({
          's3:ObjectCreationOperation': true,
          's3:if-none-match': '*',
          's3:x-amz-copy-source': 'other/key',
          ...locked,
        }),
      ).toBe(true);
      // UploadPartCopy
      expect(denied({ 's3:ObjectCreationOperation': false, 's3:x-amz-copy-source': 'other/key' })).toBe(true);
    },
  );

  it('keeps its KMS key: rotated, retained, and nobody may schedule its deletion', () => {
    const key = resources[id(stack.archive.key)]!;
    expect(key.DeletionPolicy).toBe('Retain');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(statementsOf(id(stack.archive.key))).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 'kms:ScheduleKeyDeletion' }),
    );
  });

  it('sends its server access logs to a private, TLS-only bucket kept as long as the reports', () => {
    const logs = resources[id(stack.archive.accessLogs)]!;
    expect(logs.DeletionPolicy).toBe('Retain');
    expect(logs.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: { Rules: [expect.objectContaining({ ExpirationInDays: 365 * 7 })] },
    });
  });
});

describe('signing key', () => {
  it('is an ECC P-256 SIGN_VERIFY key that only the report, rollup and fan-out merge roles may sign with', () => {
    const keyId = id(stack.signing.key);
    expect(resources[keyId]!.Properties).toMatchObject({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const statements = statementsOf(keyId);
    const signers = statements.filter(
      (s) => s.Effect === 'Allow' && actionsOf(s).some((a) => a === 'kms:Sign' || a === 'kms:*' || a === 'kms:Sign*'),
    );
    expect(signers).toHaveLength(1);
    // The fan-out's merge role (cdk/fan-out.ts) seals as the report role does.
    expect(signers[0]!.Principal).toEqual({
      AWS: [arnOf(stack.fanOutStaging.mergeRole.role), arnOf(stack.reportRole.role), arnOf(stack.rollupRole.role)],
    });
    expect(actionsOf(signers[0]!).sort()).toEqual(['kms:DescribeKey', 'kms:GetPublicKey', 'kms:Sign']);
    // Nothing hands signing on: no grants, no wildcard actions.
    const everyAction = statements.flatMap(actionsOf);
    expect(everyAction).not.toContain('kms:CreateGrant');
    expect(everyAction.filter((a) => a.includes('*'))).toEqual([]);
  });

  it('lets the auditor role get the public key and verify, and never sign', () => {
    const auditor = roleStatements(id(stack.auditor.role)).filter(
      (s) => JSON.stringify(s.Resource) === JSON.stringify(arnOf(stack.signing.key)),
    );
    expect(auditor.flatMap(actionsOf).sort()).toEqual(['kms:DescribeKey', 'kms:GetPublicKey', 'kms:Verify']);
  });
});

describe('report functions', () => {
  const functionProps = () => [stack.scheduled, stack.onDemand].map((f) => resources[id(f.function)]!.Properties);

  it('run nodejs22.x on arm64 with one full vCPU, 15 minutes, active tracing and the shared report role', () => {
    for (const props of functionProps()) {
      expect(props).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        MemorySize: 1769,
        Timeout: 900,
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        Role: arnOf(stack.reportRole.role),
      });
    }
  });

  it('get every variable of the environment contract that the stack decides, and never SOX_CONFIG', () => {
    const decided = [
      ENV.configParameter,
      ENV.natsSecretArn,
      ENV.archive,
      ENV.kmsKeyId,
      ENV.certificateParameter,
      ENV.sesConfigurationSet,
      ENV.alertTopicArn,
    ];
    for (const props of functionProps()) {
      const variables = (props.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(variables)).toEqual(expect.arrayContaining(decided));
      expect(variables).not.toHaveProperty(ENV.config);
      expect(variables).toMatchObject({
        [ENV.configParameter]: ref(stack.inputs.config),
        [ENV.certificateParameter]: ref(stack.inputs.certificate),
        [ENV.natsSecretArn]: ref(stack.inputs.natsCredentials),
        [ENV.kmsKeyId]: arnOf(stack.signing.key),
        [ENV.archive]: { 'Fn::Join': ['', ['s3://', ref(stack.archive.bucket)]] },
        [ENV.alertTopicArn]: ref(stack.alerts.topic),
        [ENV.sesConfigurationSet]: ref(stack.configurationSet),
      });
    }
    const services = functionProps().map(
      (p) => (p.Environment as { Variables: Record<string, string> }).Variables.POWERTOOLS_SERVICE_NAME,
    );
    expect(services).toEqual(['nats-sox-reports', 'nats-sox-reports-on-demand']);
  });

  it('run the scheduled report one at a time', () => {
    const [scheduled, onDemand] = functionProps();
    expect(scheduled!.ReservedConcurrentExecutions).toBe(1);
    expect(onDemand!.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('send asynchronous runs that failed after two retries to the failed-runs queue', () => {
    for (const f of [stack.scheduled, stack.onDemand]) {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: ref(f.function),
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: arnOf(stack.failedRuns) } },
      });
    }
  });

  it('log to their own groups, kept a year', () => {
    for (const f of [stack.scheduled, stack.onDemand]) {
      expect(resources[id(f.logGroup)]!.Properties.RetentionInDays).toBe(365);
      expect(resources[id(f.function)]!.Properties.LoggingConfig).toEqual({
        LogFormat: 'JSON',
        LogGroup: ref(f.logGroup),
      });
    }
  });

  it('read the configuration, certificate and NATS secret, and change none of them', () => {
    const statements = roleStatements(id(stack.reportRole.role));
    const on = (resource: unknown) =>
      statements.filter((s) => JSON.stringify(s.Resource).includes(JSON.stringify(resource))).flatMap(actionsOf);
    expect(on(ref(stack.inputs.natsCredentials)).sort()).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    for (const parameter of [stack.inputs.config, stack.inputs.certificate]) {
      expect(on(ref(parameter)).every((a) => /^ssm:(Get|Describe)/.test(a))).toBe(true);
    }
    expect(
      statements.flatMap(actionsOf).filter((a) => /^(secretsmanager:(Put|Update|Delete)|ssm:(Put|Delete))/.test(a)),
    ).toEqual([]);
  });

  it('send email only through the configuration set, from the configured identity and address', () => {
    const send = roleStatements(id(stack.reportRole.role)).find((s) => actionsOf(s).includes('ses:SendEmail'));
    expect(actionsOf(send!).sort()).toEqual(['ses:SendEmail', 'ses:SendRawEmail']);
    const resourcesText = JSON.stringify(send!.Resource);
    expect(resourcesText).toContain(':identity/example.com');
    expect(resourcesText).toContain(':configuration-set/');
    expect(resourcesText).not.toContain('identity/*');
    expect(send!.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'reports@example.com' } });
  });

  it('may write bundles with their lock and read them back, but neither delete nor bypass anything', () => {
    const s3Actions = roleStatements(id(stack.reportRole.role))
      .flatMap(actionsOf)
      .filter((a) => a.startsWith('s3:'));
    expect(s3Actions.sort()).toEqual([
      's3:AbortMultipartUpload',
      's3:GetObject',
      's3:GetObjectLegalHold',
      's3:GetObjectRetention',
      's3:GetObjectVersion',
      's3:ListBucket',
      's3:ListBucketMultipartUploads',
      's3:ListBucketVersions',
      's3:PutObject',
      's3:PutObjectRetention',
    ]);
  });
});

describe('the bundle of a report function', () => {
  let assetDir: string;

  beforeAll(() => {
    const code = resources[id(stack.scheduled.function)]!.Properties.Code as { S3Key: string };
    assetDir = path.join(outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
  });

  it('holds the ESM handler, the templates, the four fonts and pdfkit with its dependencies, unbundled', () => {
    const has = (file: string) => existsSync(path.join(assetDir, file));
    expect(has('index.mjs')).toBe(true);
    // The ingest worker is a bundle of its own beside the handler (functions/ingest/ingest.ts looks there).
    expect(has('ingest-worker.mjs')).toBe(true);
    expect(has('templates/report.hbs')).toBe(true);
    expect(has('templates/email.html.hbs')).toBe(true);
    expect(has('templates/partials/header.hbs')).toBe(true);
    for (const font of PDF_FONT_FILES) expect(has(`node_modules/dejavu-fonts-ttf/ttf/${font}`)).toBe(true);
    expect(has('node_modules/dejavu-fonts-ttf/package.json')).toBe(true);
    for (const pkg of ['pdfkit', 'fontkit', 'linebreak', 'png-js', 'fflate', '@noble/hashes'])
      expect(has(`node_modules/${pkg}/package.json`)).toBe(true);
    // The rest, the AWS SDK included, is inside index.mjs.
    expect(has('node_modules/@aws-sdk')).toBe(false);
    expect(has('node_modules/handlebars')).toBe(false);
    expect(readFileSync(path.join(assetDir, 'index.mjs'), 'utf8')).toContain('PutObjectCommand');
  });

  it('loads from a copy in an empty folder, and pdfkit there draws with the packaged DejaVu font', () => {
    const copy = mkdtempSync(path.join(tmpdir(), 'sox-bundle-'));
    try {
      cpSync(assetDir, copy, { recursive: true });
      // The same resolution functions/render/pdf-fonts.ts performs, from the bundle's own location.
      writeFileSync(
        path.join(copy, 'probe.mjs'),
        `import { createRequire } from 'node:module';
import path from 'node:path';
const bundle = new URL('./index.mjs', import.meta.url);
const { handler } = await import(bundle);
const fonts = path.join(path.dirname(createRequire(bundle).resolve('dejavu-fonts-ttf/package.json')), 'ttf');
const { default: PDFDocument } = await import('pdfkit');
const doc = new PDFDocument({ font: '' });
doc.registerFont('Sans', path.join(fonts, 'DejaVuSans.ttf'));
doc.font('Sans').text('Дмитрий');
const chunks = [];
doc.on('data', (c) => chunks.push(c));
doc.on('end', () => console.log(JSON.stringify({ handler: typeof handler, fonts, ` +
          `pdf: Buffer.concat(chunks).subarray(0, 5).toString() })));
doc.end();
`,
      );
      const env = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && k !== 'NODE_PATH'),
      );
      const out = JSON.parse(
        execFileSync(process.execPath, ['probe.mjs'], {
          cwd: copy,
          env: { ...env, AWS_REGION: 'us-east-1' },
          encoding: 'utf8',
        }),
      ) as Record<string, string>;
      expect(out).toEqual({
        handler: 'function',
        fonts: path.join(copy, 'node_modules', 'dejavu-fonts-ttf', 'ttf'),
        pdf: '%PDF-',
      });
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('stays well inside the 250 MB unzipped limit', () => {
    const size = (dir: string): number =>
      readdirSync(dir).reduce((sum, entry) => {
        const full = path.join(dir, entry);
        const info = statSync(full);
        return sum + (info.isDirectory() ? size(full) : info.size);
      }, 0);
    expect(size(assetDir)).toBeLessThan(60 * 1024 * 1024);
  });
});

describe('daily schedule', () => {
  it('fires at 06:00 in the configured time zone and hands Lambda the time it fired', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 6 * * ? *)',
      ScheduleExpressionTimezone: 'America/New_York',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: arnOf(stack.scheduled.function),
        Input: JSON.stringify({ scheduledTime: '<aws.scheduler.scheduled-time>' }),
        RetryPolicy: {
          MaximumRetryAttempts: SCHEDULE_RETRY.retryAttempts,
          MaximumEventAgeInSeconds: SCHEDULE_RETRY.maxEventAge.toSeconds(),
        },
        DeadLetterConfig: { Arn: arnOf(stack.scheduleDeadLetters) },
      },
    });
  });

  it('invokes through a role that may start the scheduled function and nothing else', () => {
    const schedule = resources[id(stack.daily.schedule)]!;
    const roleArn = (schedule.Properties.Target as { RoleArn: { 'Fn::GetAtt': [string, string] } }).RoleArn;
    const actions = roleStatements(roleArn['Fn::GetAtt'][0]).flatMap(actionsOf).sort();
    expect(actions).toEqual(['lambda:InvokeFunction', 'sqs:SendMessage']);
  });
});

describe('alerts', () => {
  it('go to a KMS-encrypted, TLS-only topic that CloudWatch and SES may publish to, with the email subscribed', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: arnOf(stack.alerts.key) });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'soc@example.com',
      TopicArn: ref(stack.alerts.topic),
    });
    const publishers = statementsOf(id(stack.alerts.key)).find((s) => s.Sid === 'AlarmsAndSesPublish');
    expect(publishers?.Principal).toEqual({ Service: ['cloudwatch.amazonaws.com', 'ses.amazonaws.com'] });
  });

  it('fire on errors of both functions and on dead letters, into the topic', () => {
    for (const f of [stack.scheduled, stack.onDemand]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: ref(f.function) }],
        Threshold: 1,
        AlarmActions: [ref(stack.alerts.topic)],
      });
    }
    for (const queue of [stack.failedRuns, stack.scheduleDeadLetters]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id(queue), 'QueueName'] } }],
        AlarmActions: [ref(stack.alerts.topic)],
      });
    }
  });

  it('fire when no daily bundle was archived for 26 hours, a missing metric counting as none', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'NatsSoxReports',
      MetricName: 'BundlesArchived',
      Dimensions: [{ Name: 'service', Value: 'nats-sox-reports' }],
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 26,
      DatapointsToAlarm: 26,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
      AlarmActions: [ref(stack.alerts.topic)],
    });
    // Errors of the three report functions (scheduled, on-demand, rollup), two dead-letter queues, the deadline, and
    // a fan-out execution timed out (test/cdk/fan-out.test.ts).
    expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm'))).toHaveLength(7);
  });

  it('include SES bounces, complaints, rejects and delays of the report emails', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSet', { DeliveryOptions: { TlsPolicy: 'REQUIRE' } });
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: Match.arrayWith(['bounce', 'complaint', 'reject']),
        SnsDestination: { TopicARN: ref(stack.alerts.topic) },
      },
    });
  });
});

describe('auditor role', () => {
  it('is assumed by the account and reads reports, versions, locks and keys', () => {
    const role = resources[id(stack.auditor.role)]!;
    expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain(':root');
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const actions = new Set(roleStatements(id(stack.auditor.role)).flatMap(actionsOf));
    for (const action of [
      ...AUDITOR_OBJECT_ACTIONS,
      ...AUDITOR_BUCKET_ACTIONS,
      'kms:Decrypt',
      'kms:GetPublicKey',
      'kms:Verify',
    ])
      expect(actions).toContain(action);
  });

  it('may do what verify s3://… does: list every version, read and head an exact version with its lock', () => {
    const statements = roleStatements(id(stack.auditor.role));
    const on = (resource: unknown) =>
      statements.filter((s) => JSON.stringify(s.Resource) === JSON.stringify(resource)).flatMap(actionsOf);
    // ListObjectVersions; GetObject and HeadObject with a VersionId; the lock HeadObject reports.
    expect(on(arnOf(stack.archive.bucket))).toEqual(expect.arrayContaining(['s3:ListBucket', 's3:ListBucketVersions']));
    expect(on({ 'Fn::Join': ['', [arnOf(stack.archive.bucket), '/*']] })).toEqual(
      expect.arrayContaining(['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectRetention', 's3:GetObjectLegalHold']),
    );
  });

  it('provably cannot write, delete, sign, decrypt other keys or use wildcards', () => {
    const statements = roleStatements(id(stack.auditor.role));
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      for (const action of actionsOf(statement)) {
        expect(action).toMatch(/^(s3:(Get|List)[A-Za-z]+|kms:(Decrypt|DescribeKey|GetPublicKey|Verify))$/);
        expect(action).not.toMatch(/\*|Put|Delete|Sign$|Restore|Replicate|Bypass/);
      }
    }
    const decrypt = statements.filter((s) => actionsOf(s).includes('kms:Decrypt'));
    expect(decrypt.map((s) => s.Resource)).toEqual([arnOf(stack.archive.key)]);
  });
});

describe('operator policy', () => {
  it('allows invoking the on-demand and rollup functions and nothing else', () => {
    const statements = statementsOf(id(stack.operator.policy));
    expect(statements).toEqual([
      {
        Sid: 'RunReportsOnDemand',
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: arnOf(stack.onDemand.function),
      },
      {
        Sid: 'RunRollupsOnDemand',
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: arnOf(stack.rollup.function),
      },
      // The fan-out (cdk/fan-out.ts, test/cdk/fan-out.test.ts): start an execution and see how it ended.
      {
        Sid: 'RunFanOutOnDemand',
        Effect: 'Allow',
        Action: 'states:StartExecution',
        Resource: ref(stack.fanOut.stateMachine),
      },
      expect.objectContaining({ Sid: 'SeeFanOutExecutions', Action: 'states:DescribeExecution' }),
    ]);
  });
});

describe('run inputs', () => {
  it('are parameters with placeholders the handlers reject, and an empty NATS secret', () => {
    template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/nats-sox-reports/config',
      Type: 'String',
      Value: CONFIG_PLACEHOLDER,
    });
    template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/nats-sox-reports/signing-certificate',
      Type: 'String',
      Value: CERTIFICATE_PLACEHOLDER,
    });
    expect(CONFIG_PLACEHOLDER).not.toMatch(/^\s*[{[]/);
    expect(CERTIFICATE_PLACEHOLDER).not.toContain('BEGIN CERTIFICATE');
    template.hasResourceProperties('AWS::SecretsManager::Secret', { SecretString: '{}' });
  });
});

describe('outputs', () => {
  it('name every resource an operator or auditor needs', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs).toEqual(
      expect.arrayContaining([
        'ArchiveBucketName',
        'ArchiveLocation',
        'ArchiveKeyArn',
        'SigningKeyArn',
        'NatsSecretArn',
        'ConfigParameterName',
        'SigningCertificateParameterName',
        'ScheduledFunctionName',
        'OnDemandFunctionName',
        'OnDemandFunctionArn',
        'ScheduleArn',
        'ScheduleName',
        'FailedRunsQueueUrl',
        'ScheduleDeadLettersQueueUrl',
        'AlertTopicArn',
        'AuditorRoleArn',
        'OperatorPolicyArn',
        'ReportRoleArn',
        'SesConfigurationSetName',
      ]),
    );
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports no finding, error or warning, that is not acknowledged in code', () => {
    const report = new AwsSolutionsChecks(stack.node.scope, { verbose: true }).validateScope(stack);
    expect(
      report.violations.map(
        (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
  });
});
