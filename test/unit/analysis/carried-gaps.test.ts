import { describe, expect, it } from 'vitest';
import { accountedThrough, withoutCarriedGaps } from '../../../functions/analysis/carried-gaps.js';
import type { ReportV1, StreamCompleteness } from '../../../functions/analysis/report-model.js';

const stream = (firstSeq: number | null, lastSeq: number | null, gaps: [number, number][]): StreamCompleteness => ({
  source: 'app',
  stream: 'TRANSACTIONS',
  kind: 'transactions',
  firstSeq,
  lastSeq,
  messages: 1,
  gaps,
  missing: gaps.reduce((n, [a, b]) => n + b - a + 1, 0),
  firstTime: null,
  lastTime: null,
});
const previousWith = (s: StreamCompleteness) => ({ streams: [s] }) as unknown as ReportV1;

describe('withoutCarriedGaps', () => {
  it('drops the part of a leading gap the previous report listed after its last message', () => {
    const [s] = withoutCarriedGaps(
      [
        stream(13, 20, [
          [11, 12],
          [15, 15],
        ]),
      ],
      previousWith(
        stream(1, 10, [
          [5, 5],
          [11, 11],
        ]),
      ),
    );
    expect(s).toMatchObject({
      gaps: [
        [12, 12],
        [15, 15],
      ],
      missing: 2,
    });
  });

  it('knows a run deleted within a period that kept no message', () => {
    const [s] = withoutCarriedGaps([stream(12, 12, [[11, 11]])], previousWith(stream(null, null, [[11, 11]])));
    expect(s).toMatchObject({ gaps: [], missing: 0 });
  });

  it('leaves streams alone when the previous report ended on a message', () => {
    const current = stream(12, 12, [[11, 11]]);
    expect(withoutCarriedGaps([current], previousWith(stream(1, 10, [[5, 5]])))[0]).toBe(current);
  });

  it('counts what a report accounted for: its last message, or the end of a run deleted after it', () => {
    expect(accountedThrough(stream(1, 10, [[11, 12]]))).toBe(12);
    expect(accountedThrough(stream(1, 10, [[5, 5]]))).toBe(10);
    expect(accountedThrough(stream(null, null, []))).toBeNull();
  });
});
