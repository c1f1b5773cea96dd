import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as ses from 'aws-cdk-lib/aws-ses';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { DEFAULT_SERVICE_NAME } from '../functions/handlers/observability.js';
import { ENV } from '../functions/handlers/environment.js';
import { SOFTWARE_ENV, softwareIdentity } from '../functions/seal/producer.js';
import { AlertTopic, ReportAlarms } from './alerts.js';
import { ArchiveBucket } from './archive-bucket.js';
import { AttestRole } from './attest-role.js';
import { AuditorRole } from './auditor-role.js';
import { DailySchedule } from './daily-schedule.js';
import { deadLetterQueue } from './dead-letter-queue.js';
import { FanOut, FanOutStaging } from './fan-out.js';
import { acknowledge } from './nag.js';
import { natsNetwork } from './nats-network.js';
import { OperatorPolicy } from './operator-policy.js';
import { reportEmail } from './report-email.js';
import { ReportFunction } from './report-function.js';
import { ReportRole } from './report-role.js';
import { ReviewerPolicy } from './reviewer-policy.js';
import { RollupRole } from './rollup-role.js';
import { RollupSchedules } from './rollup-schedules.js';
import { RunInputs } from './run-inputs.js';
import type { StackSettings } from './settings.js';
import { SigningKey } from './signing-key.js';

/** Powertools' `service` of each function: the deadline alarm counts the scheduled run's bundles only. */
export const SERVICE_NAMES = {
  scheduled: DEFAULT_SERVICE_NAME,
  onDemand: `${DEFAULT_SERVICE_NAME}-on-demand`,
  rollup: `${DEFAULT_SERVICE_NAME}-rollup`,
  attest: `${DEFAULT_SERVICE_NAME}-attest`,
  fanOutMerge: `${DEFAULT_SERVICE_NAME}-fan-out-merge`,
} as const;

/** The attest function reads one manifest and records one message: it needs neither the memory nor the time. */
export const ATTEST_MEMORY_MB = 512;
export const ATTEST_TIMEOUT = Duration.minutes(2);

export interface SoxReportsStackProps extends StackProps {
  settings: StackSettings;
  /** The repository root: the handlers, templates/ and node_modules/ are bundled from it. */
  projectRoot: string;
}

export class SoxReportsStack extends Stack {
  readonly archive: ArchiveBucket;
  readonly signing: SigningKey;
  readonly inputs: RunInputs;
  readonly alerts: AlertTopic;
  readonly reportRole: ReportRole;
  readonly scheduled: ReportFunction;
  readonly onDemand: ReportFunction;
  readonly rollupRole: RollupRole;
  readonly rollup: ReportFunction;
  readonly rollupSchedules: RollupSchedules;
  readonly fanOutStaging: FanOutStaging;
  readonly fanOut: FanOut;
  readonly attestRole: AttestRole;
  readonly attest: ReportFunction;
  readonly attestUrl: lambda.FunctionUrl;
  readonly reviewer: ReviewerPolicy;
  readonly daily: DailySchedule;
  readonly auditor: AuditorRole;
  readonly operator: OperatorPolicy;
  readonly failedRuns: sqs.Queue;
  readonly scheduleDeadLetters: sqs.Queue;
  readonly configurationSet: ses.ConfigurationSet;

  constructor(scope: Construct, id: string, props: SoxReportsStackProps) {
    super(scope, id, props);
    const { settings } = props;

    const archive = (this.archive = new ArchiveBucket(this, 'Archive', { retentionYears: settings.retentionYears }));
    const inputs = (this.inputs = new RunInputs(this, 'Inputs', {
      configParameterName: settings.configParameterName,
      certificateParameterName: settings.certificateParameterName,
    }));
    const alerts = (this.alerts = new AlertTopic(this, 'Alerts', { email: settings.alarmEmail }));
    const configurationSet = (this.configurationSet = reportEmail(this, {
      name: settings.sesConfigurationSetName,
      problemsTopic: alerts.topic,
    }));

    const reportRole = (this.reportRole = new ReportRole(this, 'ReportRole'));
    const reportAccess = {
      bucket: archive.bucket,
      bucketKey: archive.key,
      config: inputs.config,
      certificate: inputs.certificate,
      natsCredentials: inputs.natsCredentials,
      integrationSecretArns: settings.integrationSecretArns,
      topic: alerts.topic,
      configurationSet,
      sesIdentity: settings.sesIdentity,
      sesFromAddress: settings.sesFromAddress,
    };
    reportRole.grant(reportAccess);
    // The fan-out's staging bucket and roles (cdk/fan-out.ts): the merge role is the report role plus the staged parts.
    const fanOutStaging = (this.fanOutStaging = new FanOutStaging(this, 'FanOutStaging', {
      archiveKey: archive.key,
      accessLogs: archive.accessLogs,
      config: inputs.config,
      natsCredentials: inputs.natsCredentials,
      reportAccess,
    }));
    // Rollups only verify, seal and mail: a role of their own that writes nothing but rollups (cdk/rollup-role.ts).
    const rollupRole = (this.rollupRole = new RollupRole(this, 'RollupRole', {
      bucket: archive.bucket,
      bucketKey: archive.key,
      archivePrefix: settings.archivePrefix,
      config: inputs.config,
      certificate: inputs.certificate,
      natsCredentials: inputs.natsCredentials,
      configurationSet,
      sesIdentity: settings.sesIdentity,
      sesFromAddress: settings.sesFromAddress,
    }));
    const signing = (this.signing = new SigningKey(this, 'Signing', {
      signers: [reportRole.role, rollupRole.role, fanOutStaging.mergeRole.role],
      certificateIssuer: settings.certificateIssuer,
    }));

    const failedRuns = (this.failedRuns = deadLetterQueue(this, 'FailedRuns'));
    const scheduleDeadLetters = (this.scheduleDeadLetters = deadLetterQueue(this, 'ScheduleDeadLetters'));
    const attestRole = (this.attestRole = new AttestRole(this, 'AttestRole', {
      bucket: archive.bucket,
      bucketKey: archive.key,
      config: inputs.config,
      natsCredentials: inputs.natsCredentials,
    }));
    const network = settings.nats
      ? natsNetwork(this, settings.nats, [
          reportRole.role,
          attestRole.role,
          rollupRole.role,
          fanOutStaging.sliceRole,
          fanOutStaging.mergeRole.role,
        ])
      : null;

    const archivePath = settings.archivePrefix ? `/${settings.archivePrefix}` : '';
    const archiveLocation = `s3://${archive.bucket.bucketName}${archivePath}`;
    const environment: Record<string, string> = {
      [ENV.configParameter]: inputs.config.parameterName,
      [ENV.natsSecretArn]: inputs.natsCredentials.secretArn,
      [ENV.archive]: archiveLocation,
      [ENV.kmsKeyId]: signing.key.keyArn,
      [ENV.certificateParameter]: inputs.certificate.parameterName,
      [ENV.sesConfigurationSet]: configurationSet.configurationSetName,
      [ENV.alertTopicArn]: alerts.topic.topicArn,
      // Set only when chosen here: otherwise the configuration's own values apply.
      ...(settings.maxPeriodDays !== null ? { [ENV.maxPeriodDays]: String(settings.maxPeriodDays) } : {}),
      ...(settings.emailMaxBytes !== null ? { [ENV.emailMaxBytes]: String(settings.emailMaxBytes) } : {}),
      // What produced a bundle goes into its manifest; the bundle has no package.json or checkout to read it from.
      ...softwareEnvironment(),
    };
    const { [ENV.alertTopicArn]: _alerts, [ENV.maxPeriodDays]: _maxPeriodDays, ...rollupEnvironment } = environment;
    const common = {
      projectRoot: props.projectRoot,
      role: reportRole.role,
      failedRuns,
      logRetentionDays: settings.logRetentionDays,
      memoryMB: settings.reportMemoryMB,
      network,
      operatorFilesDir: settings.operatorFilesDir,
    };
    const scheduled = (this.scheduled = new ReportFunction(this, 'Scheduled', {
      ...common,
      entry: 'functions/handlers/scheduled.ts',
      description: 'Daily SOX control report: the previous calendar day in the configured time zone',
      environment: { ...environment, POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.scheduled },
      reservedConcurrency: 1,
    }));
    const onDemand = (this.onDemand = new ReportFunction(this, 'OnDemand', {
      ...common,
      entry: 'functions/handlers/on-demand.ts',
      description: 'SOX control report of any period on demand: {"date"} or {"from","to"}, optional "recipients"',
      environment: { ...environment, POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.onDemand },
    }));
    // Behind an IAM-authorized URL, with its own read-only role and only the variables it reads.
    const attest = (this.attest = new ReportFunction(this, 'Attest', {
      ...common,
      entry: 'functions/handlers/attest.ts',
      description: 'Sign-off of an archived bundle by a reviewer, recorded with their IAM principal: POST to its URL',
      // It reads the archive and records on NATS: no document to render, no stream to replay.
      renders: false,
      replays: false,
      role: attestRole.role,
      failedRuns: null,
      memoryMB: ATTEST_MEMORY_MB,
      timeout: ATTEST_TIMEOUT,
      environment: {
        [ENV.configParameter]: inputs.config.parameterName,
        [ENV.natsSecretArn]: inputs.natsCredentials.secretArn,
        [ENV.archive]: archiveLocation,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.attest,
      },
    }));
    const attestUrl = (this.attestUrl = attest.function.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.AWS_IAM,
    }));
    // Schedules and operators alike; only the variables it reads (no alert topic: a rollup opens no incident).
    const rollup = (this.rollup = new ReportFunction(this, 'Rollup', {
      ...common,
      entry: 'functions/handlers/rollup.ts',
      description:
        'SOX rollup of whole days from the sealed daily bundles: monthly and quarterly by schedule, ' +
        '{"rollup": {"month" | "quarter" | "year" | "from","to"}} on demand',
      role: rollupRole.role,
      // The report functions' environment but for the alert topic (a rollup opens no incident) and the ad-hoc
      // period bound (a rollup's span has its own).
      environment: { ...rollupEnvironment, POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.rollup },
    }));

    const fanOut = (this.fanOut = new FanOut(this, 'FanOut', {
      staging: fanOutStaging,
      settings: settings.fanOut,
      common,
      environment,
      // When the schedule starts the fan-out, its merge archives the daily bundles the deadline alarm counts.
      mergeService: settings.fanOut.scheduled ? SERVICE_NAMES.scheduled : SERVICE_NAMES.fanOutMerge,
      serviceBase: DEFAULT_SERVICE_NAME,
      failedRuns,
      topic: alerts.topic,
    }));
    const schedule = (this.daily = new DailySchedule(this, 'Daily', {
      target: settings.fanOut.scheduled ? fanOut.stateMachine : scheduled.function,
      timezone: settings.timezone,
      cron: settings.schedule,
      deadLetterQueue: scheduleDeadLetters,
    }));
    this.rollupSchedules = new RollupSchedules(this, 'Rollups', {
      target: rollup.function,
      timezone: settings.timezone,
      monthly: settings.monthlyRollup,
      quarterly: settings.quarterlyRollup,
      deadLetterQueue: scheduleDeadLetters,
    });
    new ReportAlarms(this, 'Alarms', {
      topic: alerts.topic,
      functions: [
        { label: 'Scheduled', function: scheduled.function },
        { label: 'OnDemand', function: onDemand.function },
        { label: 'Rollup', function: rollup.function },
      ],
      deadLetterQueues: [
        { label: 'FailedRuns', queue: failedRuns },
        { label: 'ScheduleDeadLetters', queue: scheduleDeadLetters },
      ],
      scheduledService: SERVICE_NAMES.scheduled,
      missingBundleHours: settings.missingBundleAlarmHours,
    });
    const auditor = (this.auditor = new AuditorRole(this, 'Auditor', {
      bucket: archive.bucket,
      bucketKey: archive.key,
      signingKey: signing.key,
      assumedBy: settings.auditorPrincipalArn,
    }));
    const operator = (this.operator = new OperatorPolicy(this, 'Operator', {
      onDemand: onDemand.function,
      rollup: rollup.function,
      fanOut: fanOut.stateMachine,
    }));
    const reviewer = (this.reviewer = new ReviewerPolicy(this, 'Reviewer', { attest: attest.function }));

    const fanOutFunctions = [fanOut.plan.function, fanOut.slice.function, fanOut.merge.function];
    for (const fn of [scheduled.function, onDemand.function, attest.function, rollup.function, ...fanOutFunctions]) {
      acknowledge(
        fn,
        'AwsSolutions-L1',
        'nodejs22.x is the runtime this code is built and tested for (esbuild target node22); ' +
          'a newer one is adopted deliberately, with the suite run on it.',
      );
    }

    const outputs: Record<string, [string, string]> = {
      ArchiveBucketName: [archive.bucket.bucketName, 'S3 bucket of the report archive (Object Lock, COMPLIANCE)'],
      ArchiveLocation: [archiveLocation, 'Archive location for sox-report verify'],
      ArchiveKeyArn: [archive.key.keyArn, 'KMS key encrypting the archive'],
      AccessLogBucketName: [archive.accessLogs.bucketName, 'Server access logs of the archive'],
      SigningKeyArn: [signing.key.keyArn, 'KMS key signing the bundles (ECC_NIST_P256)'],
      NatsSecretArn: [
        inputs.natsCredentials.secretArn,
        'Secrets Manager secret with the NATS credentials by source name',
      ],
      ConfigParameterName: [inputs.config.parameterName, 'SSM parameter with the configuration document'],
      SigningCertificateParameterName: [
        inputs.certificate.parameterName,
        'SSM parameter with the PEM certificate of the signing key',
      ],
      ScheduledFunctionName: [scheduled.function.functionName, 'Lambda function run by the daily schedule'],
      OnDemandFunctionName: [onDemand.function.functionName, 'Lambda function to invoke for any period'],
      OnDemandFunctionArn: [onDemand.function.functionArn, 'ARN of the on-demand function'],
      RollupFunctionName: [
        rollup.function.functionName,
        'Lambda function of the monthly and quarterly rollups, to invoke for any rollup',
      ],
      RollupRoleArn: [rollupRole.role.roleArn, 'Execution role of the rollup function (writes rollups only)'],
      ScheduleArn: [schedule.schedule.scheduleArn, 'EventBridge Scheduler schedule of the daily run'],
      FanOutStateMachineArn: [
        fanOut.stateMachine.stateMachineArn,
        'Step Functions fan-out of a period: plan, slices, merge (start with an on-demand payload)',
      ],
      FanOutStagingBucketName: [
        fanOutStaging.bucket.bucketName,
        "Staging of the fan-out's slice parts (not the archive)",
      ],
      ScheduleName: [schedule.schedule.scheduleName, 'Name of the daily schedule'],
      FailedRunsQueueUrl: [failedRuns.queueUrl, 'Asynchronous runs that failed after their retries'],
      ScheduleDeadLettersQueueUrl: [scheduleDeadLetters.queueUrl, 'Schedule events Scheduler could not deliver'],
      AlertTopicArn: [alerts.topic.topicArn, 'SNS topic of alarms, incidents and SES delivery problems'],
      AuditorRoleArn: [auditor.role.roleArn, 'Read-only role for auditors'],
      OperatorPolicyArn: [
        operator.policy.managedPolicyArn,
        'Managed policy to attach to operators: invoke the on-demand and rollup functions, start the fan-out',
      ],
      AttestFunctionUrl: [attestUrl.url, 'Function URL (AWS_IAM) a reviewer POSTs a sign-off to, signed with SigV4'],
      AttestFunctionName: [attest.function.functionName, "Lambda function recording reviewers' sign-offs"],
      ReviewerPolicyArn: [
        reviewer.policy.managedPolicyArn,
        'Managed policy to attach to reviewers: call the attest function URL, nothing else',
      ],
      ReportRoleArn: [reportRole.role.roleArn, 'Execution role of both report functions (the only signer)'],
      SesConfigurationSetName: [configurationSet.configurationSetName, 'SES configuration set of the report emails'],
    };
    for (const [id, [value, description]] of Object.entries(outputs)) new CfnOutput(this, id, { value, description });
  }
}

function softwareEnvironment(): Record<string, string> {
  const { version, commit } = softwareIdentity();
  return { [SOFTWARE_ENV.version]: version, ...(commit ? { [SOFTWARE_ENV.commit]: commit } : {}) };
}
