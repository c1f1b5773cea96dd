/**
 * What travels between the fan-out's steps (cdk/fan-out.ts): the state machine's input (the schedule's event or an
 * operator's on-demand payload), the plan (the plan step's result, which the map iterates), one slice's input, what
 * a slice function returns, and the merge's input (the plan and the map's results). All plain JSON, checked where it
 * arrives: a run id becomes part of an S3 key, a plan decides what the bundle rests on, and a slice's result is the
 * one word about its part that no writer of the staging bucket can change.
 */
import { z } from 'zod';
import { assertReportable, previousDay, requestedPeriod, type Period } from '../config/period.js';
import type { Config } from '../config/schema.js';
import { InputError } from '../errors.js';
import { partDigestSchema, type PartDigest } from '../slices/codec.js';
import type { SlicePlan } from '../slices/plan.js';
import type { SizedStream } from '../slices/sizing.js';
import { issueText } from '../text/zod-issue.js';
import { formatInstant, millisFromNanos, nanosFromMillis, parseInstant } from '../time/nanos.js';
import { RUN_ID, SLICE_TRY } from './fan-out-staging.js';
import { parseOnDemandPayload, payloadKeyName, recipientsRefusal } from './on-demand-payload.js';

/** The period a plan was made for, as the merge derives it again: a calendar day, or an ad-hoc `[from, to)`. */
export type PlannedRequest = { date: string } | { from: string; to: string };

/** The plan step's result: the map's items (`slices`) and everything the merge needs besides the parts. */
export interface FanOutPlan {
  runId: string;
  request: PlannedRequest;
  recipients?: string[];
  /** True when the bundle's place was already sealed (or held an interrupted run's report): no slice to read. */
  existed: boolean;
  slices: SlicePlan[];
  /** Each stream's estimated size and its slice count (for the log and the operator). */
  streams: SizedStream[];
}

/** What the state machine started with, checked: the period, and the on-demand payload's options. */
export interface FanOutRequest {
  period: Period;
  recipients?: string[];
  /** Slices per stream asked for (`"slices"`), instead of sizing them. */
  slices?: number;
}

/**
 * The state machine's input: `{"scheduledTime"}` (the daily schedule: the day before it fired) or an on-demand
 * payload (`date`, `from`/`to`, `recipients`, `slices`), checked as the scheduled and on-demand handlers check them.
 * Throws an InputError worded with the payload's keys.
 */
export function fanOutRequest(event: unknown, config: Config, nowMs: number, maxDays: number): FanOutRequest {
  const isObject = typeof event === 'object' && event !== null && !Array.isArray(event);
  if (isObject && 'scheduledTime' in event) {
    if (Object.keys(event).length !== 1)
      throw new InputError('invalid payload: "scheduledTime" (the schedule\'s event) comes alone');
    const fired = typeof event.scheduledTime === 'string' ? parseInstant(event.scheduledTime) : null;
    // As the scheduled handler words it (handlers/scheduled.ts firedAt), never echoing more than the value.
    if (fired === null)
      throw new InputError(
        `scheduledTime: ${JSON.stringify(event.scheduledTime)} is not an ISO 8601 instant with a zone`,
      );
    const period = previousDay(config.timezone, millisFromNanos(fired));
    assertReportable(period, nanosFromMillis(nowMs));
    return { period };
  }
  const payload = parseOnDemandPayload(event);
  if (!payload.ok) throw new InputError(payload.message);
  const { recipients, slices } = payload.value;
  const refused = recipients ? recipientsRefusal(recipients, config.email) : null;
  if (refused !== null) throw new InputError(refused);
  let period: Period;
  try {
    period = requestedPeriod(payload.value, config.timezone, nowMs);
    assertReportable(period, nanosFromMillis(nowMs), maxDays);
  } catch (err) {
    if (err instanceof InputError) throw new InputError(err.worded(payloadKeyName));
    throw err;
  }
  return { period, ...(recipients ? { recipients } : {}), ...(slices ? { slices } : {}) };
}

/** The request the merge derives the same period from, whenever it runs (no "yesterday" left to guess). */
export function plannedRequest(period: Period): PlannedRequest {
  return period.kind === 'daily' && period.date
    ? { date: period.date }
    : { from: formatInstant(period.from), to: formatInstant(period.to) };
}

/** The period of a plan's request, in the configured zone: the one the plan step planned. */
export function periodOfPlan(plan: FanOutPlan, config: Config, nowMs: number): Period {
  const period = requestedPeriod(plan.request, config.timezone, nowMs);
  assertReportable(period, nanosFromMillis(nowMs));
  return period;
}

const text = z.string().max(64);
const sliceSchema = z.strictObject({
  source: z.string().max(256),
  stream: z.string().max(256),
  index: z.number().int().nonnegative(),
  count: z.number().int().positive(),
  from: text,
  to: text,
}) satisfies z.ZodType<SlicePlan>;
const runId = z.string().regex(RUN_ID, 'must be the run id the plan made (a UUID)');

const planSchema = z.strictObject({
  runId,
  request: z.union([z.strictObject({ date: text }), z.strictObject({ from: text, to: text })]),
  recipients: z.array(z.email()).min(1).max(50).optional(),
  existed: z.boolean(),
  slices: z.array(sliceSchema).max(4096),
  streams: z.array(
    z.strictObject({
      source: z.string(),
      stream: z.string(),
      messages: z.number().int().nonnegative(),
      bytes: z.number().int().nonnegative(),
      slices: z.number().int().positive(),
    }),
  ),
}) satisfies z.ZodType<FanOutPlan>;

const sliceInputSchema = z.strictObject({ runId, position: z.number().int().nonnegative(), slice: sliceSchema });

export type SliceInput = z.output<typeof sliceInputSchema>;

/**
 * What a slice function returns, as the map's ReadSlice step keeps it (its ResultSelector takes these keys): the
 * slice's position in the plan, which try wrote (its request id: the keys it wrote), and the size and SHA-256 of the
 * part and of the evidence part it wrote. The state machine carries it to the merge, which takes no part whose bytes
 * are not these.
 */
export interface SliceResult {
  position: number;
  attempt: string;
  part: PartDigest;
  evidence: PartDigest | null;
}

const sliceResultSchema = z.strictObject({
  position: z.number().int().nonnegative(),
  attempt: z.string().regex(SLICE_TRY, 'must be the request id of the slice function that wrote the part'),
  part: partDigestSchema,
  evidence: partDigestSchema.nullable(),
}) satisfies z.ZodType<SliceResult>;

/** The keys the ReadSlice step's ResultSelector keeps of a slice function's result. */
export const SLICE_RESULT_KEYS = Object.keys(sliceResultSchema.shape) as (keyof SliceResult)[];

/** Where the map puts its results in the state (its ResultPath), beside the plan: the merge's input key. */
export const MAP_RESULTS = 'results';

/** The merge's input: the plan, and the map's results in the plan's order. */
export interface MergeInput extends FanOutPlan {
  [MAP_RESULTS]: SliceResult[];
}

const mergeInputSchema = planSchema.extend({
  [MAP_RESULTS]: z.array(sliceResultSchema).max(4096),
}) satisfies z.ZodType<MergeInput>;

/** Step Functions' most for a state's input or output (UTF-8 bytes): past it an execution fails, uncaught. */
export const STATE_PAYLOAD_BYTES = 256 * 1024;
/**
 * Kept free for a Catch's `$.failure` beside the merge's input: an Error of up to 256 characters and a Cause of up
 * to 32,768, a Lambda's Cause being JSON text whose quotes the state escapes again.
 */
export const FAILURE_ROOM_BYTES = 64 * 1024;

/**
 * Refuses a plan whose merge input could not pass through the state machine: the plan and a result for each slice
 * (each at its largest) beside the room a failure needs, within Step Functions' payload of a state. An execution
 * past it would fail uncaught (States.DataLimitExceeded) after reading every slice, without reaching the
 * failed-runs queue; refused here, before any slice runs, it fails with this message.
 */
export function checkPlanFits(plan: FanOutPlan): void {
  const largest = (position: number): SliceResult => {
    const digest = { bytes: Number.MAX_SAFE_INTEGER, sha256: 'f'.repeat(64) };
    return { position, attempt: 'f'.repeat(36), part: digest, evidence: digest };
  };
  const input: MergeInput = { ...plan, [MAP_RESULTS]: plan.slices.map((_, position) => largest(position)) };
  const bytes = Buffer.byteLength(JSON.stringify(input), 'utf8');
  const room = STATE_PAYLOAD_BYTES - FAILURE_ROOM_BYTES;
  if (bytes > room)
    throw new Error(
      `the plan's ${plan.slices.length} slices do not fit one execution: the merge's input (the plan and each ` +
        `slice's result) could reach ${bytes} bytes, more than the ${room} a Step Functions state leaves it ` +
        `(${STATE_PAYLOAD_BYTES} less ${FAILURE_ROOM_BYTES} for a failure's error and cause): ask for fewer ` +
        '"slices", or report the period in shorter parts',
    );
}

/** How a slice is named in messages: `slice 2 of 4 of audit/SYS_EVENTS [from, to)`. */
export function sliceLabel(slice: SlicePlan): string {
  return `slice ${slice.index + 1} of ${slice.count} of ${slice.source}/${slice.stream} [${slice.from}, ${slice.to})`;
}

/**
 * The merge's input: the plan as the plan step returned it, and the map's results. Throws an InputError naming the
 * first fault (a result of another shape: `results[2].part.sha256: …`).
 */
export function parseMergeInput(event: unknown): MergeInput {
  return checked(mergeInputSchema, event, 'merge input');
}

/** One map item: the run, the slice's position in the plan, and the slice. */
export function parseSliceInput(event: unknown): SliceInput {
  return checked(sliceInputSchema, event, 'slice input');
}

function checked<T>(schema: z.ZodType<T>, event: unknown, what: string): T {
  const parsed = schema.safeParse(event);
  if (parsed.success) return parsed.data;
  throw new InputError(`invalid ${what}: ${parsed.error.issues.map((issue) => issueText(issue, '')).join('; ')}`);
}
