import { describe, expect, it } from 'vitest';
import { assertRollupSpan, daysFrom, rollupPeriod, rollupSpanDays } from '../../../functions/config/period.js';
import { InputError } from '../../../functions/errors.js';
import { formatInstant } from '../../../functions/time/nanos.js';

const span = (request: Parameters<typeof rollupPeriod>[0], timezone = 'America/New_York') => {
  const p = rollupPeriod(request, timezone);
  return { from: formatInstant(p.from), to: formatInstant(p.to), kind: p.kind, days: p.days };
};

function issueOf(fn: () => unknown): InputError['issue'] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as InputError).issue;
  }
  throw new Error('expected a throw');
}

describe('rollupPeriod', () => {
  it('takes --from and --to as whole days in the time zone, both inclusive', () => {
    expect(span({ from: '2026-11-24', to: '2026-11-26' })).toEqual({
      from: '2026-11-24T05:00:00.000000000Z',
      to: '2026-11-27T05:00:00.000000000Z',
      kind: 'rollup',
      days: { first: '2026-11-24', last: '2026-11-26' },
    });
  });

  it('takes a month, across the DST change of November', () => {
    expect(span({ month: '2026-11' })).toEqual({
      from: '2026-11-01T04:00:00.000000000Z',
      to: '2026-12-01T05:00:00.000000000Z',
      kind: 'rollup',
      days: { first: '2026-11-01', last: '2026-11-30' },
    });
    expect(span({ month: '2028-02' }, 'UTC').days).toEqual({ first: '2028-02-01', last: '2028-02-29' });
  });

  it('takes a quarter and a year', () => {
    expect(span({ quarter: '2026-Q4' })).toEqual({
      from: '2026-10-01T04:00:00.000000000Z',
      to: '2027-01-01T05:00:00.000000000Z',
      kind: 'rollup',
      days: { first: '2026-10-01', last: '2026-12-31' },
    });
    expect(span({ quarter: '2026-Q1' }, 'UTC').days).toEqual({ first: '2026-01-01', last: '2026-03-31' });
    expect(span({ year: '2026' }, 'Europe/Berlin')).toEqual({
      from: '2025-12-31T23:00:00.000000000Z',
      to: '2026-12-31T23:00:00.000000000Z',
      kind: 'rollup',
      days: { first: '2026-01-01', last: '2026-12-31' },
    });
  });

  it('names the option that is wrong', () => {
    expect(issueOf(() => rollupPeriod({ month: '2026-13' }, 'UTC'))).toEqual({
      field: 'month',
      problem: '"2026-13" is not a month of the form YYYY-MM (for example 2026-11)',
    });
    expect(issueOf(() => rollupPeriod({ quarter: '2026-Q5' }, 'UTC'))).toEqual({
      field: 'quarter',
      problem: '"2026-Q5" is not a quarter of the form YYYY-Qn (for example 2026-Q4)',
    });
    expect(issueOf(() => rollupPeriod({ year: '26' }, 'UTC'))).toEqual({
      field: 'year',
      problem: '"26" is not a year of the form YYYY (for example 2026)',
    });
    expect(issueOf(() => rollupPeriod({ from: '2026-02-30', to: '2026-03-01' }, 'UTC'))).toEqual({
      field: 'from',
      problem: '"2026-02-30" is not a calendar date of the form YYYY-MM-DD',
    });
    expect(issueOf(() => rollupPeriod({ from: '2026-03-02', to: '2026-03-01' }, 'UTC'))).toEqual({
      field: 'from',
      value: '2026-03-02',
      isAfter: { field: 'to', value: '2026-03-01' },
    });
    expect(issueOf(() => rollupPeriod({ from: '2026-03-01' }, 'UTC'))).toEqual({ field: 'from', needs: 'to' });
    expect(issueOf(() => rollupPeriod({ month: '2026-11', year: '2026' }, 'UTC'))).toEqual({
      field: 'month',
      notWith: ['year'],
    });
    expect(issueOf(() => rollupPeriod({ quarter: '2026-Q4', from: '2026-10-01' }, 'UTC'))).toEqual({
      field: 'quarter',
      notWith: ['from'],
    });
    expect(issueOf(() => rollupPeriod({}, 'UTC'))).toEqual({
      field: 'from',
      problem: 'a rollup needs its first and last day, or a month, a quarter or a year',
    });
  });

  it('lists the days of a span', () => {
    expect(daysFrom('2026-02-27', '2026-03-02')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
  });
});

describe('a rollup’s span', () => {
  const days = (first: string, last: string) => ({ days: { first, last } });
  it('counts calendar days, both ends included, across leap days and clock changes', () => {
    expect(rollupSpanDays(days('2026-11-30', '2026-11-30'))).toBe(1);
    expect(rollupSpanDays(days('2024-01-01', '2024-12-31'))).toBe(366);
    expect(rollupSpanDays(days('2026-03-01', '2026-03-31'))).toBe(31);
    expect(rollupSpanDays(days('2016-12-01', '2026-11-30'))).toBe(daysFrom('2016-12-01', '2026-11-30').length);
  });

  it('refuses a span over the most, naming the last day as the field', () => {
    expect(() => assertRollupSpan(days('2024-01-01', '2024-12-31'), 366, 'fit')).not.toThrow();
    expect(issueOf(() => assertRollupSpan(days('2024-01-01', '2025-01-01'), 366, '(a year) fit in one go'))).toEqual({
      field: 'to',
      problem: 'the rollup from 2024-01-01 to 2025-01-01 spans 367 days; at most 366 (a year) fit in one go',
    });
  });
});
