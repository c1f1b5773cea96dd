import { describe, expect, it } from 'vitest';
import { addMessage } from '../../../functions/analysis/add-event.js';
import { DEFAULT_LIMITS, emptyAggregate, type AggregateState } from '../../../functions/analysis/aggregate-state.js';
import { buildReport } from '../../../functions/analysis/finalize.js';
import { dailyPeriod } from '../../../functions/config/period.js';
import type { RawMessage } from '../../../functions/events/types.js';
import { startIngest, workerCount } from '../../../functions/ingest/ingest.js';
import { parseInstant } from '../../../functions/time/nanos.js';
import { FIXTURE_VERSIONS, capturedMessages } from '../../support/fixtures.js';

const PARSE = { ownConsumerPrefix: 'sox-report_' };
const PERIOD = dailyPeriod('2026-11-26', 'America/New_York');
const GENERATED = parseInstant('2026-11-27T06:00:00.123456789Z')!;
const STREAMS = ['SYS_EVENTS', 'APP_JS_ADVISORIES', 'AUDIT_JS_ADVISORIES', 'TRANSACTIONS'] as const;

const report = (state: AggregateState) => buildReport(PERIOD, [], state, GENERATED, { topN: 50 });

/** The captured events of every stream, read stream after stream as the replay reads them, many times over. */
function day(version: (typeof FIXTURE_VERSIONS)[number], copies: number): RawMessage[][] {
  return STREAMS.map((stream) => {
    const messages = capturedMessages(version, stream);
    const span = messages.at(-1)!.ts - messages[0]!.ts + 1_000_000_000n;
    return Array.from({ length: copies }, (_, c) =>
      messages.map((m) => ({ ...m, seq: m.seq + c * messages.length, ts: m.ts + BigInt(c) * span })),
    ).flat();
  });
}

async function ingest(streams: RawMessage[][], workers: number, tuning?: { batchBytes: number; sliceBatches: number }) {
  const chunks: Uint8Array[] = [];
  const run = startIngest({
    limits: DEFAULT_LIMITS,
    parse: PARSE,
    evidence: {
      header: { bundle: 'b', period: { from: 'f', to: 't', timezone: 'UTC', kind: 'adhoc' } },
      sink: { write: async (c) => void chunks.push(c) },
    },
    workers,
    ...(tuning ? { tuning } : {}),
  });
  for (const messages of streams) {
    const first = messages[0]!;
    run.startStream({ source: 'audit', stream: first.stream, kind: first.kind, account: first.account });
    for (const m of messages) await run.message(m);
    run.endStream({
      source: 'audit',
      stream: first.stream,
      kind: first.kind,
      firstSeq: first.seq,
      lastSeq: messages.at(-1)!.seq,
      messages: messages.length,
      gaps: [],
    });
  }
  const state = await run.finish();
  return { state, file: Buffer.concat(chunks) };
}

describe.each(FIXTURE_VERSIONS)('ingesting the captured events of nats-server %s', (version) => {
  const streams = day(version, 8);
  const whole = emptyAggregate(DEFAULT_LIMITS);
  for (const m of streams.flat()) addMessage(whole, m, PARSE);
  const expected = report(whole);

  it('gives the figures of one aggregate, on the reading thread or in one worker', async () => {
    const inline = await ingest(streams, 0);
    const worker = await ingest(streams, 1);
    expect(report(inline.state)).toEqual(expected);
    expect(report(worker.state)).toEqual(expected);
    expect(Buffer.compare(worker.file, inline.file)).toBe(0);
  });

  // Small batches and slices, so that three workers each take many slices and their states merge out of order.
  it.each([
    { batchBytes: 2048, sliceBatches: 1 },
    { batchBytes: 4096, sliceBatches: 3 },
  ])(
    'gives the same figures and file when three workers split it ($batchBytes B batches, $sliceBatches a slice)',
    async (tuning) => {
      const inline = await ingest(streams, 0, tuning);
      const split = await ingest(streams, 3, tuning);
      expect(expected.connections.connects).toBeGreaterThan(0);
      expect(report(split.state)).toEqual(expected);
      expect(Buffer.compare(split.file, inline.file)).toBe(0);
    },
  );
});

describe('how many workers', () => {
  it('uses none on one core, one fewer than the cores otherwise, at most four', () => {
    expect([1, 2, 3, 8, 64].map((cores) => workerCount('auto', cores))).toEqual([0, 1, 2, 4, 4]);
    expect(workerCount(2, 1)).toBe(2);
  });

  it('fails the run, naming the worker, when a batch cannot be processed', async () => {
    const run = startIngest({
      limits: DEFAULT_LIMITS,
      parse: PARSE,
      workers: 1,
      tuning: { batchBytes: 64, sliceBatches: 1 },
    });
    // A stream kind the parser does not know makes the worker throw as it aggregates.
    run.startStream({ source: 'audit', stream: 'X', kind: 'no-such-kind' as never });
    for (let seq = 1; seq <= 5; seq++)
      await run.message({
        stream: 'X',
        kind: 'no-such-kind' as never,
        seq,
        subject: 's',
        ts: 1n,
        data: new Uint8Array(40),
      });
    await expect(run.finish()).rejects.toThrow(/^ingest worker: /);
  });
});
