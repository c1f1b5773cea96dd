import { describe, expect, it } from 'vitest';
import { duration, progressFigures, streamLabel } from '../../../functions/progress/format.js';
import type { StreamView } from '../../../functions/progress/progress-model.js';

const view = (over: Partial<StreamView>): StreamView => ({
  source: 'app',
  stream: 'TRANSACTIONS',
  read: 4_000,
  total: 10_000,
  done: false,
  rate: 1_250.4,
  etaSeconds: 5,
  ...over,
});

describe('progress on a terminal line', () => {
  it('reads source/stream, read/total, the rate in whole messages per second and the time left', () => {
    expect(streamLabel(view({}))).toBe('app/TRANSACTIONS');
    expect(progressFigures(view({}))).toBe('4000/10000  1250 msg/s  5s left');
    expect(progressFigures(view({ etaSeconds: 187 }))).toBe('4000/10000  1250 msg/s  3m07s left');
  });

  it('says what it does not know yet, and "done" at the end', () => {
    expect(progressFigures(view({ read: 0, rate: null, etaSeconds: null }))).toBe('0/10000  ? msg/s  ? left');
    expect(progressFigures(view({ read: 4_500, total: 4_500, done: true, rate: 2_999.5, etaSeconds: 0 }))).toBe(
      '4500/4500  3000 msg/s  done',
    );
  });

  it('shows a name that would act on the screen as escapes', () => {
    expect(streamLabel({ source: 'app\u001b[2J', stream: '\u202eSNOITCASNART' })).toBe(
      'app\\u001B[2J/\\u202ESNOITCASNART',
    );
  });

  it('spells durations in at most two units', () => {
    expect([0, 0.2, 59, 60, 187, 3_599, 3_600, 7_500, 90_061].map(duration)).toEqual([
      '0s',
      '1s',
      '59s',
      '1m00s',
      '3m07s',
      '59m59s',
      '1h00m',
      '2h05m',
      '25h01m',
    ]);
  });
});
