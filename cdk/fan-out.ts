import { type CfnElement, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ENV } from '../functions/handlers/environment.js';
import { MAP_RESULTS, SLICE_RESULT_KEYS } from '../functions/handlers/fan-out-payload.js';
import { acknowledge, wildcardResource } from './nag.js';
import { ReportFunction, type ReportFunctionProps } from './report-function.js';
import { ReportRole, type ReportAccess } from './report-role.js';
import type { FanOutSettings } from './settings.js';

/** The staging bucket's one prefix: every run's parts are under `runs/<run id>/`. */
export const STAGING_PREFIX = 'runs';
/** A failed run's parts stay this long for investigation, then the lifecycle rule removes them. */
export const STAGING_EXPIRY_DAYS = 7;
/** The slice function writes its parts, and may abort its own upload; nothing else, nowhere else. */
export const SLICE_STAGING_ACTIONS = ['s3:PutObject', 's3:AbortMultipartUpload'] as const;
/** The merge reads the parts, and removes them once the bundle is archived. */
export const MERGE_STAGING_ACTIONS = ['s3:GetObject', 's3:DeleteObject'] as const;
/**
 * A step that failed (NATS away longer than a run waits, a timeout) is tried twice more, as Lambda retries the
 * scheduled function's failed run: every step may run again (a slice rewrites its part, the merge completes what an
 * interrupted one left, a plan makes a new run id).
 */
export const FAILED_STEP_RETRY: sfn.RetryProps = {
  errors: ['States.TaskFailed'],
  interval: Duration.minutes(1),
  maxAttempts: 2,
  backoffRate: 2,
};
/** The plan step opens the bundle's place and sizes streams; both take seconds. */
export const PLAN_TIMEOUT = Duration.minutes(5);
/** Up to 64 slices a stream, each at most 15 minutes, at maxConcurrency at once: hours at worst, never a day. */
export const FAN_OUT_TIMEOUT = Duration.hours(6);

export interface FanOutStagingProps {
  archiveKey: kms.IKey;
  accessLogs: s3.IBucket;
  config: ssm.IStringParameter;
  natsCredentials: secretsmanager.ISecret;
  /** What the report role is granted: the merge role gets the same, plus the staged parts. */
  reportAccess: ReportAccess;
}

/**
 * Where the slices leave their results, and the two roles around it. A bucket of its own, not a prefix of the
 * archive: the archive's Object Lock is a default retention of the whole bucket and its policy denies deletes to
 * everyone, so a part written there could never be removed; here nothing is locked, the merge removes a run's parts
 * and a lifecycle rule removes what a failed run left. Encrypted with the archive's key, TLS only, private.
 * - the slice role reads the configuration and the NATS secret and writes under `runs/` (put, abort its upload);
 * - the merge role is the report role (the archive written once, the signing key, SES, the alert topic) plus reading
 *   and deleting under `runs/`. The plan step runs with it too: it opens the bundle's place as a run does.
 */
export class FanOutStaging extends Construct {
  readonly bucket: s3.Bucket;
  readonly sliceRole: iam.Role;
  readonly mergeRole: ReportRole;

  constructor(scope: Construct, id: string, props: FanOutStagingProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.archiveKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'staging/',
      lifecycleRules: [
        {
          prefix: `${STAGING_PREFIX}/`,
          expiration: Duration.days(STAGING_EXPIRY_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      // Only parts of runs in flight are here: nothing to keep once the stack goes.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const runs = this.bucket.arnForObjects(`${STAGING_PREFIX}/*`);

    this.sliceRole = new iam.Role(this, 'SliceRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'SOX fan-out slice function: read one slice from NATS, write its part to the staging bucket',
    });
    this.sliceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'WriteSliceParts', actions: [...SLICE_STAGING_ACTIONS], resources: [runs] }),
    );
    // An SSE-KMS upload needs the data key; a multipart one decrypts it again for each part.
    props.archiveKey.grant(this.sliceRole, 'kms:GenerateDataKey', 'kms:Decrypt');
    props.config.grantRead(this.sliceRole);
    props.natsCredentials.grantRead(this.sliceRole);

    this.mergeRole = new ReportRole(this, 'MergeRole');
    this.mergeRole.grant(props.reportAccess);
    this.mergeRole.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadAndRemoveSliceParts',
        actions: [...MERGE_STAGING_ACTIONS],
        resources: [runs],
      }),
    );
    this.mergeRole.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListSliceParts',
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${STAGING_PREFIX}/*`] } },
      }),
    );
    for (const role of [this.sliceRole, this.mergeRole.role])
      acknowledge(
        role,
        wildcardResource(role, runs),
        'A run id is made per execution: the parts of every run are under runs/ of the staging bucket, ' +
          'which holds nothing else.',
      );
    acknowledge(
      this.sliceRole,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments/PutTelemetryRecords (tracing is active) support no resource-level permissions.',
    );
  }
}

export interface FanOutProps {
  staging: FanOutStaging;
  settings: FanOutSettings;
  /** What every report function shares (project root, memory, network, logs); role and failure queue are ours. */
  common: Omit<ReportFunctionProps, 'entry' | 'description' | 'environment' | 'role' | 'failedRuns'>;
  /** The report functions' environment: the plan and the merge get it. */
  environment: Record<string, string>;
  /** Powertools' service of the merge: the scheduled one's when the schedule starts the fan-out (deadline alarm). */
  mergeService: string;
  serviceBase: string;
  /** The existing dead-letter path: a failed execution is sent here, where an alarm watches. */
  failedRuns: sqs.IQueue;
  topic: sns.ITopic;
}

/**
 * The Step Functions fan-out of one period over many Lambdas: plan (sized from stream info) → a distributed map of
 * the slice function over the plan's slices, each returning the digests of what it wrote → merge (given the plan and
 * those results: report, render, seal, archive, deliver). Lambda service errors are retried at each step; any
 * failure sends the execution's input and error to the failed-runs queue and fails it.
 */
export class FanOut extends Construct {
  readonly plan: ReportFunction;
  readonly slice: ReportFunction;
  readonly merge: ReportFunction;
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: FanOutProps) {
    super(scope, id);
    const { staging, settings } = props;
    const stagingLocation = `s3://${staging.bucket.bucketName}/${STAGING_PREFIX}`;
    const mergeRole = staging.mergeRole.role;
    this.plan = new ReportFunction(this, 'Plan', {
      ...props.common,
      entry: 'functions/handlers/fan-out-plan.ts',
      description: 'SOX fan-out, step 1: size the period from stream info and plan its slices',
      // It opens the bundle's place and asks each stream's size: nothing to render, no stream to replay.
      renders: false,
      replays: false,
      role: mergeRole,
      failedRuns: null,
      timeout: PLAN_TIMEOUT,
      environment: {
        ...props.environment,
        [ENV.sliceMessagesPerSecond]: String(settings.messagesPerSecond),
        [ENV.sliceBudgetSeconds]: String(settings.budgetSeconds),
        POWERTOOLS_SERVICE_NAME: `${props.serviceBase}-fan-out-plan`,
      },
    });
    this.slice = new ReportFunction(this, 'Slice', {
      ...props.common,
      entry: 'functions/handlers/fan-out-slice.ts',
      description: 'SOX fan-out, step 2: read one slice from NATS into its part and evidence part',
      // It replays and stages; the merge renders.
      renders: false,
      role: staging.sliceRole,
      failedRuns: null,
      environment: {
        [ENV.configParameter]: props.environment[ENV.configParameter]!,
        [ENV.natsSecretArn]: props.environment[ENV.natsSecretArn]!,
        [ENV.sliceStaging]: stagingLocation,
        POWERTOOLS_SERVICE_NAME: `${props.serviceBase}-fan-out-slice`,
      },
    });
    this.merge = new ReportFunction(this, 'Merge', {
      ...props.common,
      entry: 'functions/handlers/fan-out-merge.ts',
      description: 'SOX fan-out, step 3: merge the slices, then render, seal, archive and deliver the report',
      role: mergeRole,
      failedRuns: null,
      environment: {
        ...props.environment,
        [ENV.sliceStaging]: stagingLocation,
        POWERTOOLS_SERVICE_NAME: props.mergeService,
      },
    });

    const invoke = (stepId: string, fn: ReportFunction, comment: string, resultSelector?: Record<string, unknown>) =>
      new tasks.LambdaInvoke(this, stepId, {
        lambdaFunction: fn.function,
        payloadResponseOnly: true,
        // Lambda.ServiceException, AWSLambdaException, SdkClientException, Lambda.ClientExecutionTimeoutException.
        retryOnServiceExceptions: true,
        comment,
        ...(resultSelector ? { resultSelector } : {}),
      }).addRetry(FAILED_STEP_RETRY);
    const planStep = invoke('PlanSlices', this.plan, 'Size the period and split it into slices');
    // What the merge needs of each slice and nothing more (the plan step keeps the whole within a state's 256 KiB):
    // its position, its try (the keys it wrote) and the digests of the part and evidence part it wrote.
    const sliceStep = invoke(
      'ReadSlice',
      this.slice,
      'Read one slice into the staging bucket; return the digests of what it wrote',
      Object.fromEntries(SLICE_RESULT_KEYS.map((key) => [key, sfn.JsonPath.objectAt(`$.${key}`)])),
    );
    const slices = new sfn.DistributedMap(this, 'ReadSlices', {
      comment: 'Every slice of the plan, in parallel',
      itemsPath: sfn.JsonPath.stringAt('$.slices'),
      itemSelector: {
        runId: sfn.JsonPath.stringAt('$.runId'),
        position: sfn.JsonPath.numberAt('$$.Map.Item.Index'),
        slice: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
      },
      maxConcurrency: settings.maxConcurrency,
      // Beside the plan, the slice functions' own word on what each wrote: the merge trusts no part without it, since
      // anyone who may write the staging bucket could replace a part and its evidence part together.
      resultPath: `$.${MAP_RESULTS}`,
    });
    slices.itemProcessor(sliceStep);
    const mergeStep = invoke('MergeAndSeal', this.merge, 'Merge the slices; render, seal, archive, deliver');

    const failed = new tasks.SqsSendMessage(this, 'SendToFailedRuns', {
      comment: 'The failed-runs queue, whose alarm tells the alert topic',
      queue: props.failedRuns,
      messageBody: sfn.TaskInput.fromObject({
        fanOut: sfn.JsonPath.stringAt('$$.Execution.Id'),
        input: sfn.JsonPath.objectAt('$$.Execution.Input'),
        error: sfn.JsonPath.stringAt('$.failure.Error'),
        cause: sfn.JsonPath.stringAt('$.failure.Cause'),
      }),
      resultPath: sfn.JsonPath.DISCARD,
    }).next(
      new sfn.Fail(this, 'Failed', {
        errorPath: sfn.JsonPath.stringAt('$.failure.Error'),
        causePath: sfn.JsonPath.stringAt('$.failure.Cause'),
      }),
    );
    for (const step of [planStep, slices, mergeStep]) step.addCatch(failed, { resultPath: '$.failure' });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.common.logRetentionDays as logs.RetentionDays,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'SOX report of one period fanned out over many Lambdas: plan, read slices, merge',
      definitionBody: sfn.DefinitionBody.fromChainable(planStep.next(slices).next(mergeStep)),
      timeout: FAN_OUT_TIMEOUT,
      tracingEnabled: true,
      // Every state's events, without the data: a plan names recipients and the executions' errors say enough.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    const machine = Stack.of(this).resolve(
      Stack.of(this).getLogicalId(this.stateMachine.node.defaultChild as CfnElement),
    ) as string;
    const name = `{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${machine}"}]}]}`;
    const executions = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${name}`;
    for (const child of [`${executions}:*`, `${executions}/*:*`])
      acknowledge(
        this.stateMachine,
        `AwsSolutions-IAM5[Resource::${child}]`,
        "The distributed map's own grant: it starts, describes and stops the child executions of this one state " +
          'machine, whose names are not known before they run.',
      );
    for (const fn of [this.plan, this.slice, this.merge])
      acknowledge(
        this.stateMachine,
        wildcardResource(this, `${fn.function.functionArn}:*`),
        "lambda:InvokeFunction as CDK's LambdaInvoke grants it: the function and its versions (<arn>:*).",
      );
    acknowledge(
      this.stateMachine,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments/PutTelemetryRecords and the log delivery actions (tracing and logging are on) ' +
        'support no resource-level permissions.',
    );
    // A timed-out execution reaches no Catch, and so no queue: it alarms by itself.
    new cloudwatch.Alarm(this, 'TimedOut', {
      alarmDescription: 'A fan-out execution timed out: its period has no bundle',
      metric: this.stateMachine.metricTimedOut({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new actions.SnsAction(props.topic));
  }
}
