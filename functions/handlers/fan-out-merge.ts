/**
 * The fan-out's last step (cdk/fan-out.ts): reads every slice's part from the staging bucket in the plan's order,
 * then builds the bundle exactly as `run --slices` does on one machine (RunOptions.readSlices: the same merge of
 * aggregates and evidence pieces, pipeline/replay-sliced.ts); then renders, seals, archives and delivers as a report
 * run does. The staging bucket is not trusted: a part is taken only when its bytes are the size and SHA-256 its slice
 * function returned through the state machine (the map's results, in the input), and each evidence part is checked
 * against its part's size and SHA-256 as it is copied. A slice without a result, a result no slice planned, a part
 * missing, replaced, altered or of another slice fails the run naming its object and slice, before anything is
 * sealed. Once the bundle is archived (or was already), the run's staging objects are removed.
 */
import type { Context } from 'aws-lambda';
import type { ReadSlices } from '../pipeline/contracts.js';
import type { PartDigest, SlicePart } from '../slices/codec.js';
import { configuredStreams, type SlicePlan } from '../slices/plan.js';
import { checkPlanCovers } from '../slices/sizing.js';
import {
  copyEvidencePart,
  readSlicePart,
  removeRun,
  sameDigest,
  sliceFolder,
  sliceKeys,
  stagingOf,
  type Staging,
} from './fan-out-staging.js';
import { MAP_RESULTS, parseMergeInput, periodOfPlan, sliceLabel, type SliceResult } from './fan-out-payload.js';
import { loadLambdaConfig } from './lambda-config.js';
import { recipientsRefusal } from './on-demand-payload.js';
import { InputError } from '../errors.js';
import { runReport } from '../pipeline/run-report.js';
import { instrumented, lambdaDeps, reportPeriod, type HandlerDeps, type ReportProduced } from './run-period.js';

export type MergeResult = ReportProduced & { runId: string; stagingObjectsRemoved: number };

export function createFanOutMergeHandler(deps: HandlerDeps) {
  return async (event: unknown, context: Context): Promise<MergeResult> =>
    instrumented(deps, context, 'fan-out-merge', async (run) => {
      const plan = parseMergeInput(event);
      const config = await loadLambdaConfig(deps.env, deps.clients().ssm);
      const period = periodOfPlan(plan, config, deps.now());
      // The plan checked them; the merge checks again what it is about to mail to, whoever invoked it.
      const refused = plan.recipients ? recipientsRefusal(plan.recipients, config.email) : null;
      if (refused !== null) throw new InputError(refused);
      const staging = stagingOf(deps.env, deps.clients().s3);
      const results = resultsInPlanOrder(staging, plan.runId, plan.slices, plan[MAP_RESULTS]);
      // An empty plan: the plan step found the bundle there already; runReport completes or delivers it.
      if (plan.slices.length > 0) checkPlanCovers(plan.slices, configuredStreams(config), period);
      deps.observability.logger.appendPersistentKeys({ fanOutRun: plan.runId });
      const produced = await reportPeriod(deps, run, config, period, runReport, {
        ...(plan.recipients ? { recipients: plan.recipients } : {}),
        ...(plan.slices.length > 0 ? { readSlices: stagedSlices(staging, plan.runId, plan.slices, results) } : {}),
      });
      const removed = await removeRun(staging, plan.runId);
      deps.observability.logger.info('staging objects of the run removed', { count: removed });
      return { ...produced, runId: plan.runId, stagingObjectsRemoved: removed };
    });
}

/**
 * The map's results lined up with the plan: exactly one for each slice. A slice without one, a result for a position
 * the plan does not have, or two for one slice is bad input, named with the slice's part object (and the slice).
 */
export function resultsInPlanOrder(
  staging: Staging,
  runId: string,
  plan: readonly SlicePlan[],
  results: readonly SliceResult[],
): SliceResult[] {
  const object = (position: number) => `s3://${staging.bucket}/${sliceFolder(staging, runId, position)}`;
  const byPosition = new Map<number, SliceResult>();
  for (const result of results) {
    const { position } = result;
    if (position >= plan.length)
      throw new InputError(
        `${object(position)}: a result for position ${position}, but the plan has ${plan.length} slice` +
          `${plan.length === 1 ? '' : 's'}: no slice of the plan returned it`,
      );
    if (byPosition.has(position))
      throw new InputError(`${object(position)} (${sliceLabel(plan[position]!)}): two results for one slice`);
    byPosition.set(position, result);
  }
  return plan.map((slice, position) => {
    const result = byPosition.get(position);
    if (!result)
      throw new InputError(
        `${object(position)} (${sliceLabel(slice)}): no result from its slice function, so nothing says which ` +
          'bytes it wrote: the merge takes no part on the staging bucket’s word',
      );
    return result;
  });
}

/**
 * The slices the map's functions left under the run's prefix, each part taken only from the try that returned
 * (`results`, in plan order) and only as the bytes it returned, read and checked as the merge needs them.
 */
export function stagedSlices(
  staging: Staging,
  runId: string,
  plan: SlicePlan[],
  results: readonly SliceResult[],
): ReadSlices {
  return {
    plan,
    async parts() {
      const parts: SlicePart[] = [];
      for (const [position, slice] of plan.entries()) {
        const returned = results[position]!;
        const key = sliceKeys(staging, runId, position, returned.attempt).part;
        const part = await readSlicePart(staging, key, returned.part, sliceLabel(slice));
        const same = (['source', 'stream', 'index', 'count', 'from', 'to'] as const).every(
          (k) => part.slice[k] === slice[k],
        );
        if (!same)
          throw new Error(
            `s3://${staging.bucket}/${key}: holds ${sliceLabel(part.slice)}, not the plan's ${sliceLabel(slice)}`,
          );
        if (!sameEvidence(part.evidence, returned.evidence))
          throw new Error(
            `s3://${staging.bucket}/${key} (${sliceLabel(slice)}): records another evidence part than its slice ` +
              'function returned',
          );
        parts.push(part);
      }
      return parts;
    },
    copyEvidence: (position, part, sink) =>
      copyEvidencePart(
        staging,
        sliceKeys(staging, runId, position, results[position]!.attempt).evidence,
        part.evidence,
        sink,
      ),
  };
}

const sameEvidence = (a: PartDigest | null, b: PartDigest | null) =>
  a === null || b === null ? a === b : sameDigest(a, b);

const container = lambdaDeps();
export const handler = createFanOutMergeHandler(container);
/** This container's AWS clients (made on first use): a harness that runs the bundle mocks these. */
export const awsClients = container.clients;
