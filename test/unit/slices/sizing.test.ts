import { describe, expect, it } from 'vitest';
import { adhocPeriod, dailyPeriod } from '../../../functions/config/period.js';
import { planSlices } from '../../../functions/slices/plan.js';
import {
  checkPlanCovers,
  DEFAULT_SIZING,
  largestCount,
  messagesPerSlice,
  planSized,
  slicesFor,
  type StreamSize,
} from '../../../functions/slices/sizing.js';

const size = (messages: number, stream = 'SYS_EVENTS'): StreamSize => ({
  source: 'audit',
  stream,
  messages,
  bytes: messages * 900,
});

describe('sizing slices from stream info', () => {
  it('plans 19.2 million messages a slice by default: 40,000 msg/s for 8 minutes', () => {
    expect(DEFAULT_SIZING).toEqual({ messagesPerSecond: 40_000, budgetSeconds: 480 });
    expect(messagesPerSlice(DEFAULT_SIZING)).toBe(19_200_000);
  });

  it('gives a small or empty day one slice, and a big one its messages over a slice’s, rounded up', () => {
    expect(slicesFor(size(0), DEFAULT_SIZING)).toBe(1);
    expect(slicesFor(size(1), DEFAULT_SIZING)).toBe(1);
    expect(slicesFor(size(19_200_000), DEFAULT_SIZING)).toBe(1);
    expect(slicesFor(size(19_200_001), DEFAULT_SIZING)).toBe(2);
    expect(slicesFor(size(300_000_000), DEFAULT_SIZING)).toBe(16);
    expect(slicesFor(size(100), { messagesPerSecond: 10, budgetSeconds: 3 })).toBe(4);
  });

  it('refuses a stream that would need more than 64 slices, naming it, and settings that are no rate', () => {
    expect(() => slicesFor(size(64 * 19_200_000 + 1), DEFAULT_SIZING)).toThrow(
      'sizing audit/SYS_EVENTS: about 1228800001 messages in the period need 65 slices of at most 19200000 ' +
        '(40000 msg/s for 480 s), more than 64: report the period in shorter parts',
    );
    expect(() => slicesFor(size(-1), DEFAULT_SIZING)).toThrow('sizing audit/SYS_EVENTS: -1 is not a count of messages');
    expect(() => messagesPerSlice({ messagesPerSecond: 0, budgetSeconds: 480 })).toThrow(
      'sizing: messagesPerSecond 0 is not a positive whole number',
    );
    expect(() => messagesPerSlice({ messagesPerSecond: 40_000, budgetSeconds: 901 })).toThrow(
      'sizing: budgetSeconds 901 is not a whole number from 1 to 900',
    );
  });

  it('splits each stream by its own size, in reading order, on whole-second edges', () => {
    const day = dailyPeriod('2026-11-26', 'America/New_York');
    const { plan, streams } = planSized([size(45_000_000), size(10, 'TRANSACTIONS')], day, DEFAULT_SIZING);
    expect(streams).toEqual([
      { source: 'audit', stream: 'SYS_EVENTS', messages: 45_000_000, bytes: 40_500_000_000, slices: 3 },
      { source: 'audit', stream: 'TRANSACTIONS', messages: 10, bytes: 9000, slices: 1 },
    ]);
    expect(plan).toEqual([
      {
        source: 'audit',
        stream: 'SYS_EVENTS',
        index: 0,
        count: 3,
        from: '2026-11-26T05:00:00.000000000Z',
        to: '2026-11-26T13:00:00.000000000Z',
      },
      {
        source: 'audit',
        stream: 'SYS_EVENTS',
        index: 1,
        count: 3,
        from: '2026-11-26T13:00:00.000000000Z',
        to: '2026-11-26T21:00:00.000000000Z',
      },
      {
        source: 'audit',
        stream: 'SYS_EVENTS',
        index: 2,
        count: 3,
        from: '2026-11-26T21:00:00.000000000Z',
        to: '2026-11-27T05:00:00.000000000Z',
      },
      {
        source: 'audit',
        stream: 'TRANSACTIONS',
        index: 0,
        count: 1,
        from: '2026-11-26T05:00:00.000000000Z',
        to: '2026-11-27T05:00:00.000000000Z',
      },
    ]);
    expect(largestCount(plan)).toBe(3);
    // A sized plan with one count everywhere is planSlices' plan.
    const even = planSized([size(20_000_000), size(20_000_000, 'TRANSACTIONS')], day, DEFAULT_SIZING).plan;
    expect(even).toEqual(
      planSlices(
        [
          { source: 'audit', stream: 'SYS_EVENTS' },
          { source: 'audit', stream: 'TRANSACTIONS' },
        ],
        day,
        2,
      ),
    );
  });

  it('gives a period too short for its count fewer slices', () => {
    const period = adhocPeriod('2026-11-26T05:00:00Z', '2026-11-26T05:00:03Z', 'UTC');
    const { plan, streams } = planSized([size(1000)], period, { messagesPerSecond: 1, budgetSeconds: 100 });
    expect(streams[0]!.slices).toBe(3);
    expect(plan.map((s) => [s.index, s.count, s.from, s.to])).toEqual([
      [0, 3, '2026-11-26T05:00:00.000000000Z', '2026-11-26T05:00:01.000000000Z'],
      [1, 3, '2026-11-26T05:00:01.000000000Z', '2026-11-26T05:00:02.000000000Z'],
      [2, 3, '2026-11-26T05:00:02.000000000Z', '2026-11-26T05:00:03.000000000Z'],
    ]);
  });
});

describe('a plan handed back to the merge', () => {
  const day = dailyPeriod('2026-11-26', 'UTC');
  const streams = [
    { source: 'audit', stream: 'SYS_EVENTS' },
    { source: 'app', stream: 'TRANSACTIONS' },
  ];
  const good = () => planSlices(streams, day, 2);

  it('passes when it covers every configured stream over the period', () => {
    expect(() => checkPlanCovers(good(), streams, day)).not.toThrow();
  });

  it('fails naming a stream left out, a period not covered, a slice out of order or one not configured', () => {
    expect(() => checkPlanCovers(good().slice(0, 2), streams, day)).toThrow(
      'the plan has no slice of app/TRANSACTIONS (or not in reading order)',
    );
    const short = good();
    short[3] = { ...short[3]!, to: '2026-11-26T23:00:00.000000000Z' };
    expect(() => checkPlanCovers(short, streams, day)).toThrow(
      "the plan's slices of app/TRANSACTIONS cover [2026-11-26T00:00:00.000000000Z, 2026-11-26T23:00:00.000000000Z), " +
        'not [2026-11-26T00:00:00.000000000Z, 2026-11-27T00:00:00.000000000Z)',
    );
    const gap = good();
    gap[1] = { ...gap[1]!, from: '2026-11-26T12:00:01.000000000Z' };
    expect(() => checkPlanCovers(gap, streams, day)).toThrow(
      "the plan's slice 2 of audit/SYS_EVENTS does not follow the one before it",
    );
    const extra = [...good(), { ...good()[0]!, source: 'x' }];
    expect(() => checkPlanCovers(extra, streams, day)).toThrow(
      'the plan has a slice of x/SYS_EVENTS the configuration does not',
    );
  });
});
