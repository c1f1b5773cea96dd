import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/config/load.js';
import { formatInstant } from '../../../functions/time/nanos.js';
import { InputError } from '../../../functions/errors.js';
import { ENV } from '../../../functions/handlers/environment.js';
import { resultsInPlanOrder } from '../../../functions/handlers/fan-out-merge.js';
import {
  checkPlanFits,
  type FanOutPlan,
  fanOutRequest,
  parseMergeInput,
  parseSliceInput,
  periodOfPlan,
  plannedRequest,
} from '../../../functions/handlers/fan-out-payload.js';
import { sizingSettings } from '../../../functions/handlers/fan-out-plan.js';
import { sliceFolder, sliceKeys, stagingOf } from '../../../functions/handlers/fan-out-staging.js';
import { lambdaConfigDocument, mockedClients } from '../../support/lambda-fakes.js';

const config = parseConfig(lambdaConfigDocument());
const NOW = Date.parse('2026-11-25T12:00:00Z');
const RUN = '0f8fad5b-d9cb-469f-a165-70867728950e';
const slice = {
  source: 'audit',
  stream: 'SYS_EVENTS',
  index: 0,
  count: 1,
  from: '2026-11-24T05:00:00.000000000Z',
  to: '2026-11-25T05:00:00.000000000Z',
};

describe('the state machine’s input', () => {
  it('takes the schedule’s event: the day before it fired, in the configured zone', () => {
    const { period } = fanOutRequest({ scheduledTime: '2026-11-25T11:00:00Z' }, config, NOW, 31);
    expect([period.kind, period.date, formatInstant(period.from), formatInstant(period.to)]).toEqual([
      'daily',
      '2026-11-24',
      '2026-11-24T05:00:00.000000000Z',
      '2026-11-25T05:00:00.000000000Z',
    ]);
    expect(plannedRequest(period)).toEqual({ date: '2026-11-24' });
  });

  it('takes an on-demand payload, its recipients and a slice count', () => {
    const request = fanOutRequest(
      { from: '2026-11-24T00:00:00Z', to: '2026-11-24T06:00:00Z', recipients: ['cfo@example.com'], slices: 3 },
      config,
      NOW,
      31,
    );
    expect(request.recipients).toEqual(['cfo@example.com']);
    expect(request.slices).toBe(3);
    expect(plannedRequest(request.period)).toEqual({
      from: '2026-11-24T00:00:00.000000000Z',
      to: '2026-11-24T06:00:00.000000000Z',
    });
  });

  it('refuses bad input with the on-demand function’s words', () => {
    const refused = (event: unknown) => () => fanOutRequest(event, config, NOW, 31);
    expect(refused({ scheduledTime: 'yesterday' })).toThrow(
      new InputError('scheduledTime: "yesterday" is not an ISO 8601 instant with a zone'),
    );
    expect(refused({ scheduledTime: '2026-11-25T11:00:00Z', date: '2026-11-24' })).toThrow(
      'invalid payload: "scheduledTime" (the schedule\'s event) comes alone',
    );
    expect(refused({ date: '2026-11-24', slices: 65 })).toThrow(
      'invalid payload (allowed keys: date, from, to, recipients, slices): slices: must be a whole number from 1 to 64',
    );
    expect(refused({ recipients: ['eve@evil.example'] })).toThrow(
      'recipients: eve@evil.example is not allowed (without email.allowedRecipients only the configured email.to ' +
        'addresses may receive reports)',
    );
    expect(refused({ date: '2026-11-26' })).toThrow(InputError);
  });
});

describe('the plan and a slice as the merge and the map get them', () => {
  const plan = {
    runId: RUN,
    request: { date: '2026-11-24' },
    existed: false,
    slices: [slice],
    streams: [{ source: 'audit', stream: 'SYS_EVENTS', messages: 5, bytes: 4000, slices: 1 }],
  };

  const digest = (c: string) => ({ bytes: 4321, sha256: c.repeat(64) });
  const TRY = '6c3a2a57-5d4b-4c3e-9a0f-2b1d7e9c8f10';
  const result = { position: 0, attempt: TRY, part: digest('a'), evidence: digest('b') };

  it('passes a plan and the map’s results through and derives the period again', () => {
    expect(parseMergeInput({ ...plan, results: [result] })).toEqual({ ...plan, results: [result] });
    const period = periodOfPlan(plan, config, NOW);
    expect([formatInstant(period.from), formatInstant(period.to)]).toEqual([slice.from, slice.to]);
    expect(parseSliceInput({ runId: RUN, position: 0, slice })).toEqual({ runId: RUN, position: 0, slice });
  });

  it('refuses a run id that is no UUID (it becomes part of a key), naming the key', () => {
    expect(() => parseMergeInput({ ...plan, runId: '../../daily', results: [result] })).toThrow(
      new InputError('invalid merge input: runId: must be the run id the plan made (a UUID)'),
    );
    expect(() => parseSliceInput({ runId: RUN, position: -1, slice })).toThrow(
      'invalid slice input: position: Too small: expected number to be >=0',
    );
    expect(() => parseSliceInput({ runId: RUN, position: 0, slice: { ...slice, extra: 1 } })).toThrow(
      'invalid slice input: slice: unknown key "extra"',
    );
  });

  it('refuses a merge input without the map’s results, or with a malformed one, as bad input naming the key', () => {
    const refused = (results: unknown) => () => parseMergeInput({ ...plan, results });
    expect(() => parseMergeInput(plan)).toThrow(
      new InputError('invalid merge input: results: Invalid input: expected array, received undefined'),
    );
    expect(refused([{ ...result, part: { bytes: 4321, sha256: 'A'.repeat(64) } }])).toThrow(
      new InputError('invalid merge input: results[0].part.sha256: must be 64 lowercase hex digits'),
    );
    expect(refused([{ ...result, evidence: { bytes: -1, sha256: 'b'.repeat(64) } }])).toThrow(
      new InputError('invalid merge input: results[0].evidence.bytes: Too small: expected number to be >=0'),
    );
    expect(refused([{ ...result, attempt: '../slice-1/x' }])).toThrow(
      new InputError(
        'invalid merge input: results[0].attempt: must be the request id of the slice function that wrote the part',
      ),
    );
    expect(refused([{ position: 0, attempt: TRY, part: digest('a') }])).toThrow(
      new InputError('invalid merge input: results[0].evidence: Invalid input: expected object, received undefined'),
    );
    expect(refused([{ ...result, messages: 5 }])).toThrow(
      new InputError('invalid merge input: results[0]: unknown key "messages"'),
    );
  });

  it('lines the results up with the plan, refusing a slice without one, a stranger and a twin, naming the part', () => {
    const staging = stagingOf({ [ENV.sliceStaging]: 's3://sox-staging/runs' }, mockedClients().clients.s3);
    const second = { ...slice, index: 1, count: 2 };
    const two = [{ ...slice, count: 2 }, second];
    const at = (position: number) => ({ ...result, position });
    expect(resultsInPlanOrder(staging, RUN, two, [at(1), at(0)])).toEqual([at(0), at(1)]);
    expect(resultsInPlanOrder(staging, RUN, [], [])).toEqual([]);
    expect(() => resultsInPlanOrder(staging, RUN, two, [at(0)])).toThrow(
      new InputError(
        `s3://sox-staging/runs/${RUN}/slice-1/ (slice 2 of 2 of audit/SYS_EVENTS ` +
          '[2026-11-24T05:00:00.000000000Z, 2026-11-25T05:00:00.000000000Z)): no result from its slice function, ' +
          'so nothing says which bytes it wrote: the merge takes no part on the staging bucket’s word',
      ),
    );
    expect(() => resultsInPlanOrder(staging, RUN, two, [at(0), at(1), at(2)])).toThrow(
      new InputError(
        `s3://sox-staging/runs/${RUN}/slice-2/: a result for position 2, but the plan has 2 slices: ` +
          'no slice of the plan returned it',
      ),
    );
    expect(() => resultsInPlanOrder(staging, RUN, two, [at(0), at(0), at(1)])).toThrow(
      new InputError(
        `s3://sox-staging/runs/${RUN}/slice-0/ (slice 1 of 2 of audit/SYS_EVENTS ` +
          '[2026-11-24T05:00:00.000000000Z, 2026-11-25T05:00:00.000000000Z)): two results for one slice',
      ),
    );
  });

  it('refuses a plan whose merge input could outgrow a Step Functions state, before any slice runs', () => {
    // Streams of 64 slices each (the most a stream gets), named as a deployment names them.
    const planOf = (streams: number): FanOutPlan => {
      const names = Array.from({ length: streams }, (_, i) => `APP_STREAM_${String(i).padStart(2, '0')}`);
      return {
        ...plan,
        slices: names.flatMap((stream) =>
          Array.from({ length: 64 }, (_, index) => ({ ...slice, source: 'app', stream, index, count: 64 })),
        ),
        streams: names.map((stream) => ({ source: 'app', stream, messages: 1_000_000_000, bytes: 1, slices: 64 })),
      };
    };
    expect(() => checkPlanFits(planOf(0))).not.toThrow();
    // About 433 bytes a slice: 448 fit, 512 are 25,205 bytes too many.
    expect(() => checkPlanFits(planOf(7))).not.toThrow();
    expect(() => checkPlanFits(planOf(8))).toThrow(
      new Error(
        "the plan's 512 slices do not fit one execution: the merge's input (the plan and each slice's result) " +
          'could reach 221813 bytes, more than the 196608 a Step Functions state leaves it (262144 less 65536 for ' +
          'a failure\'s error and cause): ask for fewer "slices", or report the period in shorter parts',
      ),
    );
  });

  it('keys each try of a slice’s objects under the run prefix of the staging location', () => {
    const staging = stagingOf({ [ENV.sliceStaging]: 's3://sox-staging/runs/' }, mockedClients().clients.s3);
    expect([staging.bucket, staging.prefix]).toEqual(['sox-staging', 'runs']);
    const TRY = '6c3a2a57-5d4b-4c3e-9a0f-2b1d7e9c8f10';
    expect(sliceKeys(staging, RUN, 3, TRY)).toEqual({
      part: `runs/${RUN}/slice-3/${TRY}.json`,
      evidence: `runs/${RUN}/slice-3/${TRY}.evidence.gz`,
    });
    expect(sliceFolder(staging, RUN, 3)).toBe(`runs/${RUN}/slice-3/`);
    expect(() => sliceKeys(staging, RUN, 0, '../slice-1/x')).toThrow(
      'slice try "../slice-1/x" is not a Lambda request id',
    );
    expect(() => sliceKeys(staging, RUN, 0, 'f'.repeat(37))).toThrow('is not a Lambda request id');
    expect(() => stagingOf({}, staging.client)).toThrow(
      'SOX_SLICE_STAGING is not set: the fan-out needs the staging bucket and prefix of its slices, s3://bucket/runs',
    );
    expect(() => sliceKeys(staging, 'x/../y', 0, TRY)).toThrow('run id "x/../y" is not one the plan makes');
  });

  it('sizes by the deployment’s rate and budget, else the defaults', () => {
    expect(sizingSettings({})).toEqual({ messagesPerSecond: 40_000, budgetSeconds: 480 });
    expect(sizingSettings({ [ENV.sliceMessagesPerSecond]: '60000', [ENV.sliceBudgetSeconds]: '600' })).toEqual({
      messagesPerSecond: 60_000,
      budgetSeconds: 600,
    });
    expect(() => sizingSettings({ [ENV.sliceBudgetSeconds]: '901' })).toThrow(
      'SOX_SLICE_BUDGET_SECONDS must be a whole number from 1 to 900, not "901"',
    );
  });
});
