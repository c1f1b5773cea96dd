import { DateTime, IANAZone } from 'luxon';
import { InputError } from '../errors.js';
import { formatInstant, nanosFromMillis, parseInstant, type Nanos } from '../time/nanos.js';

export type PeriodKind = 'daily' | 'adhoc' | 'rollup';

/** A half-open interval [from, to) of UTC instants, in nanoseconds. */
export interface Period {
  from: Nanos;
  to: Nanos;
  timezone: string;
  kind: PeriodKind;
  /** The calendar day in `timezone` for a daily period. */
  date?: string;
  /** The first and last calendar day (inclusive) of a rollup period. */
  days?: { first: string; last: string };
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function assertTimeZone(timezone: string, where = 'timezone'): void {
  if (!IANAZone.isValidZone(timezone)) {
    throw new InputError(
      `${where}: "${timezone}" is not a known IANA time zone (for example "America/New_York" or "UTC")`,
    );
  }
}

/** The calendar day `date` in `timezone`: 23 or 25 hours long on the days clocks change. */
export function dailyPeriod(date: string, timezone: string): Period {
  assertTimeZone(timezone);
  if (!DATE.test(date))
    throw new InputError({ field: 'date', problem: `"${date}" is not a date of the form YYYY-MM-DD` });
  const start = DateTime.fromISO(date, { zone: timezone });
  if (!start.isValid || start.toISODate() !== date) {
    throw new InputError({ field: 'date', problem: `"${date}" is not a calendar date` });
  }
  const end = start.plus({ days: 1 });
  return {
    from: nanosFromMillis(start.toMillis()),
    to: nanosFromMillis(end.toMillis()),
    timezone,
    kind: 'daily',
    date,
  };
}

/** What a person asks a period by: a day, or from and to; neither means yesterday. */
export interface PeriodRequest {
  date?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/** The period a request names, in `timezone`; without date, from or to, the day before `now` (ms since the epoch). */
export function requestedPeriod(request: PeriodRequest, timezone: string, now: number): Period {
  if (request.date !== undefined && (request.from !== undefined || request.to !== undefined)) {
    throw new InputError({ field: 'date', notWith: ['from', 'to'] });
  }
  if ((request.from === undefined) !== (request.to === undefined)) {
    throw new InputError(request.from === undefined ? { field: 'to', needs: 'from' } : { field: 'from', needs: 'to' });
  }
  if (request.date !== undefined) return dailyPeriod(request.date, timezone);
  if (request.from !== undefined) return adhocPeriod(request.from, request.to!, timezone);
  return previousDay(timezone, now);
}

/** Yesterday in `timezone`, as seen at `now` (ms since the epoch). */
export function previousDay(timezone: string, now: number): Period {
  assertTimeZone(timezone);
  const yesterday = DateTime.fromMillis(now, { zone: timezone }).minus({ days: 1 }).toISODate();
  return dailyPeriod(yesterday!, timezone);
}

export function adhocPeriod(fromText: string, toText: string, timezone: string): Period {
  assertTimeZone(timezone);
  const from = parseInstant(fromText);
  if (from === null) {
    throw new InputError({
      field: 'from',
      problem: `"${fromText}" is not an ISO 8601 instant with a zone (for example 2026-11-26T05:00:00Z)`,
    });
  }
  const to = parseInstant(toText);
  if (to === null)
    throw new InputError({
      field: 'to',
      problem: `"${toText}" is not an ISO 8601 instant with a zone (for example 2026-11-27T05:00:00Z)`,
    });
  return { from, to, timezone, kind: 'adhoc' };
}

/** A report covers only finished, non-empty periods: the stream may still grow inside an unfinished one. */
export function assertReportable(period: Period, now: Nanos, maxDays?: number): void {
  if (period.from >= period.to) {
    throw new InputError(
      `period: from (${formatInstant(period.from)}) must be before to (${formatInstant(period.to)})`,
    );
  }
  if (period.to > now) {
    throw new InputError(
      `period: it ends at ${formatInstant(period.to)}, which is in the future (now is ${formatInstant(now)}); ` +
        'a report covers only a finished period',
    );
  }
  if (maxDays !== undefined && period.to - period.from > BigInt(maxDays) * 86_400_000_000_000n) {
    throw new InputError(`period: it is longer than the maximum of ${maxDays} days`);
  }
}

/** What a person asks a rollup by: first and last day, or a month, a quarter or a year. */
export interface RollupRequest {
  from?: string | undefined;
  to?: string | undefined;
  month?: string | undefined;
  quarter?: string | undefined;
  year?: string | undefined;
}

/**
 * The rollup period a request names, in `timezone`: the calendar days from `from` to `to` (both inclusive), or
 * every day of a month (`2026-11`), a quarter (`2026-Q4`) or a year (`2026`). From the first day's midnight to the
 * midnight after the last, so a rollup covers exactly the daily periods of its days.
 */
export function rollupPeriod(request: RollupRequest, timezone: string): Period {
  assertTimeZone(timezone);
  const given = (['from', 'to', 'month', 'quarter', 'year'] as const).filter((f) => request[f] !== undefined);
  const named = given.filter((f) => f === 'month' || f === 'quarter' || f === 'year');
  if (named.length > 1) throw new InputError({ field: named[0]!, notWith: named.slice(1) });
  if (named.length === 1 && given.length > 1) {
    throw new InputError({ field: named[0]!, notWith: given.filter((f) => f === 'from' || f === 'to') });
  }
  let first: string;
  let last: string;
  if (named[0] === 'month') [first, last] = monthDays(request.month!);
  else if (named[0] === 'quarter') [first, last] = quarterDays(request.quarter!);
  else if (named[0] === 'year') [first, last] = yearDays(request.year!);
  else {
    if (request.from === undefined && request.to === undefined) {
      throw new InputError({
        field: 'from',
        problem: 'a rollup needs its first and last day, or a month, a quarter or a year',
      });
    }
    if (request.from === undefined) throw new InputError({ field: 'to', needs: 'from' });
    if (request.to === undefined) throw new InputError({ field: 'from', needs: 'to' });
    first = calendarDay(request.from, 'from');
    last = calendarDay(request.to, 'to');
    if (first > last) throw new InputError({ field: 'from', value: first, isAfter: { field: 'to', value: last } });
  }
  const start = dailyPeriod(first, timezone);
  const end = dailyPeriod(last, timezone);
  return { from: start.from, to: end.to, timezone, kind: 'rollup', days: { first, last } };
}

/**
 * The most days a rollup may span: ten years of days and more (a rollup is a month, a quarter or a year; the rollup
 * Lambda takes at most a year). Each day is a daily bundle to verify and its evidence to replay, so a mistyped first
 * day (1900 for 2026) would run for hours; `verify` refuses a rollup bundle listing more, unread.
 */
export const MAX_ROLLUP_SPAN_DAYS = 3660;

/** How many days the rollup `period` spans, both ends included. */
export function rollupSpanDays(period: { days: { first: string; last: string } }): number {
  return Math.round(DateTime.fromISO(period.days.last).diff(DateTime.fromISO(period.days.first), 'days').days) + 1;
}

/** Throws an InputError naming `to` when the rollup `period` spans more than `most` days (`why`: what bounds it). */
export function assertRollupSpan(period: { days: { first: string; last: string } }, most: number, why: string): void {
  const days = rollupSpanDays(period);
  if (days > most)
    throw new InputError({
      field: 'to',
      problem:
        `the rollup from ${period.days.first} to ${period.days.last} spans ${days.toLocaleString('en-US')} days; ` +
        `at most ${most.toLocaleString('en-US')} ${why}`,
    });
}

/** Every calendar day from `first` to `last`, both inclusive (YYYY-MM-DD). */
export function daysFrom(first: string, last: string): string[] {
  const days: string[] = [];
  for (let d = DateTime.fromISO(first, { zone: 'UTC' }); d.toISODate()! <= last; d = d.plus({ days: 1 })) {
    days.push(d.toISODate()!);
  }
  return days;
}

function calendarDay(text: string, field: 'from' | 'to'): string {
  const day = DateTime.fromISO(text, { zone: 'UTC' });
  if (!DATE.test(text) || !day.isValid || day.toISODate() !== text) {
    throw new InputError({ field, problem: `"${text}" is not a calendar date of the form YYYY-MM-DD` });
  }
  return text;
}

function monthDays(text: string): [string, string] {
  const m = /^(\d{4})-(\d{2})$/.exec(text);
  const month = m ? Number(m[2]) : 0;
  if (!m || month < 1 || month > 12) {
    throw new InputError({
      field: 'month',
      problem: `"${text}" is not a month of the form YYYY-MM (for example 2026-11)`,
    });
  }
  const start = DateTime.utc(Number(m[1]), month, 1);
  return [start.toISODate()!, start.endOf('month').toISODate()!];
}

function quarterDays(text: string): [string, string] {
  const m = /^(\d{4})-Q([1-4])$/.exec(text);
  if (!m) {
    throw new InputError({
      field: 'quarter',
      problem: `"${text}" is not a quarter of the form YYYY-Qn (for example 2026-Q4)`,
    });
  }
  const start = DateTime.utc(Number(m[1]), (Number(m[2]) - 1) * 3 + 1, 1);
  return [start.toISODate()!, start.plus({ months: 2 }).endOf('month').toISODate()!];
}

function yearDays(text: string): [string, string] {
  if (!/^\d{4}$/.test(text)) {
    throw new InputError({ field: 'year', problem: `"${text}" is not a year of the form YYYY (for example 2026)` });
  }
  return [`${text}-01-01`, `${text}-12-31`];
}
