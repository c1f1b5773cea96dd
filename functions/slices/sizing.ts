/**
 * How many slices each stream of a period needs so that one Lambda reads a slice well within its 15 minutes (the
 * Step Functions fan-out's plan step), from what the stream holds in the period and a measured read rate (README
 * "Sizing"). Pure: the sizes come from source/stream-size.ts, the rate and budget from the deployment.
 */
import type { Period } from '../config/period.js';
import { formatInstant } from '../time/nanos.js';
import { MAX_SLICES, sliceEdges, type SlicePlan } from './plan.js';

/** One stream's share of the period, as estimated before reading it (an upper bound: deleted messages count). */
export interface StreamSize {
  source: string;
  stream: string;
  messages: number;
  bytes: number;
}

export interface SizingSettings {
  /** Messages a slice function reads, parses, aggregates and writes as evidence per second. */
  messagesPerSecond: number;
  /** Seconds of reading one slice may be planned for: well within the function's 15 minutes. */
  budgetSeconds: number;
}

/**
 * README "Sizing" measured 57,000–61,000 msg/s on one vCPU (1769 MB) with the evidence written and nats-server on
 * the same two cores; 40,000 leaves a third for a slower server, larger messages and a busier day. Eight minutes of
 * reading leave more than the seven others of the 15 for connecting, uploading the part and an uneven slice.
 */
export const DEFAULT_SIZING: SizingSettings = { messagesPerSecond: 40_000, budgetSeconds: 480 };

/** Messages one slice may be planned to hold. */
export function messagesPerSlice(settings: SizingSettings): number {
  if (!Number.isSafeInteger(settings.messagesPerSecond) || settings.messagesPerSecond < 1)
    throw new Error(`sizing: messagesPerSecond ${settings.messagesPerSecond} is not a positive whole number`);
  if (!Number.isSafeInteger(settings.budgetSeconds) || settings.budgetSeconds < 1 || settings.budgetSeconds > 900)
    throw new Error(`sizing: budgetSeconds ${settings.budgetSeconds} is not a whole number from 1 to 900`);
  return settings.messagesPerSecond * settings.budgetSeconds;
}

/**
 * The slices a stream of this size needs: its messages over what one slice may hold, rounded up; one for a small
 * day (or an empty one). More than MAX_SLICES is an error naming the stream: the plan would not fit.
 */
export function slicesFor(size: StreamSize, settings: SizingSettings): number {
  if (!Number.isSafeInteger(size.messages) || size.messages < 0)
    throw new Error(`sizing ${size.source}/${size.stream}: ${size.messages} is not a count of messages`);
  const perSlice = messagesPerSlice(settings);
  const n = Math.max(1, Math.ceil(size.messages / perSlice));
  if (n > MAX_SLICES)
    throw new Error(
      `sizing ${size.source}/${size.stream}: about ${size.messages} messages in the period need ${n} slices ` +
        `of at most ${perSlice} (${settings.messagesPerSecond} msg/s for ${settings.budgetSeconds} s), ` +
        `more than ${MAX_SLICES}: report the period in shorter parts`,
    );
  return n;
}

/** A stream's size and the slices it was given (what the plan step returns beside the plan, for the log). */
export interface SizedStream extends StreamSize {
  slices: number;
}

/**
 * The plan of a period sized stream by stream: each stream split into the slices its size needs (slices/plan.ts's
 * whole-second edges, so a short period may get fewer), in reading order. `sizes` are in reading order.
 */
export function planSized(
  sizes: readonly StreamSize[],
  period: Pick<Period, 'from' | 'to'>,
  settings: SizingSettings,
): { plan: SlicePlan[]; streams: SizedStream[] } {
  const plan: SlicePlan[] = [];
  const streams: SizedStream[] = [];
  for (const size of sizes) {
    const edges = sliceEdges(period.from, period.to, slicesFor(size, settings));
    const count = edges.length - 1;
    for (let index = 0; index < count; index++)
      plan.push({
        source: size.source,
        stream: size.stream,
        index,
        count,
        from: formatInstant(edges[index]!),
        to: formatInstant(edges[index + 1]!),
      });
    streams.push({ ...size, slices: count });
  }
  return { plan, streams };
}

/**
 * Checks that a plan handed back (the merge step's input) covers exactly `streams` over `period`: each stream, in
 * reading order, from the period's start to its end in slices that follow one another. Throws naming what differs.
 */
export function checkPlanCovers(
  plan: readonly SlicePlan[],
  streams: readonly { source: string; stream: string }[],
  period: Pick<Period, 'from' | 'to'>,
): void {
  const from = formatInstant(period.from);
  const to = formatInstant(period.to);
  let at = 0;
  for (const { source, stream } of streams) {
    const mine: SlicePlan[] = [];
    while (plan[at]?.source === source && plan[at]?.stream === stream) mine.push(plan[at++]!);
    const name = `${source}/${stream}`;
    if (mine.length === 0) throw new Error(`the plan has no slice of ${name} (or not in reading order)`);
    if (mine[0]!.from !== from || mine.at(-1)!.to !== to)
      throw new Error(
        `the plan's slices of ${name} cover [${mine[0]!.from}, ${mine.at(-1)!.to}), not [${from}, ${to})`,
      );
    mine.forEach((slice, i) => {
      if (slice.index !== i || slice.count !== mine.length || (i > 0 && mine[i - 1]!.to !== slice.from))
        throw new Error(`the plan's slice ${i + 1} of ${name} does not follow the one before it`);
    });
  }
  if (at < plan.length)
    throw new Error(`the plan has a slice of ${plan[at]!.source}/${plan[at]!.stream} the configuration does not`);
}

/** The largest slice count of a plan: what report.json records as `inputs.slices` for a sized plan. */
export function largestCount(plan: readonly SlicePlan[]): number {
  return plan.reduce((n, s) => Math.max(n, s.count), 1);
}
