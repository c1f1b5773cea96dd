/**
 * The fan-out's last step (cdk/fan-out.ts): reads every slice's part from the staging bucket in the plan's order,
 * then builds the bundle exactly as `run --slices` does on one machine (RunOptions.readSlices: the same merge of
 * aggregates and evidence pieces, pipeline/replay-sliced.ts), each evidence part checked against its part's size
 * and SHA-256 as it is copied; then renders, seals, archives and delivers as a report run does. A part missing,
 * altered, or of another slice fails the run naming its object, before anything is sealed. Once the bundle is
 * archived (or was already), the run's staging objects are removed.
 */
import type { Context } from 'aws-lambda';
import type { ReadSlices } from '../pipeline/contracts.js';
import type { SlicePart } from '../slices/codec.js';
import { configuredStreams, type SlicePlan } from '../slices/plan.js';
import { checkPlanCovers } from '../slices/sizing.js';
import { copyEvidencePart, readSlicePart, removeRun, sliceKeys, stagingOf, type Staging } from './fan-out-staging.js';
import { parseFanOutPlan, periodOfPlan, sliceLabel } from './fan-out-payload.js';
import { loadLambdaConfig } from './lambda-config.js';
import { recipientsRefusal } from './on-demand-payload.js';
import { InputError } from '../errors.js';
import { instrumented, lambdaDeps, reportPeriod, type HandlerDeps, type ReportProduced } from './run-period.js';

export type MergeResult = ReportProduced & { runId: string; stagingObjectsRemoved: number };

export function createFanOutMergeHandler(deps: HandlerDeps) {
  return async (event: unknown, context: Context): Promise<MergeResult> =>
    instrumented(deps, context, 'fan-out-merge', async (run) => {
      const plan = parseFanOutPlan(event);
      const config = await loadLambdaConfig(deps.env, deps.clients().ssm);
      const period = periodOfPlan(plan, config, deps.now());
      // The plan checked them; the merge checks again what it is about to mail to, whoever invoked it.
      const refused = plan.recipients ? recipientsRefusal(plan.recipients, config.email) : null;
      if (refused !== null) throw new InputError(refused);
      const staging = stagingOf(deps.env, deps.clients().s3);
      // An empty plan: the plan step found the bundle there already; runReport completes or delivers it.
      if (plan.slices.length > 0) checkPlanCovers(plan.slices, configuredStreams(config), period);
      deps.observability.logger.appendPersistentKeys({ fanOutRun: plan.runId });
      const produced = await reportPeriod(deps, run, config, period, {
        ...(plan.recipients ? { recipients: plan.recipients } : {}),
        ...(plan.slices.length > 0 ? { readSlices: stagedSlices(staging, plan.runId, plan.slices) } : {}),
      });
      const removed = await removeRun(staging, plan.runId);
      deps.observability.logger.info('staging objects of the run removed', { count: removed });
      return { ...produced, runId: plan.runId, stagingObjectsRemoved: removed };
    });
}

/** The slices the map's functions left under the run's prefix, read and checked as the merge needs them. */
export function stagedSlices(staging: Staging, runId: string, plan: SlicePlan[]): ReadSlices {
  return {
    plan,
    async parts() {
      const parts: SlicePart[] = [];
      for (const [position, slice] of plan.entries()) {
        const key = sliceKeys(staging, runId, position).part;
        const part = await readSlicePart(staging, key);
        const same = (['source', 'stream', 'index', 'count', 'from', 'to'] as const).every(
          (k) => part.slice[k] === slice[k],
        );
        if (!same)
          throw new Error(
            `s3://${staging.bucket}/${key}: holds ${sliceLabel(part.slice)}, not the plan's ${sliceLabel(slice)}`,
          );
        parts.push(part);
      }
      return parts;
    },
    copyEvidence: (position, part, sink) =>
      copyEvidencePart(staging, sliceKeys(staging, runId, position).evidence, part.evidence, sink),
  };
}

const container = lambdaDeps();
export const handler = createFanOutMergeHandler(container);
/** This container's AWS clients (made on first use): a harness that runs the bundle mocks these. */
export const awsClients = container.clients;
