import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE } from '../functions/handlers/observability.js';

/**
 * The metric the handlers publish through Powertools, named by the handlers' own constants so a rename cannot
 * silently orphan the alarm: 1 per newly archived bundle, 0 for a run that found it archived or failed; its only
 * dimension is `service` (POWERTOOLS_SERVICE_NAME).
 */
export const BUNDLES_ARCHIVED = {
  namespace: METRICS_NAMESPACE,
  metricName: METRIC.bundlesArchived,
  dimension: 'service',
} as const;

/** The alert topic: the functions publish incidents to it, the alarms and SES delivery problems land in it. */
export class AlertTopic extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: { email: string | null }) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the SOX report alert topic',
      enableKeyRotation: true,
    });
    // CloudWatch and SES publish to an encrypted topic only if the key lets them; without this an alarm fires
    // into nothing, silently.
    const { account } = Stack.of(this);
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlarmsAndSesPublish',
        principals: [
          new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
          new iam.ServicePrincipal('ses.amazonaws.com'),
        ],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'SOX reports: alerts',
      masterKey: this.key,
      enforceSSL: true,
    });
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
  }
}

export interface ReportAlarmsProps {
  topic: sns.ITopic;
  functions: { label: string; function: lambda.IFunction }[];
  deadLetterQueues: { label: string; queue: sqs.IQueue }[];
  /** The `service` of the scheduled function's metrics (POWERTOOLS_SERVICE_NAME). */
  scheduledService: string;
  missingBundleHours: number;
}

/** Everything that must never fail silently: a failed run, a dead letter, a day without a report. */
export class ReportAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ReportAlarmsProps) {
    super(scope, id);
    const notify = new actions.SnsAction(props.topic);
    const add = (alarm: cloudwatch.Alarm) => {
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
      this.alarms.push(alarm);
    };

    for (const { label, function: fn } of props.functions) {
      add(
        new cloudwatch.Alarm(this, `${label}Errors`, {
          alarmDescription:
            `The ${label} report function failed (a thrown error: see its logs; ` +
            'Lambda retries asynchronous runs).',
          metric: fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    for (const { label, queue } of props.deadLetterQueues) {
      add(
        new cloudwatch.Alarm(this, `${label}Visible`, {
          alarmDescription: `A report run ended in ${label}: its event is in the queue, with the reason.`,
          metric: queue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(5),
            statistic: cloudwatch.Stats.MAXIMUM,
          }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    // Hourly sums, every one of the last N missing or zero: a 24 h window would race the daily run itself (the
    // window that ends just before today's run has finished no longer holds yesterday's).
    add(
      new cloudwatch.Alarm(this, 'NoBundleArchived', {
        alarmDescription: `No daily report bundle was archived in the last ${props.missingBundleHours} hours.`,
        metric: new cloudwatch.Metric({
          namespace: BUNDLES_ARCHIVED.namespace,
          metricName: BUNDLES_ARCHIVED.metricName,
          dimensionsMap: { [BUNDLES_ARCHIVED.dimension]: props.scheduledService },
          statistic: cloudwatch.Stats.SUM,
          period: Duration.hours(1),
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: props.missingBundleHours,
        datapointsToAlarm: props.missingBundleHours,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
    );
  }
}
