/**
 * The slices of a period put back together (pure): their aggregates merged in reading order (mergeAggregates is
 * exact for consecutive slices), each stream's sequences joined, and the order of the evidence file's pieces. What a
 * slice's replay reports of a deleted run at its edge (source/replay.ts: the slice holding the next surviving
 * message, or the stream's last stored time, reports it) is what one run reports, so joined gaps count each run once.
 */
import { emptyAggregate, type AggregateLimits, type AggregateState } from '../analysis/aggregate-state.js';
import { mergeAggregates } from '../analysis/merge-aggregates.js';
import type { StreamCompleteness } from '../analysis/report-model.js';
import type { EvidenceStream } from '../evidence/format.js';
import type { SlicePart } from './codec.js';
import type { SlicePlan } from './plan.js';

export interface MergedSlices {
  state: AggregateState;
  /** One per stream, in reading order. */
  streams: StreamCompleteness[];
}

const label = (s: SlicePlan) => `slice ${s.index + 1} of ${s.count} of ${s.source}/${s.stream} [${s.from}, ${s.to})`;
const sameSlice = (a: SlicePlan, b: SlicePlan) =>
  a.source === b.source &&
  a.stream === b.stream &&
  a.index === b.index &&
  a.count === b.count &&
  a.from === b.from &&
  a.to === b.to;

/**
 * The parts in the plan's order, exactly one for each slice planned; throws naming a slice without its part, a part
 * no slice planned, or slices of a stream that do not follow one another.
 */
export function partsInPlanOrder(plan: readonly SlicePlan[], parts: readonly SlicePart[]): SlicePart[] {
  const left = [...parts];
  const ordered = plan.map((slice, i) => {
    const previous = plan[i - 1];
    const continues = previous?.source === slice.source && previous.stream === slice.stream;
    if (continues ? previous.to !== slice.from || previous.index + 1 !== slice.index : slice.index !== 0)
      throw new Error(`${label(slice)} does not follow the slice before it in the plan`);
    const at = left.findIndex((p) => sameSlice(p.slice, slice));
    if (at < 0) throw new Error(`${label(slice)}: no part came back for it`);
    const [part] = left.splice(at, 1);
    if (part!.stream.source !== slice.source || part!.stream.stream !== slice.stream)
      throw new Error(`${label(slice)}: its part reports ${part!.stream.source}/${part!.stream.stream}`);
    return part!;
  });
  if (left.length > 0) throw new Error(`${label(left[0]!.slice)}: a part no slice of the plan asked for`);
  return ordered;
}

/** One stream's consecutive slices as one read: first and last sequence, count, and every gap once, in order. */
export function joinStreamSlices(slices: readonly StreamCompleteness[]): StreamCompleteness {
  const [first] = slices;
  if (!first) throw new Error('joining the slices of a stream: no slice');
  const read = slices.filter((s) => s.firstSeq !== null);
  const gaps = slices.flatMap((s) => s.gaps.map(([a, b]): [number, number] => [a, b])).sort((x, y) => x[0] - y[0]);
  return {
    source: first.source,
    stream: first.stream,
    kind: first.kind,
    ...(first.account ? { account: first.account } : {}),
    firstSeq: read[0]?.firstSeq ?? null,
    lastSeq: read.at(-1)?.lastSeq ?? null,
    messages: slices.reduce((n, s) => n + s.messages, 0),
    gaps,
    missing: gaps.reduce((n, [a, b]) => n + (b - a + 1), 0),
    firstTime: read[0]?.firstTime ?? null,
    lastTime: read.at(-1)?.lastTime ?? null,
  };
}

/** Every slice's aggregate merged in the plan's (reading) order, and each stream's slices joined. */
export function mergeSliceParts(
  plan: readonly SlicePlan[],
  parts: readonly SlicePart[],
  limits: AggregateLimits,
): MergedSlices {
  const ordered = partsInPlanOrder(plan, parts);
  let state: AggregateState | null = null;
  for (const part of ordered) state = state ? mergeAggregates(state, part.state) : part.state;
  const streams: StreamCompleteness[] = [];
  for (let i = 0; i < ordered.length; ) {
    const { source, stream } = ordered[i]!.slice;
    let j = i;
    while (ordered[j]?.slice.source === source && ordered[j]?.slice.stream === stream) j += 1;
    streams.push(joinStreamSlices(ordered.slice(i, j).map((p) => p.stream)));
    i = j;
  }
  return { state: state ?? emptyAggregate(limits), streams };
}

/** A stream's closing line in the evidence file, from what its replay found (the same for one read or slices). */
export function streamRecord(c: StreamCompleteness): Omit<EvidenceStream, 'type'> {
  return {
    source: c.source,
    stream: c.stream,
    kind: c.kind,
    ...(c.account ? { account: c.account } : {}),
    firstSeq: c.firstSeq,
    lastSeq: c.lastSeq,
    messages: c.messages,
    gaps: c.gaps,
  };
}

/** A piece of the evidence file: the header, a slice's part (its message lines), or a stream's closing line. */
export type EvidencePiece =
  | { kind: 'header' }
  | { kind: 'part'; slice: SlicePlan }
  | { kind: 'stream'; record: Omit<EvidenceStream, 'type'> };

/**
 * The evidence file of a sliced read, in order: the header; then each stream's slices' parts and its closing line.
 * One run writes the same pieces (its batches cut where slices start: evidence/format.ts EVIDENCE_CUT_NS).
 */
export function evidencePieces(plan: readonly SlicePlan[], streams: readonly StreamCompleteness[]): EvidencePiece[] {
  const pieces: EvidencePiece[] = [{ kind: 'header' }];
  for (const s of streams) {
    for (const slice of plan)
      if (slice.source === s.source && slice.stream === s.stream) pieces.push({ kind: 'part', slice });
    pieces.push({ kind: 'stream', record: streamRecord(s) });
  }
  return pieces;
}
