import { Stack, TimeZone } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { RollupScheduleEvent } from '../functions/handlers/rollup-payload.js';
import { SCHEDULE_RETRY } from './daily-schedule.js';
import { acknowledge, wildcardResource } from './nag.js';
import type { RollupScheduleSettings } from './settings.js';

export interface RollupSchedulesProps {
  target: lambda.IFunction;
  timezone: string;
  monthly: RollupScheduleSettings;
  quarterly: RollupScheduleSettings;
  deadLetterQueue: sqs.IQueue;
}

/**
 * The monthly and quarterly rollups' schedules, in the stack's time zone, with the daily schedule's retries and dead
 * letters. Each hands the rollup function `{"schedule", "scheduledTime"}`: it rolls up the month or quarter that ended
 * before that time (functions/handlers/rollup-payload.ts), so a retry hours later names the same period. A schedule
 * disabled in the settings is deployed DISABLED.
 */
export class RollupSchedules extends Construct {
  readonly monthly: scheduler.Schedule;
  readonly quarterly: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: RollupSchedulesProps) {
    super(scope, id);
    const role = new iam.Role(this, 'InvokeRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'EventBridge Scheduler: start the monthly and quarterly SOX rollups',
    });
    const timeZone = TimeZone.of(props.timezone);
    const schedule = (
      name: string,
      which: RollupScheduleEvent['schedule'],
      settings: RollupScheduleSettings,
      description: string,
    ) =>
      new scheduler.Schedule(this, name, {
        description,
        schedule:
          typeof settings.cron === 'string'
            ? scheduler.ScheduleExpression.expression(settings.cron, timeZone)
            : scheduler.ScheduleExpression.cron({ ...settings.cron, timeZone }),
        target: new targets.LambdaInvoke(props.target, {
          ...SCHEDULE_RETRY,
          role,
          deadLetterQueue: props.deadLetterQueue,
          input: scheduler.ScheduleTargetInput.fromObject({
            schedule: which,
            scheduledTime: scheduler.ContextAttribute.scheduledTime,
          }),
        }),
        enabled: settings.enabled,
        timeWindow: scheduler.TimeWindow.off(),
      });
    this.monthly = schedule('Monthly', 'monthly', props.monthly, 'SOX rollup of the month before the one it fires in');
    this.quarterly = schedule(
      'Quarterly',
      'quarterly',
      props.quarterly,
      'SOX rollup of the quarter before the one it fires in',
    );
    acknowledge(
      role,
      wildcardResource(this, `${props.target.functionArn}:*`),
      "lambda:InvokeFunction as CDK's grantInvoke writes it: the function and its versions (<arn>:*), " +
        'all of them the one rollup function.',
    );
  }
}
