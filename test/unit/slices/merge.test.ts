/**
 * Slices put back together, on the captured events of both server versions: each stream cut at whole seconds into
 * slices aggregated and written apart (as separate readers would), their parts passed through the codec (as the
 * fan-out passes them through S3), merged in plan order: the figures and the evidence bytes of one read.
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, emptyAggregate, type AggregateState } from '../../../functions/analysis/aggregate-state.js';
import { buildReport } from '../../../functions/analysis/finalize.js';
import type { StreamCompleteness } from '../../../functions/analysis/report-model.js';
import { dailyPeriod } from '../../../functions/config/period.js';
import { headerMember, streamMember } from '../../../functions/evidence/encoder.js';
import type { RawMessage } from '../../../functions/events/types.js';
import { startIngest } from '../../../functions/ingest/ingest.js';
import { decodeSlicePart, encodeSlicePart, type SlicePart } from '../../../functions/slices/codec.js';
import {
  evidencePieces,
  joinStreamSlices,
  mergeSliceParts,
  partsInPlanOrder,
} from '../../../functions/slices/merge.js';
import { planSlices, slicePeriod, type SlicePlan } from '../../../functions/slices/plan.js';
import { formatInstant, parseInstant } from '../../../functions/time/nanos.js';
import { FIXTURE_VERSIONS, capturedMessages } from '../../support/fixtures.js';

const PARSE = { ownConsumerPrefix: 'sox-report_' };
const PERIOD = dailyPeriod('2026-11-26', 'America/New_York');
const GENERATED = parseInstant('2026-11-27T06:00:00.123456789Z')!;
const STREAMS = ['SYS_EVENTS', 'APP_JS_ADVISORIES', 'AUDIT_JS_ADVISORIES', 'TRANSACTIONS'] as const;
const HEADER = { bundle: 'adhoc/x', period: { from: 'f', to: 't', timezone: 'UTC', kind: 'adhoc' } };
type Tuning = { batchBytes: number; sliceBatches: number };

const report = (state: AggregateState) => buildReport(PERIOD, [], state, GENERATED, { topN: 50 });

// Math.min and Math.max take no bigint.
const sorted = (xs: bigint[]) => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const earliest = (xs: bigint[]) => sorted(xs)[0]!;
const latest = (xs: bigint[]) => sorted(xs).at(-1)!;

/** The captured events of every stream, repeated `copies` times one after another (every stream shifted alike). */
function streamsOf(version: (typeof FIXTURE_VERSIONS)[number], copies: number): RawMessage[][] {
  const captured = STREAMS.map((s) => capturedMessages(version, s));
  const all = captured.flat().map((m) => m.ts);
  const span = latest(all) - earliest(all) + 1_000_000_000n;
  return captured.map((messages) =>
    Array.from({ length: copies }, (_, c) =>
      messages.map((m) => ({ ...m, seq: m.seq + c * messages.length, ts: m.ts + BigInt(c) * span })),
    ).flat(),
  );
}

function completeness(stream: RawMessage, messages: RawMessage[]): StreamCompleteness {
  return {
    source: 'audit',
    stream: stream.stream,
    kind: stream.kind,
    ...(stream.account ? { account: stream.account } : {}),
    firstSeq: messages[0]?.seq ?? null,
    lastSeq: messages.at(-1)?.seq ?? null,
    messages: messages.length,
    gaps: [],
    missing: 0,
    firstTime: messages[0] ? formatInstant(messages[0].ts) : null,
    lastTime: messages.at(-1) ? formatInstant(messages.at(-1)!.ts) : null,
  };
}

/** Every stream read in one go: the evidence file whole, with its header and stream lines. */
async function wholeRead(streams: RawMessage[][], workers: number, tuning?: Tuning) {
  const chunks: Uint8Array[] = [];
  const run = startIngest({
    limits: DEFAULT_LIMITS,
    parse: PARSE,
    evidence: { header: HEADER, sink: { write: async (c) => void chunks.push(c) } },
    workers,
    ...(tuning ? { tuning } : {}),
  });
  for (const messages of streams) {
    const first = messages[0]!;
    run.startStream({ source: 'audit', stream: first.stream, kind: first.kind, account: first.account });
    for (const m of messages) await run.message(m);
    const { missing: _m, firstTime: _f, lastTime: _l, ...record } = completeness(first, messages);
    run.endStream(record);
  }
  return { state: await run.finish(), file: Buffer.concat(chunks) };
}

/** One slice read alone: its part (message lines only) and its result through the codec. */
async function sliceRead(slice: SlicePlan, messages: RawMessage[], workers: number, tuning?: Tuning) {
  const { from, to } = slicePeriod(slice);
  const mine = messages.filter((m) => m.ts >= from && m.ts < to);
  const chunks: Uint8Array[] = [];
  const run = startIngest({
    limits: DEFAULT_LIMITS,
    parse: PARSE,
    evidence: { sink: { write: async (c) => void chunks.push(c) } },
    workers,
    ...(tuning ? { tuning } : {}),
  });
  const first = messages[0]!;
  run.startStream({ source: 'audit', stream: first.stream, kind: first.kind, account: first.account });
  for (const m of mine) await run.message(m);
  run.endStream(null);
  const part: SlicePart = {
    slice,
    stream: completeness(first, mine),
    state: await run.finish(),
    evidence: null,
  };
  return { part: decodeSlicePart(encodeSlicePart(part), `part ${slice.index}`), bytes: Buffer.concat(chunks) };
}

describe.each(FIXTURE_VERSIONS)('slices of the captured events of nats-server %s, merged', (version) => {
  const streams = streamsOf(version, 8);
  const times = streams.flat().map((m) => m.ts);
  const period = {
    from: earliest(times),
    to: latest(times) + 1n,
  };

  it.each([
    { slices: 2, workers: 0 },
    { slices: 4, workers: 1 },
    { slices: 7, workers: 0, tuning: { batchBytes: 2048, sliceBatches: 1 } },
    { slices: 64, workers: 0, someEmpty: true },
  ])('gives the figures and the evidence bytes of one read: $slices slices, $workers workers', async (c) => {
    const whole = await wholeRead(streams, 0, c.tuning);
    const plan = planSlices(
      streams.map((s) => ({ source: 'audit', stream: s[0]!.stream })),
      period,
      c.slices,
    );
    expect(plan.length).toBe(STREAMS.length * Math.min(c.slices, plan[0]!.count));
    expect(plan[0]!.count).toBeGreaterThan(1);
    const read: Awaited<ReturnType<typeof sliceRead>>[] = [];
    // One after another, so that a worker thread serves slice after slice (as the pool does in a run).
    for (const slice of plan)
      read.push(await sliceRead(slice, streams[STREAMS.indexOf(slice.stream as never)]!, c.workers, c.tuning));
    // Some slice of some stream holds no message at all.
    if (c.someEmpty) expect(read.some((r) => r.part.stream.messages === 0)).toBe(true);
    // The parts come back in any order; the plan puts them in place.
    const merged = mergeSliceParts(plan, [...read.map((r) => r.part)].reverse(), DEFAULT_LIMITS);
    expect(report(merged.state)).toEqual(report(whole.state));
    expect(merged.streams.map((s) => [s.stream, s.firstSeq, s.lastSeq, s.messages])).toEqual(
      streams.map((s) => [s[0]!.stream, s[0]!.seq, s.at(-1)!.seq, s.length]),
    );

    const file = Buffer.concat(
      evidencePieces(plan, merged.streams).map((piece) =>
        piece.kind === 'header'
          ? headerMember(HEADER)
          : piece.kind === 'stream'
            ? streamMember(piece.record)
            : read[plan.indexOf(piece.slice)]!.bytes,
      ),
    );
    expect(gunzipSync(file).toString()).toBe(gunzipSync(whole.file).toString());
    expect(Buffer.compare(file, whole.file)).toBe(0);
  });
});

describe('one stream’s slices joined', () => {
  const slice = (over: Partial<StreamCompleteness>): StreamCompleteness => ({
    source: 'app',
    stream: 'TRANSACTIONS',
    kind: 'transactions',
    firstSeq: null,
    lastSeq: null,
    messages: 0,
    gaps: [],
    missing: 0,
    firstTime: null,
    lastTime: null,
    ...over,
  });

  it('counts each deleted run once: one across an edge, one past an empty slice, one at the stream’s end', () => {
    const joined = joinStreamSlices([
      // 1..10 read, 11 and 12 deleted: the run goes on into the next slice, which reports it whole.
      slice({ firstSeq: 1, lastSeq: 10, messages: 10, firstTime: 't1', lastTime: 't10' }),
      slice({
        firstSeq: 15,
        lastSeq: 20,
        messages: 5,
        gaps: [
          [11, 14],
          [17, 17],
        ],
        missing: 5,
        firstTime: 't15',
      }),
      // Nothing left in this slice: 21..23 were deleted, and the slice after reports them with its first message.
      slice({}),
      slice({
        firstSeq: 24,
        lastSeq: 30,
        messages: 7,
        gaps: [
          [21, 23],
          [31, 32],
        ],
        missing: 5,
        lastTime: 't30',
      }),
    ]);
    expect(joined).toEqual({
      source: 'app',
      stream: 'TRANSACTIONS',
      kind: 'transactions',
      firstSeq: 1,
      lastSeq: 30,
      messages: 22,
      gaps: [
        [11, 14],
        [17, 17],
        [21, 23],
        [31, 32],
      ],
      missing: 10,
      firstTime: 't1',
      lastTime: 't30',
    });
  });

  it('keeps a stream no slice read anything of empty, with the gap only stream info shows', () => {
    expect(joinStreamSlices([slice({}), slice({ gaps: [[4, 6]], missing: 3 })])).toMatchObject({
      firstSeq: null,
      lastSeq: null,
      messages: 0,
      gaps: [[4, 6]],
      missing: 3,
    });
    expect(() => joinStreamSlices([])).toThrow('no slice');
  });
});

describe('parts against their plan', () => {
  const plan = planSlices(
    [{ source: 'app', stream: 'TRANSACTIONS' }],
    { from: parseInstant('2026-11-26T05:00:00Z')!, to: parseInstant('2026-11-26T05:00:03Z')! },
    3,
  );
  const part = (slice: SlicePlan, stream = slice.stream): SlicePart => ({
    slice,
    stream: { ...emptyStream, stream },
    state: emptyAggregate(DEFAULT_LIMITS),
    evidence: null,
  });
  const emptyStream: StreamCompleteness = {
    source: 'app',
    stream: 'TRANSACTIONS',
    kind: 'transactions',
    firstSeq: null,
    lastSeq: null,
    messages: 0,
    gaps: [],
    missing: 0,
    firstTime: null,
    lastTime: null,
  };

  it('puts them in the plan’s order', () => {
    const parts = plan.map((s) => part(s));
    expect(partsInPlanOrder(plan, [parts[2]!, parts[0]!, parts[1]!])).toEqual(parts);
  });

  it('names a slice without its part, a part no slice asked for, a part of another stream, and a broken plan', () => {
    const parts = plan.map((s) => part(s));
    expect(() => partsInPlanOrder(plan, parts.slice(0, 2))).toThrow(
      'slice 3 of 3 of app/TRANSACTIONS [2026-11-26T05:00:02.000000000Z, 2026-11-26T05:00:03.000000000Z): ' +
        'no part came back for it',
    );
    const stray = part({ ...plan[0]!, index: 5 });
    expect(() => partsInPlanOrder(plan, [...parts, stray])).toThrow(/slice 6 of 3 .*: a part no slice of the plan/);
    expect(() => partsInPlanOrder(plan, [part(plan[0]!, 'OTHER'), parts[1]!, parts[2]!])).toThrow(
      /slice 1 of 3 of app\/TRANSACTIONS .*: its part reports app\/OTHER/,
    );
    expect(() => partsInPlanOrder([plan[0]!, plan[2]!], [parts[0]!, parts[2]!])).toThrow(
      /slice 3 of 3 .* does not follow the slice before it in the plan/,
    );
  });
});
