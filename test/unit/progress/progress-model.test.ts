import { describe, expect, it } from 'vitest';
import {
  emptyProgress,
  progressTracker,
  rateOf,
  recordProgress,
  runView,
  secondsLeft,
  type ProgressState,
} from '../../../functions/progress/progress-model.js';
import type { StreamProgress } from '../../../functions/progress/stream-progress.js';
import { tx, sys } from '../../support/progress-updates.js';

/** Records `[at, update]` pairs in order, from an empty state. */
function replay(steps: [number, StreamProgress][], windowMs?: number): ProgressState {
  return steps.reduce((state, [at, update]) => recordProgress(state, update, at, windowMs), emptyProgress());
}

describe('progress model', () => {
  it('gives a stream its read/total, the rate since it started and the whole seconds left', () => {
    const state = replay([
      [1_000, tx(0, 10_000)],
      [3_000, tx(2_000, 10_000)],
      [5_000, tx(4_000, 10_000)],
    ]);
    expect(runView(state).streams).toEqual([
      { source: 'app', stream: 'TRANSACTIONS', read: 4_000, total: 10_000, done: false, rate: 1_000, etaSeconds: 6 },
    ]);
  });

  it('measures the rate over the recent window only, so a stream that slows down shows it', () => {
    const state = replay([
      [0, tx(0, 10_000)],
      [4_000, tx(2_000, 10_000)],
      [8_000, tx(4_000, 10_000)],
      [12_000, tx(6_000, 10_000)],
      [20_000, tx(8_000, 10_000)],
    ]);
    // The window reaches back 10 s from the newest sample (20 s): only the samples at 12 s and 20 s remain.
    expect(state.streams[0]!.samples).toEqual([
      { at: 12_000, read: 6_000 },
      { at: 20_000, read: 8_000 },
    ]);
    expect(runView(state).streams[0]).toMatchObject({ rate: 250, etaSeconds: 8 });
  });

  it('keeps the two newest samples however far apart, so a slow stream still has a rate', () => {
    const state = replay([
      [0, tx(0, 6_000)],
      [60_000, tx(2_000, 6_000)],
    ]);
    expect(state.streams[0]!.samples).toHaveLength(2);
    expect(runView(state).streams[0]).toMatchObject({ rate: 2_000 / 60, etaSeconds: 120 });
  });

  it('knows no rate or time left from a single sample, nor from two at the same moment', () => {
    expect(runView(replay([[0, tx(0, 5_000)]])).streams[0]).toMatchObject({ rate: null, etaSeconds: null });
    const same = replay([
      [7, tx(0, 5_000)],
      [7, tx(2_000, 5_000)],
    ]);
    expect(runView(same).streams[0]).toMatchObject({ read: 2_000, rate: null, etaSeconds: null });
  });

  it('says 0 s left once a stream is done, also for one that had nothing in the period', () => {
    const done = replay([
      [0, tx(0, 4_500)],
      [2_000, tx(4_000, 4_500)],
      [2_500, tx(4_300, 4_300, true)],
    ]);
    expect(runView(done).streams[0]).toEqual({
      source: 'app',
      stream: 'TRANSACTIONS',
      read: 4_300,
      total: 4_300,
      done: true,
      rate: 4_300 / 2.5,
      etaSeconds: 0,
    });
    expect(runView(replay([[0, sys(0, 0, true)]]))).toEqual({
      read: 0,
      rate: null,
      etaSeconds: 0,
      streams: [{ source: 'audit', stream: 'SYS_EVENTS', read: 0, total: 0, done: true, rate: null, etaSeconds: 0 }],
    });
  });

  it('sums the run over its streams: messages read, rate across streams, time left of the streams under way', () => {
    const state = replay([
      [1_000, sys(0, 4_000)],
      [3_000, sys(2_000, 4_000)],
      [5_000, sys(4_000, 4_000, true)],
      [6_000, tx(0, 3_000)],
      [8_000, tx(2_000, 3_000)],
    ]);
    expect(runView(state)).toEqual({
      read: 6_000,
      // 6000 messages from 1 s to 8 s; 1000 left in TRANSACTIONS at that rate: 1.17 s, so 2.
      rate: 6_000 / 7,
      etaSeconds: 2,
      streams: [
        { source: 'audit', stream: 'SYS_EVENTS', read: 4_000, total: 4_000, done: true, rate: 1_000, etaSeconds: 0 },
        { source: 'app', stream: 'TRANSACTIONS', read: 2_000, total: 3_000, done: false, rate: 1_000, etaSeconds: 1 },
      ],
    });
  });

  it('starts a stream read again afresh: neither its rate nor the run rate spans the restart', () => {
    const state = replay([
      [0, tx(0, 4_000)],
      [1_000, tx(4_000, 4_000, true)],
      [5_000, tx(0, 4_000)],
      [6_000, tx(500, 4_000)],
    ]);
    expect(state.streams).toHaveLength(1);
    expect(state.streams[0]!.samples).toEqual([
      { at: 5_000, read: 0 },
      { at: 6_000, read: 500 },
    ]);
    expect(state.samples).toEqual([
      { at: 5_000, read: 0 },
      { at: 6_000, read: 500 },
    ]);
    expect(runView(state)).toMatchObject({ read: 500, rate: 500, etaSeconds: 7 });
  });

  it('leaves the state it was given as it was', () => {
    const before = replay([[0, tx(0, 4_000)]]);
    const copy = structuredClone(before);
    recordProgress(before, tx(2_000, 4_000), 1_000);
    expect(before).toEqual(copy);
  });

  it('rates and time left from plain numbers', () => {
    expect(rateOf([])).toBeNull();
    expect(
      rateOf([
        { at: 1_000, read: 0 },
        { at: 1_500, read: 2_000 },
      ]),
    ).toBe(4_000);
    expect(secondsLeft(0, null)).toBe(0);
    expect(secondsLeft(-3, 10)).toBe(0);
    expect(secondsLeft(100, 0)).toBeNull();
    expect(secondsLeft(100, null)).toBeNull();
    expect(secondsLeft(100, 30)).toBe(4);
  });

  it('stamps each update with the injected clock', () => {
    const times = [0, 2_000];
    const tracker = progressTracker(() => times.shift()!);
    expect(tracker.record(tx(0, 8_000))).toMatchObject({ read: 0, rate: null, etaSeconds: null });
    expect(tracker.record(tx(2_000, 8_000))).toMatchObject({ read: 2_000, rate: 1_000, etaSeconds: 6 });
    expect(tracker.view().streams[0]).toMatchObject({ read: 2_000, total: 8_000, rate: 1_000, etaSeconds: 6 });
  });
});
