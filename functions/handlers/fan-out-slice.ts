/**
 * One item of the fan-out's map (cdk/fan-out.ts): replays one slice of the plan over a connection of its own
 * (pipeline/replay-slice.ts) and leaves its result in the staging bucket under the run's prefix
 * (handlers/fan-out-staging.ts): the evidence part as it is read, then the part (slices/codec.ts) with that part's
 * size and SHA-256. It returns the size and SHA-256 of both to the state machine, which hands them to the merge: the
 * merge takes the part only as those bytes, whoever else may write the bucket. Each try writes under its own request
 * id and returns it: a retried slice writes both again at keys of its own, which a first try still running cannot
 * overwrite. Its role reads NATS and writes there, nothing else.
 */
import type { Context } from 'aws-lambda';
import { replaySlice } from '../pipeline/replay-slice.js';
import { resolveConfiguredAccounts } from '../source/account-directory.js';
import { connectSource } from '../source/connect.js';
import { lambdaDeadline } from './aws-ports.js';
import { evidenceUpload, putSlicePart, sliceKeys, stagingOf } from './fan-out-staging.js';
import { parseSliceInput, sliceLabel, type SliceResult } from './fan-out-payload.js';
import { loadLambdaConfig } from './lambda-config.js';
import { loadNatsSecrets } from './nats-secret.js';
import { instrumented, lambdaDeps, type HandlerDeps } from './run-period.js';

/** What a slice returns to the map: its result for the merge, and how many messages it read (for the history). */
export interface SliceDone extends SliceResult {
  messages: number;
}

export function createFanOutSliceHandler(deps: HandlerDeps) {
  return async (event: unknown, context: Context): Promise<SliceDone> =>
    instrumented(deps, context, 'fan-out-slice', async (run) => {
      const { logger } = deps.observability;
      const { runId, position, slice } = parseSliceInput(event);
      run.periodLabel = sliceLabel(slice);
      logger.appendPersistentKeys({ period: run.periodLabel, fanOutRun: runId });
      const clients = deps.clients();
      const config = await loadLambdaConfig(deps.env, clients.ssm);
      const staging = stagingOf(deps.env, clients.s3);
      const secrets = await loadNatsSecrets(deps.env, clients.secrets, config);
      const ports = {
        connect: (source: (typeof config.sources)[number]) =>
          connectSource(source.name, source.nats, secrets.get(source.name)),
        deadline: lambdaDeadline(deps.env, run.remainingMs(), Date.now()),
      };
      const resolved = await resolveConfiguredAccounts(config, ports.connect, ports.deadline);
      const attempt = context.awsRequestId;
      const keys = sliceKeys(staging, runId, position, attempt);
      const upload = evidenceUpload(staging, keys.evidence);
      let part: Awaited<ReturnType<typeof replaySlice>>;
      try {
        part = await replaySlice(resolved.config, slice, ports, { evidence: upload });
        await upload.close();
      } catch (err) {
        await upload.abort();
        throw err;
      }
      const written = await putSlicePart(staging, keys.part, part);
      const done: SliceDone = {
        position,
        attempt,
        part: written,
        evidence: part.evidence,
        messages: part.stream.messages,
      };
      logger.info('slice read', { ...done, seconds: run.seconds() });
      return done;
    });
}

const container = lambdaDeps();
export const handler = createFanOutSliceHandler(container);
/** This container's AWS clients (made on first use): a harness that runs the bundle mocks these. */
export const awsClients = container.clients;
