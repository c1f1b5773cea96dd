import { Duration, Stack, TimeZone } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge, wildcardResource } from './nag.js';
import type { CronFields } from './settings.js';

/**
 * Scheduler retries only a failed hand-over to Lambda (throttling, a service error); Lambda itself retries a run
 * that failed. Six hours of retries still produce the right day: the event carries the time the schedule fired.
 */
export const SCHEDULE_RETRY = { retryAttempts: 20, maxEventAge: Duration.hours(6) } as const;

export interface DailyScheduleProps {
  /** The scheduled report function, or the fan-out's state machine (cdk/fan-out.ts) when the settings choose it. */
  target: lambda.IFunction | sfn.IStateMachine;
  timezone: string;
  cron: string | CronFields;
  deadLetterQueue: sqs.IQueue;
}

export class DailySchedule extends Construct {
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: DailyScheduleProps) {
    super(scope, id);
    const timeZone = TimeZone.of(props.timezone);
    const expression =
      typeof props.cron === 'string'
        ? scheduler.ScheduleExpression.expression(props.cron, timeZone)
        : scheduler.ScheduleExpression.cron({ ...props.cron, timeZone });
    // Our own role rather than the stack-wide one LambdaInvoke would make, so its one suppression sits on it.
    const role = new iam.Role(this, 'InvokeRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'EventBridge Scheduler: start the daily SOX report',
    });
    const options = {
      ...SCHEDULE_RETRY,
      role,
      deadLetterQueue: props.deadLetterQueue,
      // The scheduled handler (and the fan-out's plan) report the day before this instant, not before the moment
      // they run.
      input: scheduler.ScheduleTargetInput.fromObject({ scheduledTime: scheduler.ContextAttribute.scheduledTime }),
    };
    const fn = 'functionArn' in props.target ? props.target : null;
    const target = fn
      ? new targets.LambdaInvoke(fn, options)
      : new targets.StepFunctionsStartExecution(props.target as sfn.IStateMachine, options);
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'Daily SOX control report for the previous calendar day',
      schedule: expression,
      target,
      timeWindow: scheduler.TimeWindow.off(),
    });
    // states:StartExecution names the one state machine; only the function's grant has a wildcard.
    if (!fn) return;
    acknowledge(
      role,
      wildcardResource(this, `${fn.functionArn}:*`),
      "lambda:InvokeFunction as CDK's grantInvoke writes it: the function and its versions (<arn>:*), " +
        'all of them the one scheduled report function.',
    );
  }
}
