import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { addMessage } from '../../functions/analysis/add-event.js';
import { DEFAULT_LIMITS, emptyAggregate, type AggregateState } from '../../functions/analysis/aggregate-state.js';
import { mergeAggregates } from '../../functions/analysis/merge-aggregates.js';
import { buildReport } from '../../functions/analysis/finalize.js';
import type { Period } from '../../functions/config/period.js';
import type { SourceConfig, StreamConfig } from '../../functions/config/schema.js';
import type { RawMessage } from '../../functions/events/types.js';
import { generateActivity } from '../../functions/local/activity.js';
import { NATS_VERSIONS } from '../../functions/local/nats-binaries.js';
import { replayAndAggregate } from '../../functions/pipeline/replay-aggregate.js';
import { connectSource } from '../../functions/source/connect.js';
import { replayStream } from '../../functions/source/replay.js';
import { nowNanos, type Nanos } from '../../functions/time/nanos.js';
import { startTestBed, type TestBed } from '../support/hub.js';

const options = { consumerPrefix: 'sox-report', idleMs: 1000 };
const parseOptions = { ownConsumerPrefix: 'sox-report_' };

async function replayAll(bed: TestBed, period: Period, sink: (m: RawMessage) => void) {
  const results = [];
  for (const source of bed.config.sources) {
    const nc = await connectSource(source.name, source.nats);
    try {
      for (const ref of source.streams) results.push(await replayStream(nc, source.name, ref, period, sink, options));
    } finally {
      await nc.close();
    }
  }
  return results;
}

function aggregateInto(state: AggregateState) {
  return (m: RawMessage) => addMessage(state, m, parseOptions);
}

describe.each(NATS_VERSIONS)('replay on nats-server %s', (version) => {
  let bed: TestBed;
  let start: Nanos;
  let end: Nanos;

  beforeAll(async () => {
    bed = await startTestBed(version);
    start = nowNanos();
    await generateActivity(bed.hub, { transactions: 9 });
    end = nowNanos();
  });
  afterAll(async () => bed?.close());

  it('finishes promptly on windows that hold nothing: before, after, and of an empty stream', async () => {
    const hour = 3_600_000_000_000n;
    const windows: Period[] = [
      { from: start - 2n * hour, to: start - hour, timezone: 'UTC', kind: 'adhoc' },
      // After the activity, before anything else happened on the server.
      { from: end + 1n, to: nowNanos(), timezone: 'UTC', kind: 'adhoc' },
    ];
    const app = await connectSource('app', bed.config.sources[1]!.nats);
    await jetstreamManager(app).then((jsm) => jsm.streams.add({ name: 'EMPTY', subjects: ['empty.>'] }));
    const emptyRef: StreamConfig = { stream: 'EMPTY', kind: 'transactions', quiet: true };
    for (const period of windows) {
      const seen: RawMessage[] = [];
      const streams = await replayAll(bed, period, (m) => void seen.push(m));
      expect(seen).toEqual([]);
      expect(streams.map((s) => [s.stream, s.messages, s.firstSeq, s.gaps])).toEqual([
        ['SYS_EVENTS', 0, null, []],
        ['APP_JS_ADVISORIES', 0, null, []],
        ['AUDIT_JS_ADVISORIES', 0, null, []],
        ['TRANSACTIONS', 0, null, []],
      ]);
      const empty = await replayStream(app, 'app', emptyRef, period, (m) => void seen.push(m), options);
      expect(empty).toMatchObject({ messages: 0, firstSeq: null, lastSeq: null, gaps: [] });
    }
    await app.close();
  });

  it('reads exactly [from, to) to the nanosecond: a message stored at `to` belongs to the next period', async () => {
    const all: RawMessage[] = [];
    await replayAll(bed, { from: start, to: end, timezone: 'UTC', kind: 'adhoc' }, (m) => all.push(m));
    const tx = all.filter((m) => m.stream === 'TRANSACTIONS');
    const boundary = tx[3]!.ts; // a real stored time, with all nine digits
    const before: RawMessage[] = [];
    const after: RawMessage[] = [];
    await replayAll(bed, { from: start, to: boundary, timezone: 'UTC', kind: 'adhoc' }, (m) => before.push(m));
    await replayAll(bed, { from: boundary, to: end, timezone: 'UTC', kind: 'adhoc' }, (m) => after.push(m));
    const key = (m: RawMessage) => `${m.stream}#${m.seq}`;
    expect([...before, ...after].map(key).sort()).toEqual(all.map(key).sort());
    expect(after.filter((m) => m.stream === 'TRANSACTIONS')[0]!.seq).toBe(tx[3]!.seq);
    expect(before.every((m) => m.ts < boundary)).toBe(true);
    // One nanosecond later and that message moves to the earlier period.
    const shifted: RawMessage[] = [];
    await replayAll(bed, { from: start, to: boundary + 1n, timezone: 'UTC', kind: 'adhoc' }, (m) => shifted.push(m));
    expect(shifted.filter((m) => m.stream === 'TRANSACTIONS').at(-1)!.seq).toBe(tx[3]!.seq);
  });

  it('merges the aggregates of two halves of the period into the aggregate of the whole', async () => {
    const stored: RawMessage[] = [];
    await replayAll(bed, { from: start, to: end, timezone: 'UTC', kind: 'adhoc' }, (m) => stored.push(m));
    // Split at the median stored time, so each half holds events of every kind.
    const mid = stored.map((m) => m.ts).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[Math.floor(stored.length / 2)]!;
    const whole = emptyAggregate();
    const first = emptyAggregate();
    const second = emptyAggregate();
    const wholeStreams = await replayAll(
      bed,
      { from: start, to: end, timezone: 'UTC', kind: 'adhoc' },
      aggregateInto(whole),
    );
    await replayAll(bed, { from: start, to: mid, timezone: 'UTC', kind: 'adhoc' }, aggregateInto(first));
    await replayAll(bed, { from: mid, to: end, timezone: 'UTC', kind: 'adhoc' }, aggregateInto(second));
    const period: Period = { from: start, to: end, timezone: 'UTC', kind: 'adhoc' };
    const expected = buildReport(period, wholeStreams, whole, 0n, { topN: 50 });
    const merged = buildReport(period, wholeStreams, mergeAggregates(first, second), 0n, { topN: 50 });
    expect(first.events).toBeGreaterThan(0);
    expect(second.events).toBeGreaterThan(0);
    expect(merged).toEqual(expected);
    expect(expected.jetstreamSummary.changes).toBeGreaterThan(5);
  });

  it('gives the same figures whether the reading thread or worker threads ingest the messages', async () => {
    const period: Period = { from: start, to: end, timezone: 'UTC', kind: 'adhoc' };
    const whole = emptyAggregate({ ...DEFAULT_LIMITS, maxListed: bed.config.report.maxListed });
    const streams = await replayAll(bed, period, aggregateInto(whole));
    const expected = buildReport(period, streams, whole, 0n, { topN: 50 });
    const ports = { connect: (s: SourceConfig) => connectSource(s.name, s.nats), log: () => undefined };
    for (const workers of [0, 1, 2]) {
      const replayed = await replayAndAggregate(bed.config, period, ports, { workers });
      expect(replayed.streams).toEqual(streams);
      expect(buildReport(period, replayed.streams, replayed.state, 0n, { topN: 50 })).toEqual(expected);
    }
    expect(expected.connections.connects).toBeGreaterThan(0);
  });

  it('resumes after the server restarts mid-replay without losing or doubling a message', async () => {
    const app = await connectSource('app', bed.config.sources[1]!.nats);
    const jsm = await jetstreamManager(app);
    await jsm.streams.add({ name: 'BULK', subjects: ['bulk.>'], storage: 'file' as never });
    const js = jetstream(app);
    const total = 20_000;
    const from = nowNanos();
    for (let i = 0; i < total; i += 1000) {
      await Promise.all(Array.from({ length: 1000 }, (_, j) => js.publish('bulk.tx', JSON.stringify({ id: i + j }))));
    }
    const period: Period = { from, to: nowNanos(), timezone: 'UTC', kind: 'adhoc' };
    const seqs: number[] = [];
    let restarted: Promise<void> | null = null;
    const result = await replayStream(
      app,
      'app',
      { stream: 'BULK', kind: 'transactions', quiet: false },
      period,
      async (m) => {
        seqs.push(m.seq);
        if (seqs.length === 5_000) {
          restarted = bed.hub.stop().then(() => bed.hub.start());
          await restarted;
        }
      },
      options,
    );
    expect(restarted).not.toBeNull();
    expect(result).toMatchObject({ messages: total, firstSeq: 1, lastSeq: total, gaps: [] });
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    await app.close();
  });
});
