/**
 * The fan-out's first step (cdk/fan-out.ts): checks the state machine's input as the scheduled and on-demand handlers
 * do, opens the bundle's place as a run does (leftovers cleared, the key file written, what is there inspected), sizes
 * every stream's part of the period from stream info (source/stream-size.ts) and splits it into slices one Lambda
 * reads well within its 15 minutes (slices/sizing.ts), as many as the state machine can carry the results of
 * (fan-out-payload.ts checkPlanFits). Its result is the plan the map iterates and the merge is given. A bundle
 * already there (sealed, or an interrupted run's report) gets no slice: the merge completes it.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { REPORT_JSON } from '../archive/layout.js';
import { InputError } from '../errors.js';
import { openBundlePlace } from '../pipeline/bundle-place-open.js';
import { configuredStreams, planSlices } from '../slices/plan.js';
import { DEFAULT_SIZING, planSized, type SizingSettings } from '../slices/sizing.js';
import { resolveConfiguredAccounts } from '../source/account-directory.js';
import { streamSizes } from '../source/stream-size.js';
import { planPorts } from './aws-ports.js';
import { ENV } from './environment.js';
import { checkPlanFits, fanOutRequest, plannedRequest, type FanOutPlan } from './fan-out-payload.js';
import { loadLambdaConfig, maxPeriodDays, nonEmpty, type Environment } from './lambda-config.js';
import { instrumented, lambdaDeps, periodLabel, type HandlerDeps } from './run-period.js';

export function createFanOutPlanHandler(deps: HandlerDeps) {
  return async (event: unknown, context: Context): Promise<FanOutPlan> =>
    instrumented(deps, context, 'fan-out-plan', async (run) => {
      const { logger } = deps.observability;
      const config = await loadLambdaConfig(deps.env, deps.clients().ssm);
      const request = fanOutRequest(event, config, deps.now(), maxPeriodDays(deps.env, config));
      const sizing = sizingSettings(deps.env);
      const { period } = request;
      run.periodLabel = periodLabel(period);
      logger.appendPersistentKeys({ period: run.periodLabel });
      const ports = await planPorts(deps.env, deps.clients(), logger, config, {
        now: deps.now,
        remainingMs: run.remainingMs,
      });
      const runId = randomUUID();
      const base = {
        runId,
        request: plannedRequest(period),
        ...(request.recipients ? { recipients: request.recipients } : {}),
      };
      const { place } = await openBundlePlace(config, period, ports, 'bundle');
      if (place.state === 'sealed' || (place.state === 'interrupted' && place.stored.files.get(REPORT_JSON)?.data)) {
        logger.info('the bundle is there already: no slice to read, the merge completes or delivers it', { runId });
        return { ...base, existed: true, slices: [], streams: [] };
      }
      const resolved = await resolveConfiguredAccounts(config, (s) => ports.connect(s), ports.deadline);
      const sizes = await streamSizes(resolved.config, period, ports);
      const sized = request.slices
        ? { plan: planSlices(configuredStreams(config), period, request.slices), streams: null }
        : planSized(sizes, period, sizing);
      const streams =
        sized.streams ??
        sizes.map((size) => ({
          ...size,
          slices: sized.plan.filter((s) => s.stream === size.stream && s.source === size.source).length,
        }));
      const plan: FanOutPlan = { ...base, existed: false, slices: sized.plan, streams };
      checkPlanFits(plan);
      logger.info(`planned ${sized.plan.length} slices`, { runId, streams, sizing });
      return plan;
    });
}

/** `SOX_SLICE_MESSAGES_PER_SECOND` and `SOX_SLICE_BUDGET_SECONDS`, else DEFAULT_SIZING; anything else fails. */
export function sizingSettings(env: Environment): SizingSettings {
  const read = (name: string, fallback: number, max: number) => {
    const text = nonEmpty(env[name]);
    if (text === undefined) return fallback;
    const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < 1 || n > max)
      throw new InputError(`${name} must be a whole number from 1 to ${max}, not ${JSON.stringify(text)}`);
    return n;
  };
  return {
    messagesPerSecond: read(ENV.sliceMessagesPerSecond, DEFAULT_SIZING.messagesPerSecond, 10_000_000),
    budgetSeconds: read(ENV.sliceBudgetSeconds, DEFAULT_SIZING.budgetSeconds, 900),
  };
}

const container = lambdaDeps();
export const handler = createFanOutPlanHandler(container);
/** This container's AWS clients (made on first use): a harness that runs the bundle mocks these. */
export const awsClients = container.clients;
