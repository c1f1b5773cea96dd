/**
 * What the officers' email says of a rollup besides the report's figures: which period it rolls up, in words, and
 * the days missing or failing verification, consecutive days with the same finding said once. Pure.
 */
import { DateTime } from 'luxon';
import type { RollupSection } from '../analysis/report-model.js';
import type { RollupSummary } from './view-model-types.js';

export function rollupSummary(rollup: RollupSection): RollupSummary {
  type Run = { first: string; last: string; status: 'failed' | 'missing'; why: string };
  const runs: Run[] = [];
  for (const day of rollup.days) {
    if (day.status === 'verified') continue;
    const why = day.problems.join('; ') || day.status;
    const last = runs.at(-1);
    if (last && last.status === day.status && last.why === why && nextDay(last.last) === day.date) last.last = day.date;
    else runs.push({ first: day.date, last: day.date, status: day.status, why });
  }
  return {
    first: rollup.first,
    last: rollup.last,
    name: rollupName(rollup.first, rollup.last),
    days: rollup.days.length,
    verified: rollup.verified,
    failed: rollup.failed,
    missing: rollup.missing,
    exceptions: runs.map((r) => ({ days: spanText(r.first, r.last), status: r.status, why: r.why })),
  };
}

/** The period a rollup's first and last day span, as a person names it. */
export function rollupName(first: string, last: string): string {
  const start = DateTime.fromISO(first, { zone: 'UTC' });
  const end = DateTime.fromISO(last, { zone: 'UTC' });
  const whole = (unit: 'month' | 'quarter' | 'year') =>
    start.startOf(unit).equals(start) && end.endOf(unit).startOf('day').equals(end) && start.hasSame(end, unit);
  if (whole('year')) return String(start.year);
  if (whole('quarter')) return `${start.year}-Q${start.quarter}`;
  if (whole('month')) return start.setLocale('en-US').toFormat('LLLL yyyy');
  return spanText(first, last);
}

function spanText(first: string, last: string): string {
  return first === last ? first : `${first} to ${last}`;
}

function nextDay(date: string): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days: 1 }).toISODate()!;
}
