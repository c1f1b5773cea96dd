import { describe, expect, it } from 'vitest';
import { dayStatusLines } from '../../../functions/pipeline/run-rollup.js';

describe("a rollup's log of its days", () => {
  it('says each verified or failed day, and a run of missing days in one line', () => {
    const day = (date: string, status: 'verified' | 'failed' | 'missing') => ({ date, status });
    expect(
      dayStatusLines([
        day('2026-01-01', 'missing'),
        day('2026-01-02', 'missing'),
        day('2026-01-03', 'missing'),
        day('2026-01-04', 'verified'),
        day('2026-01-05', 'missing'),
        day('2026-01-06', 'failed'),
        day('2026-01-07', 'failed'),
        day('2026-01-08', 'missing'),
        day('2026-01-09', 'missing'),
      ]),
    ).toEqual([
      '2026-01-01 to 2026-01-03: missing (3 days)',
      '2026-01-04: verified',
      '2026-01-05: missing',
      '2026-01-06: failed',
      '2026-01-07: failed',
      '2026-01-08 to 2026-01-09: missing (2 days)',
    ]);
    expect(dayStatusLines([])).toEqual([]);
  });
});
