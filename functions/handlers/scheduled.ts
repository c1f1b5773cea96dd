import type { Context } from 'aws-lambda';
import { assertReportable, previousDay } from '../config/period.js';
import { InputError } from '../errors.js';
import { millisFromNanos, nanosFromMillis, parseInstant } from '../time/nanos.js';
import { loadLambdaConfig } from './lambda-config.js';
import { runReport } from '../pipeline/run-report.js';
import { instrumented, lambdaDeps, reportPeriod, type HandlerDeps, type ReportProduced } from './run-period.js';

/**
 * What the schedule sends. Only `scheduledTime` is read: with it (EventBridge Scheduler's
 * `<aws.scheduler.scheduled-time>`) a retry hours later still reports the day the schedule fired for.
 */
export interface ScheduledEvent {
  scheduledTime?: string;
}

/**
 * The daily run: the previous calendar day in the configured time zone. Every failure is thrown, so Lambda
 * retries the asynchronous invocation and then hands it to the on-failure destination; a retry finds what the
 * first attempt archived or sent and does not do it again.
 */
export function createScheduledHandler(deps: HandlerDeps) {
  return async (event: unknown, context: Context): Promise<ReportProduced> =>
    instrumented(deps, context, 'scheduled', async (run) => {
      const config = await loadLambdaConfig(deps.env, deps.clients().ssm);
      const now = deps.now();
      const period = previousDay(config.timezone, firedAt(event) ?? now);
      // An archived bundle can never be replaced: a day that has not ended (a wrong scheduledTime) must not be sealed.
      assertReportable(period, nanosFromMillis(now));
      return reportPeriod(deps, run, config, period, runReport);
    });
}

/** The moment the schedule fired, in ms, when the event says; null for events without one. */
export function firedAt(event: unknown): number | null {
  if (typeof event !== 'object' || event === null || !('scheduledTime' in event)) return null;
  const text = event.scheduledTime;
  const instant = typeof text === 'string' ? parseInstant(text) : null;
  if (instant === null)
    throw new InputError(`scheduledTime: ${JSON.stringify(text)} is not an ISO 8601 instant with a zone`);
  return millisFromNanos(instant);
}

const container = lambdaDeps();
export const handler = createScheduledHandler(container);
/**
 * This container's AWS clients (made on first use). Lambda calls only `handler`; a harness that runs the bundle
 * mocks these, since the classes of an SDK bundled into it cannot be reached from outside.
 */
export const awsClients = container.clients;
