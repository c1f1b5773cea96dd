import { DateTime } from 'luxon';
import { z } from 'zod';
import {
  assertReportable,
  assertRollupSpan,
  assertTimeZone,
  rollupPeriod,
  type RollupRequest,
} from '../config/period.js';
import { InputError, type InputNamer } from '../errors.js';
import type { RollupPeriod } from '../pipeline/run-rollup.js';
import { issueText, keyPath } from '../text/zod-issue.js';
import { millisFromNanos, nanosFromMillis, parseInstant } from '../time/nanos.js';
import { onDemandPayload, type Parsed } from './on-demand-payload.js';

/**
 * The longest rollup one invocation takes on: every day is verified with its report re-performed from its evidence,
 * so a span of years would not finish within Lambda's 15 minutes. A year (366 days in a leap year) is the longest
 * named period.
 */
export const MAX_ROLLUP_DAYS = 366;

const day = z.string('must be text').max(40);

/** Which days: a month, a quarter, a year, or first and last day; `rollupPeriod` checks the values as the CLI does. */
const rollupRequest = z.strictObject(
  {
    month: day.optional(),
    quarter: day.optional(),
    year: day.optional(),
    from: day.optional(),
    to: day.optional(),
  },
  'must be an object: {"month": "YYYY-MM"}, {"quarter": "YYYY-Qn"}, {"year": "YYYY"} or {"from", "to"} (days)',
);

/**
 * A rollup on demand: `{"rollup": {"month": "2026-11"}}` (or `quarter`, `year`, `from`/`to`), optionally to other
 * `recipients`, each of which the configuration must allow exactly as for on-demand reports.
 */
export const rollupPayload = z.strictObject({
  rollup: rollupRequest,
  recipients: onDemandPayload.shape.recipients,
});

export type RollupPayload = z.output<typeof rollupPayload>;

/** What a rollup schedule sends (cdk/rollup-schedules.ts): which rollup, and the time the schedule fired. */
export const rollupScheduleEvent = z.strictObject({
  schedule: z.enum(['monthly', 'quarterly'], 'must be "monthly" or "quarterly"'),
  /** EventBridge Scheduler's `<aws.scheduler.scheduled-time>`: a retry hours later still names the same rollup. */
  scheduledTime: z.string('must be text').max(64),
});

export type RollupScheduleEvent = z.output<typeof rollupScheduleEvent>;

/** What the rollup function was asked: by a schedule, or by an operator (with its optional recipients). */
export type RollupAsked =
  | { trigger: 'scheduled-rollup'; event: RollupScheduleEvent }
  | { trigger: 'on-demand-rollup'; payload: RollupPayload };

/**
 * A schedule's event (it has `schedule`) or an operator's payload, checked by shape only; messages name the key as
 * JSON (`"rollup.month": …`) and never echo a value.
 */
export function parseRollupEvent(event: unknown): Parsed<RollupAsked> {
  const scheduled = typeof event === 'object' && event !== null && 'schedule' in event;
  const schema = scheduled ? rollupScheduleEvent : rollupPayload;
  const parsed = schema.safeParse(event ?? {});
  if (!parsed.success) {
    // The problem in zod-issue.ts's words, the key quoted as the payload spells it.
    const lines = parsed.error.issues.map((issue) => {
      const problem = issueText({ ...issue, path: [] }, '');
      return issue.path.length === 0 ? problem : `${JSON.stringify(keyPath(issue.path))}: ${problem}`;
    });
    const allowed = Object.keys(schema.shape).join(', ');
    const what = scheduled ? 'schedule event' : 'rollup payload';
    return { ok: false, message: `invalid ${what} (allowed keys: ${allowed}): ${lines.join('; ')}` };
  }
  return scheduled
    ? { ok: true, value: { trigger: 'scheduled-rollup', event: parsed.data as RollupScheduleEvent } }
    : { ok: true, value: { trigger: 'on-demand-rollup', payload: parsed.data as RollupPayload } };
}

/**
 * The instant a schedule's event says it fired at, in ms (as the daily's `scheduledTime`; parsed here rather than
 * imported from scheduled.ts, whose module builds the daily handler when loaded).
 */
export function scheduledAt(event: RollupScheduleEvent): number {
  const instant = parseInstant(event.scheduledTime);
  if (instant === null) {
    throw new InputError(
      `scheduledTime: ${JSON.stringify(event.scheduledTime)} is not an ISO 8601 instant with a zone`,
    );
  }
  return millisFromNanos(instant);
}

/** The payload's word for a rollup input the core names: `"rollup.month"` where the CLI says `--month`. */
export const rollupKeyName: InputNamer = (field) => JSON.stringify(`rollup.${field}`);

/**
 * The month or quarter that ended last before `firedAtMs`, in `timezone`: a schedule firing on 2 December (or a retry
 * of it days later, which carries the same scheduled time) asks for November, or for the fourth quarter when it fires
 * in January. Pure: the instant is the schedule's, never the clock's.
 */
export function scheduledRollupRequest(
  schedule: RollupScheduleEvent['schedule'],
  firedAtMs: number,
  timezone: string,
): RollupRequest {
  assertTimeZone(timezone);
  const local = DateTime.fromMillis(firedAtMs, { zone: timezone });
  if (schedule === 'monthly') return { month: local.startOf('month').minus({ months: 1 }).toFormat('yyyy-MM') };
  const quarter = local.startOf('quarter').minus({ quarters: 1 });
  return { quarter: `${quarter.year}-Q${quarter.quarter}` };
}

/**
 * The rollup period asked for, by the CLI's rules (`rollupPeriod`: whole days in `timezone`), finished before `nowMs`
 * and at most MAX_ROLLUP_DAYS long. Throws InputError naming the field.
 */
export function rollupPeriodOf(request: RollupRequest, timezone: string, nowMs: number): RollupPeriod {
  const period = rollupPeriod(request, timezone) as RollupPeriod;
  assertRollupSpan(period, MAX_ROLLUP_DAYS, '(a year) fit in one invocation');
  assertReportable(period, nanosFromMillis(nowMs));
  return period;
}
