import { describe, expect, it } from 'vitest';
import { optionName } from '../../../functions/cli/exit.js';
import { dailyPeriod } from '../../../functions/config/period.js';
import { InputError } from '../../../functions/errors.js';
import { payloadKeyName } from '../../../functions/handlers/on-demand-payload.js';
import {
  configuredStreams,
  MAX_SLICES,
  planSlices,
  sliceCount,
  sliceEdges,
  slicePeriod,
} from '../../../functions/slices/plan.js';
import { formatInstant, parseInstant } from '../../../functions/time/nanos.js';

const at = (text: string) => parseInstant(text)!;
const SECOND = 1_000_000_000n;

describe('slice edges', () => {
  it('splits a day evenly on whole seconds, keeping the period’s own edges', () => {
    const day = dailyPeriod('2026-11-26', 'America/New_York');
    expect(sliceEdges(day.from, day.to, 4).map(formatInstant)).toEqual([
      '2026-11-26T05:00:00.000000000Z',
      '2026-11-26T11:00:00.000000000Z',
      '2026-11-26T17:00:00.000000000Z',
      '2026-11-26T23:00:00.000000000Z',
      '2026-11-27T05:00:00.000000000Z',
    ]);
  });

  it('rounds the even split to the nearest whole second; the edges of an ad-hoc period stay as given', () => {
    const from = at('2026-11-26T05:00:00.123456789Z');
    const to = at('2026-11-26T05:00:10.000000001Z');
    expect(sliceEdges(from, to, 3).map(formatInstant)).toEqual([
      '2026-11-26T05:00:00.123456789Z',
      '2026-11-26T05:00:03.000000000Z', // 3.415… rounded
      '2026-11-26T05:00:07.000000000Z', // 6.707… rounded
      '2026-11-26T05:00:10.000000001Z',
    ]);
  });

  it('gives a period too short for N whole-second slices fewer, never an empty one', () => {
    const from = at('2026-11-26T05:00:00Z');
    const edges = sliceEdges(from, from + 10n * SECOND, 64);
    expect(edges).toEqual(Array.from({ length: 11 }, (_, i) => from + BigInt(i) * SECOND));
    // Half a second: no whole second inside it but its start, so one slice.
    expect(sliceEdges(from + SECOND / 4n, from + (3n * SECOND) / 4n, 8)).toEqual([
      from + SECOND / 4n,
      from + (3n * SECOND) / 4n,
    ]);
    expect(sliceEdges(from, from + 1n, 1)).toEqual([from, from + 1n]);
  });

  it('refuses an empty period or a count that is not a positive whole number', () => {
    const from = at('2026-11-26T05:00:00Z');
    expect(() => sliceEdges(from, from, 2)).toThrow(/the period \[2026-11-26T05:00:00\.000000000Z, .*\) is empty/);
    expect(() => sliceEdges(from, from + SECOND, 0)).toThrow('slices: 0 is not a positive whole number');
  });
});

describe('the plan', () => {
  const config = {
    sources: [
      { name: 'audit', streams: [{ stream: 'SYS_EVENTS' }, { stream: 'AUDIT_JS_ADVISORIES' }] },
      { name: 'app', streams: [{ stream: 'TRANSACTIONS' }] },
    ],
  };

  it('lists every stream’s slices in reading order, as plain JSON data', () => {
    const from = at('2026-11-26T05:00:00Z');
    const plan = planSlices(configuredStreams(config), { from, to: from + 3n * SECOND }, 3);
    expect(
      plan.map((s) => `${s.source}/${s.stream}#${s.index}/${s.count} ${s.from.slice(17, 19)}-${s.to.slice(17, 19)}`),
    ).toEqual([
      'audit/SYS_EVENTS#0/3 00-01',
      'audit/SYS_EVENTS#1/3 01-02',
      'audit/SYS_EVENTS#2/3 02-03',
      'audit/AUDIT_JS_ADVISORIES#0/3 00-01',
      'audit/AUDIT_JS_ADVISORIES#1/3 01-02',
      'audit/AUDIT_JS_ADVISORIES#2/3 02-03',
      'app/TRANSACTIONS#0/3 00-01',
      'app/TRANSACTIONS#1/3 01-02',
      'app/TRANSACTIONS#2/3 02-03',
    ]);
    expect(plan[4]).toEqual({
      source: 'audit',
      stream: 'AUDIT_JS_ADVISORIES',
      index: 1,
      count: 3,
      from: '2026-11-26T05:00:01.000000000Z',
      to: '2026-11-26T05:00:02.000000000Z',
    });
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
    expect(slicePeriod(plan[4]!)).toEqual({ from: from + SECOND, to: from + 2n * SECOND });
  });

  it('refuses a slice whose times are no period', () => {
    const slice = { source: 'a', stream: 'S', index: 2, count: 3, from: '2026-11-26T05:00:02Z', to: 'yesterday' };
    expect(() => slicePeriod(slice)).toThrow('slice 2 of a/S: [2026-11-26T05:00:02Z, yesterday) is no period');
  });
});

describe('the slice count a person asks for', () => {
  it('takes a whole number from 1 to 64, typed or in a payload', () => {
    expect(['1', '4', ' 16 ', '64'].map(sliceCount)).toEqual([1, 4, 16, 64]);
    expect(sliceCount(7)).toBe(7);
    expect(MAX_SLICES).toBe(64);
  });

  it.each(['0', '65', '1.5', '-2', 'four', '', '1e1', '0x4', 1.5, 0, 65, null])(
    'refuses %j, naming the option',
    (bad) => {
      let caught: unknown;
      try {
        sliceCount(bad);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(InputError);
      expect((caught as InputError).worded(optionName)).toBe('--slices: must be a whole number from 1 to 64');
      expect((caught as InputError).worded(payloadKeyName)).toBe('"slices": must be a whole number from 1 to 64');
    },
  );
});
