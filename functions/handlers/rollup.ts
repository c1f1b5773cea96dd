import type { Context } from 'aws-lambda';
import type { Period, RollupRequest } from '../config/period.js';
import { InputError } from '../errors.js';
import { runRollup, type RollupPeriod } from '../pipeline/run-rollup.js';
import { loadLambdaConfig } from './lambda-config.js';
import type { BadInput } from './on-demand.js';
import { recipientsRefusal } from './on-demand-payload.js';
import {
  parseRollupEvent,
  rollupKeyName,
  rollupPeriodOf,
  scheduledAt,
  scheduledRollupRequest,
} from './rollup-payload.js';
import {
  instrumented,
  lambdaDeps,
  reportPeriod,
  type HandlerDeps,
  type Produce,
  type ReportProduced,
} from './run-period.js';

export type RollupResult = ReportProduced | BadInput;

const rollupOf: Produce = (config, period, ports, options) => runRollup(config, period as RollupPeriod, ports, options);

/**
 * The rollup function: a rollup of whole days from the sealed daily bundles (pipeline/run-rollup.ts), emailed to the
 * officers like a daily. Two ways in, one role that may write only rollups:
 * - a schedule (`{"schedule": "monthly" | "quarterly", "scheduledTime"}`): the month or quarter that ended last before
 *   the time the schedule fired, in the configured zone. A bad event or a failure is thrown, so Lambda retries it
 *   and then hands it to the on-failure destination, as for the daily run;
 * - an operator (`{"rollup": {"month" | "quarter" | "year" | "from"+"to"}, "recipients"?}`): bad input comes back as
 *   `{ ok: false, error: { code: 'bad-input', message } }`, checked before anything but the configuration is read,
 *   the recipients allowed exactly as for on-demand reports.
 * A rollup already archived is not rebuilt; its email is sent only if no receipt says it went to those recipients.
 * A retry after an invocation that died part-way completes the rollup it left, keeping what it stored.
 */
export function createRollupHandler(deps: HandlerDeps) {
  return async (event: unknown, context: Context): Promise<RollupResult> => {
    const asked = parseRollupEvent(event);
    const fromSchedule = typeof event === 'object' && event !== null && 'schedule' in event;
    return instrumented(deps, context, fromSchedule ? 'scheduled-rollup' : 'on-demand-rollup', async (run) => {
      const { logger } = deps.observability;
      const badInput = (message: string): BadInput => {
        logger.warn('bad input', { error: message });
        return { ok: false, error: { code: 'bad-input', message } };
      };
      if (!asked.ok) {
        // A schedule's event is ours, not a caller's: a malformed one is a deployment fault, thrown and alarmed on.
        if (fromSchedule) throw new InputError(asked.message);
        return badInput(asked.message);
      }
      const config = await loadLambdaConfig(deps.env, deps.clients().ssm);
      const now = deps.now();
      if (asked.value.trigger === 'scheduled-rollup') {
        const { schedule } = asked.value.event;
        const request = scheduledRollupRequest(schedule, scheduledAt(asked.value.event), config.timezone);
        // A scheduled time in the future cannot name a finished period: thrown by rollupPeriodOf, as a fault.
        return reportPeriod(deps, run, config, rollupPeriodOf(request, config.timezone, now), rollupOf, {}, false);
      }
      const { rollup, recipients } = asked.value.payload;
      const refused = recipients ? recipientsRefusal(recipients, config.email) : null;
      if (refused !== null) return badInput(refused);
      let period: Period;
      try {
        period = rollupPeriodOf(rollup satisfies RollupRequest, config.timezone, now);
      } catch (err) {
        if (err instanceof InputError) return badInput(err.worded(rollupKeyName));
        throw err;
      }
      return reportPeriod(deps, run, config, period, rollupOf, recipients ? { recipients } : {}, false);
    });
  };
}

const container = lambdaDeps();
export const handler = createRollupHandler(container);
/**
 * This container's AWS clients (made on first use). Lambda calls only `handler`; a harness that runs the bundle
 * mocks these, since the classes of an SDK bundled into it cannot be reached from outside.
 */
export const awsClients = container.clients;
