import { DateTime, IANAZone } from 'luxon';
import { InputError } from '../errors.js';
import { formatInstant, nanosFromMillis, parseInstant, type Nanos } from '../time/nanos.js';

export type PeriodKind = 'daily' | 'adhoc';

/** A half-open interval [from, to) of UTC instants, in nanoseconds. */
export interface Period {
  from: Nanos;
  to: Nanos;
  timezone: string;
  kind: PeriodKind;
  /** The calendar day in `timezone` for a daily period. */
  date?: string;
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
