import type { Context } from 'aws-lambda';
import { InputError } from '../errors.js';
import { loadLambdaConfig, maxPeriodDays } from './lambda-config.js';
import { parseOnDemandPayload, payloadKeyName, periodOfPayload, recipientsRefusal } from './on-demand-payload.js';
import { runReport } from '../pipeline/run-report.js';
import { instrumented, lambdaDeps, reportPeriod, type HandlerDeps, type ReportProduced } from './run-period.js';
import type { Period } from '../config/period.js';

/** A payload the caller can fix: returned, not thrown, so it is neither retried nor sent to a failure destination. */
export interface BadInput {
  ok: false;
  error: { code: 'bad-input'; message: string };
}

export type OnDemandResult = ReportProduced | BadInput;

/**
 * An operator's run of any finished period: `{ date }`, `{ from, to }` or `{}` (yesterday), optionally to other
 * `recipients`, each of which `email.allowedRecipients` (else `email.to`) must allow. Bad input comes back as
 * `{ ok: false, error: { code: 'bad-input', message } }`, checked before anything but the configuration is read. A
 * failure to produce the report is thrown (the caller sees a FunctionError with the message), exactly as the
 * scheduled run fails.
 */
export function createOnDemandHandler(deps: HandlerDeps) {
  return async (event: unknown, context: Context): Promise<OnDemandResult> =>
    instrumented(deps, context, 'on-demand', async (run) => {
      const { logger } = deps.observability;
      const badInput = (message: string): BadInput => {
        logger.warn('bad input', { error: message });
        return { ok: false, error: { code: 'bad-input', message } };
      };
      const payload = parseOnDemandPayload(event);
      if (!payload.ok) return badInput(payload.message);

      const config = await loadLambdaConfig(deps.env, deps.clients().ssm);
      // The deployment's limit is not the caller's input: a bad SOX_MAX_PERIOD_DAYS fails the invocation.
      const maxDays = maxPeriodDays(deps.env, config);
      const { recipients } = payload.value;
      const refused = recipients ? recipientsRefusal(recipients, config.email) : null;
      if (refused !== null) return badInput(refused);
      let period: Period;
      try {
        period = periodOfPayload(payload.value, config, deps.now(), maxDays);
      } catch (err) {
        if (err instanceof InputError) return badInput(err.worded(payloadKeyName));
        throw err;
      }
      const { slices } = payload.value;
      return reportPeriod(deps, run, config, period, runReport, {
        ...(recipients ? { recipients } : {}),
        ...(slices ? { slices } : {}),
      });
    });
}

const container = lambdaDeps();
export const handler = createOnDemandHandler(container);
/**
 * This container's AWS clients (made on first use). Lambda calls only `handler`; a harness that runs the bundle
 * mocks these, since the classes of an SDK bundled into it cannot be reached from outside.
 */
export const awsClients = container.clients;
