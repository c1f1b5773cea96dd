import { describe, expect, it } from 'vitest';
import { countedDespiteDayBefore } from '../../../functions/archive/rollup-day.js';
import { capProblems, MAX_PROBLEMS_NAMED } from '../../../functions/archive/verify-limits.js';
import { MAX_ROLLUP_SPAN_DAYS } from '../../../functions/config/period.js';
import {
  parseRollupReport,
  restedDayFindings,
  rollupSectionProblems,
  type RollupSectionShape,
} from '../../../functions/archive/verify-rollup.js';

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const SHA = 'ab'.repeat(32);
const FIGURES = {
  messages: 1,
  transactions: 1,
  connects: 1,
  authFailures: 0,
  changes: 0,
  incidentsOpened: 0,
  incidentsResolved: 0,
  failingControls: [],
};
const verifiedDay = (date: string) => ({
  date,
  bundle: `daily/${date.replaceAll('-', '/')}`,
  status: 'verified',
  manifestSha256: SHA,
  problems: [],
  figures: FIGURES,
});
const section = (days: unknown[], extra: Record<string, unknown> = {}) => ({
  first: '2026-11-01',
  last: '2026-11-02',
  verified: days.length,
  failed: 0,
  missing: 0,
  days,
  ...extra,
});
const parsed = (value: unknown): RollupSectionShape => {
  const result = parseRollupReport(bytes({ generatedAt: '2026-11-03T06:00:00.000000000Z', rollup: value }));
  if ('problems' in result) throw new Error(result.problems.join('; '));
  return result.report.rollup;
};

describe("a rollup's report.json as verify reads it", () => {
  it('names the first field of the wrong shape, never throwing', () => {
    expect(parseRollupReport(bytes({ generatedAt: 'x', rollup: { ...section([null]) } }))).toEqual({
      problems: ['report.json: rollup.days[0]: Invalid input: expected object, received null'],
    });
    const unverified = { ...verifiedDay('2026-11-01'), manifestSha256: null };
    expect(parseRollupReport(bytes({ generatedAt: 'x', rollup: section([unverified]) }))).toEqual({
      problems: [
        'report.json: rollup.days[0]: a verified day names the SHA-256 of the manifest it rests on, and its figures',
      ],
    });
    // Not JSON, or not an object: named by the report.json check every bundle gets.
    expect(parseRollupReport(new TextEncoder().encode('{'))).toEqual({ problems: [] });
  });

  it('refuses more days than a rollup may span by the count alone', () => {
    const days = Array.from({ length: MAX_ROLLUP_SPAN_DAYS + 1 }, () => null);
    expect(parseRollupReport(bytes({ rollup: { days } }))).toEqual({
      problems: ['report.json: rollup.days lists 3,661 days, more than a rollup may span (3,660)'],
    });
  });

  it('holds the days to the folder: each day once, in order, at its daily bundle, the counts adding up', () => {
    const bundle = 'rollup/2026-11-01_2026-11-02';
    const good = section([verifiedDay('2026-11-01'), verifiedDay('2026-11-02')]);
    expect(rollupSectionProblems(bundle, parsed(good))).toEqual({ problems: [], usable: true });
    expect(rollupSectionProblems(bundle, parsed(section([verifiedDay('2026-11-01')])))).toEqual({
      problems: [
        'report.json: rollup.days lists 1 day, but 2026-11-01 to 2026-11-02 is 2 days: the days it lists were not read',
      ],
      usable: false,
    });
    const elsewhere = { ...verifiedDay('2026-11-02'), bundle: '../daily/2026/11/02' };
    expect(rollupSectionProblems(bundle, parsed(section([verifiedDay('2026-11-01'), elsewhere])))).toEqual({
      problems: [
        'report.json: rollup.days[1] is the day 2026-11-02 at ../daily/2026/11/02, but day 2 of the rollup is ' +
          '2026-11-02 at daily/2026/11/02: the days it lists were not read',
      ],
      usable: false,
    });
    const miscounted = { ...good, verified: 1, missing: 1 };
    expect(rollupSectionProblems(bundle, parsed(miscounted)).problems).toEqual([
      'report.json: rollup.verified is 1, but 2 days are listed verified',
      'report.json: rollup.missing is 1, but 0 days are listed missing',
    ]);
    expect(rollupSectionProblems('rollup/2000-01-01_2026-11-02', parsed(good))).toEqual({
      problems: [
        'rollup: rollup/2000-01-01_2026-11-02 spans 9,803 days, more than a rollup may span (3,660): ' +
          'the days it lists were not read',
      ],
      usable: false,
    });
  });

  it('holds the sign-offs it read to the days it rests on', () => {
    const reviews = {
      deadlineDays: 3,
      lookbackDays: 14,
      asOf: '2026-11-03',
      recordError: null,
      bundles: [
        { bundle: 'daily/2026/11/01', date: '2026-11-01', manifestSha256: SHA, attestations: [] },
        { bundle: 'daily/2026/11/02', date: '2026-11-02', manifestSha256: 'cd'.repeat(32), attestations: [] },
      ],
    };
    const rollup = parsed(section([verifiedDay('2026-11-01'), verifiedDay('2026-11-02')], { reviews }));
    expect(rollupSectionProblems('rollup/2026-11-01_2026-11-02', rollup).problems).toEqual([
      `report.json: rollup.reviews.bundles[1].manifestSha256: read "${'cd'.repeat(32)}", days "${SHA}"`,
    ]);
  });
});

describe('the days a rollup rests on, as verified in the same run', () => {
  const restsOn = ['2026-11-01', '2026-11-02', '2026-11-03'].map((date) => ({
    date,
    bundle: `daily/${date.replaceAll('-', '/')}`,
  }));

  it('fails the rollup naming each day that fails, and notes the days not verified in the run', () => {
    const outcomes: Record<string, readonly string[] | 'unchecked'> = {
      'daily/2026/11/01': [],
      'daily/2026/11/02': ['report.html: SHA-256 is …', 'report.pdf: …'],
      'daily/2026/11/03': 'unchecked',
    };
    expect(restedDayFindings(restsOn, (b) => outcomes[b])).toEqual({
      problems: [
        'rollup: the day 2026-11-02 it rests on fails verification (daily/2026/11/02: 2 problems, named on that day)',
      ],
      notes: ['1 day it rests on was not verified in this run (outside the days asked for)'],
    });
  });

  it('counts a day failing only on the report of the day before when that day fails itself, as the rollup did', () => {
    const previous = ['recompute: inputs.previous.reportSha256 is …, but daily/2026/11/02/report.json has …'];
    const outcomes: Record<string, readonly string[]> = {
      'daily/2026/11/01': [],
      'daily/2026/11/02': ['report.json: SHA-256 is …'],
      'daily/2026/11/03': previous,
    };
    // The rollup listed 11-02 as failed: only 11-01 and 11-03 are days it rests on.
    expect(restedDayFindings([restsOn[0]!, restsOn[2]!], (b) => outcomes[b])).toEqual({
      problems: [],
      notes: [
        'counted as the rollup counted them: 2026-11-03, which fail only on the report of the day before, ' +
          'which fails itself',
      ],
    });
    expect(countedDespiteDayBefore(previous, false)).toBe(false);
    expect(countedDespiteDayBefore([], true)).toBe(false);
  });
});

describe('the problems named for one bundle', () => {
  it('are capped, the rest counted', () => {
    const many = Array.from({ length: 250 }, (_, i) => `problem ${i}`);
    const capped = capProblems(many);
    expect(capped).toHaveLength(MAX_PROBLEMS_NAMED + 1);
    expect(capped.at(-1)).toBe('and 150 more problems');
    expect(capProblems(['one'])).toEqual(['one']);
  });
});
