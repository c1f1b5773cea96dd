/**
 * How a period is read in slices (`sox-report run --slices N`, and the fan-out's plan step): each stream's part of
 * `[from, to)` split into consecutive time slices, each of which one reader (a connection, a Lambda) replays alone
 * and hands on as data (slices/codec.ts). Pure: the plan is plain JSON, so it can travel between functions.
 */
import type { Period } from '../config/period.js';
import { InputError } from '../errors.js';
import { EVIDENCE_CUT_NS } from '../evidence/format.js';
import { formatInstant, parseInstant, type Nanos } from '../time/nanos.js';

/** More slices than this only add connections and merges: a day in 64 parts is 22 minutes a slice. */
export const MAX_SLICES = 64;

/** One slice: stream `stream` of source `source`, stored times in `[from, to)`, the `index`th of `count`. */
export interface SlicePlan {
  source: string;
  stream: string;
  index: number;
  count: number;
  /** RFC 3339, nine fractional digits (time/nanos.ts). */
  from: string;
  to: string;
}

/**
 * The slice count a person asked for: a whole number from 1 to MAX_SLICES (text from the command line, or a number
 * from a payload). Throws an InputError on `slices` otherwise.
 */
export function sliceCount(value: unknown): number {
  const n = typeof value === 'string' && /^\d{1,3}$/.test(value.trim()) ? Number(value.trim()) : value;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_SLICES) return n;
  throw new InputError({ field: 'slices', problem: `must be a whole number from 1 to ${MAX_SLICES}` });
}

/**
 * The edges of up to `n` consecutive slices of `[from, to)`: the period's own edges, and between them the even
 * split rounded to the nearest whole second (EVIDENCE_CUT_NS), where the evidence file cuts its members anyway, so
 * the slices' evidence parts put together are the bytes of one run's. A period too short for `n` whole-second
 * slices gets fewer (a ten-second period at most ten); never an empty one.
 */
export function sliceEdges(from: Nanos, to: Nanos, n: number): Nanos[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`slices: ${n} is not a positive whole number`);
  if (to <= from) throw new Error(`slices: the period [${formatInstant(from)}, ${formatInstant(to)}) is empty`);
  const edges: Nanos[] = [from];
  const span = to - from;
  for (let i = 1; i < n; i++) {
    const even = from + (span * BigInt(i)) / BigInt(n);
    const edge = ((even + EVIDENCE_CUT_NS / 2n) / EVIDENCE_CUT_NS) * EVIDENCE_CUT_NS;
    if (edge > edges.at(-1)! && edge < to) edges.push(edge);
  }
  edges.push(to);
  return edges;
}

/**
 * The slices of every stream, in reading order: source by source, stream by stream, slice by slice (the order their
 * aggregates and evidence parts are merged in).
 */
export function planSlices(
  streams: readonly { source: string; stream: string }[],
  period: Pick<Period, 'from' | 'to'>,
  n: number,
): SlicePlan[] {
  const edges = sliceEdges(period.from, period.to, n);
  const count = edges.length - 1;
  return streams.flatMap(({ source, stream }) =>
    Array.from({ length: count }, (_, index) => ({
      source,
      stream,
      index,
      count,
      from: formatInstant(edges[index]!),
      to: formatInstant(edges[index + 1]!),
    })),
  );
}

/** The configured streams in reading order, as the planner takes them. */
export function configuredStreams(config: {
  sources: readonly { name: string; streams: readonly { stream: string }[] }[];
}): { source: string; stream: string }[] {
  return config.sources.flatMap((s) => s.streams.map((r) => ({ source: s.name, stream: r.stream })));
}

/** A slice's period in nanoseconds; throws on a plan whose times are not instants (a plan from elsewhere). */
export function slicePeriod(slice: SlicePlan): { from: Nanos; to: Nanos } {
  const from = parseInstant(slice.from);
  const to = parseInstant(slice.to);
  if (from === null || to === null || to <= from)
    throw new Error(
      `slice ${slice.index} of ${slice.source}/${slice.stream}: [${slice.from}, ${slice.to}) is no period`,
    );
  return { from, to };
}
