import { describe, expect, it } from 'vitest';
import {
  adhocBundlePath,
  DEEPEST_WALKED,
  isLayoutBundlePath,
  placeOfEntry,
} from '../../../functions/archive/layout.js';
import { parseInstant } from '../../../functions/time/nanos.js';

describe('the layout, for names anyone may give a file', () => {
  it('places a file in its bundle whatever characters its name holds, line breaks included', () => {
    const spoof = 'spoof\n2026-12-03  OK\n4 bundles, 4 days verified, 0 failed, 0 missing';
    expect(placeOfEntry(`daily/2026/12/03/${spoof}`)).toEqual({
      kind: 'daily',
      bundle: 'daily/2026/12/03',
      date: '2026-12-03',
      name: spoof,
    });
    expect(placeOfEntry('rollup/2026-12-01_2026-12-04/extra\nfile')).toEqual({
      kind: 'rollup',
      bundle: 'rollup/2026-12-01_2026-12-04',
      date: null,
      name: 'extra\nfile',
    });
    expect(placeOfEntry('adhoc/20261126T050000Z_20261127T050000Z/\r\n\u2028x/y\nz')).toMatchObject({
      bundle: 'adhoc/20261126T050000Z_20261127T050000Z',
      name: '\r\n\u2028x/y\nz',
    });
    // A folder that only looks like a day up to a line break is no day folder.
    expect(placeOfEntry('daily/2026/12/03\nx/report.json')).toBeNull();
  });

  it('tells the bundle folders it writes from folders of any other name', () => {
    for (const bundle of [
      'daily/2026/12/03',
      'rollup/2026-12-01_2026-12-04',
      'adhoc/20261126T050000Z_20261127T050000Z',
      'adhoc/20261126T050000.5Z_20261127T050000.123456789Z',
      adhocBundlePath(0n, 1n),
    ])
      expect(isLayoutBundlePath(bundle), bundle).toBe(true);
    for (const bundle of [
      'rollup/f00000',
      'rollup/aaaa',
      'adhoc/mine',
      'daily/2026/12',
      'rollup/2026-12-01_2026-12-04\n',
    ])
      expect(isLayoutBundlePath(bundle), bundle).toBe(false);
  });

  it('writes an ad-hoc folder for instants past the year 9999 with their sign, the seconds kept', () => {
    const from = parseInstant('9999-12-31T23:00:00-05:00')!; // 10000-01-01T04:00Z
    expect(adhocBundlePath(from, from + 1_500_000_000n)).toBe('adhoc/+0100000101T040000Z_+0100000101T040001.5Z');
    expect(adhocBundlePath(-62_167_251_600_000_000_000n, 0n)).toBe('adhoc/-0000011231T150000Z_19700101T000000Z');
  });

  it('walks deeper than anything it writes, and not much deeper', () => {
    // receipts/daily/YYYY/MM/DD/email-….json is the deepest path the layout writes.
    expect(DEEPEST_WALKED).toBeGreaterThan('receipts/daily/2026/11/24/email-0123456789abcdef.json'.split('/').length);
    expect(DEEPEST_WALKED).toBeLessThanOrEqual(10);
  });
});
