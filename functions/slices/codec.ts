/**
 * One slice's result as JSON, and back: the slice it read, what its replay found of the stream's sequences, its
 * partial aggregate and the digest of its evidence part. The fan-out writes it to S3 between the slice function and
 * the merge; the CLI's sliced run keeps it in memory. Maps and bigints (the aggregate's tables and nanosecond
 * instants) are tagged (`{"$map": [[k, v], …]}`, `{"$bigint": "…"}`), so every value comes back as it was.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { streamReadSchema } from '../evidence/reader.js';
import type { AggregateState } from '../analysis/aggregate-state.js';
import type { StreamCompleteness } from '../analysis/report-model.js';
import { issueText } from '../text/zod-issue.js';
import type { SlicePlan } from './plan.js';
import type { ByteDigest } from '../archive/port.js';

/** Bumped whenever the aggregate's shape changes in a way an older merge could not take. */
export const SLICE_PART_SCHEMA = 'sox-report-slice/v1';

/** An object's size and SHA-256: how whoever wrote a part or an evidence part names exactly those bytes. */
export type PartDigest = ByteDigest;

export interface SlicePart {
  slice: SlicePlan;
  /** What the slice's replay found of its stream: sequences, count and gaps (slices/merge.ts joins them). */
  stream: StreamCompleteness;
  state: AggregateState;
  /** The slice's evidence part (message lines only, gzip members): its size and SHA-256; null when none is kept. */
  evidence: PartDigest | null;
}

export function digestOf(bytes: Uint8Array): PartDigest {
  return { bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
}

export function encodeSlicePart(part: SlicePart): string {
  return JSON.stringify({ schema: SLICE_PART_SCHEMA, ...part }, (_key, value: unknown) => {
    if (typeof value === 'bigint') return { $bigint: value.toString() };
    if (value instanceof Map) return { $map: [...value] };
    return value;
  });
}

/** The part `text` holds; `where` names it (an S3 key, a file) in the error when it is not one. */
export function decodeSlicePart(text: string, where: string): SlicePart {
  let raw: unknown;
  try {
    raw = JSON.parse(text, (_key, value: unknown) => revive(value));
  } catch (err) {
    throw new Error(`${where}: not a slice part (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = slicePartSchema.safeParse(raw);
  if (!parsed.success)
    throw new Error(`${where}: not a ${SLICE_PART_SCHEMA} part: ${issueText(parsed.error.issues[0]!)}`);
  const { schema: _schema, ...part } = parsed.data;
  return part as unknown as SlicePart;
}

function revive(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (keys.length !== 1) return value;
  const tagged = value as { $bigint?: unknown; $map?: unknown };
  if (typeof tagged.$bigint === 'string' && /^-?\d{1,30}$/.test(tagged.$bigint)) return BigInt(tagged.$bigint);
  if (Array.isArray(tagged.$map) && tagged.$map.every((e) => Array.isArray(e) && e.length === 2))
    return new Map(tagged.$map as [unknown, unknown][]);
  return value;
}

// The shape of a revived part. Loose objects: a field added to the aggregate later comes through as it was written
// (revived like the rest); these check what the merge reads.
const count = z.number().int().nonnegative();
export const partDigestSchema = z.strictObject({
  bytes: count,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
}) satisfies z.ZodType<PartDigest>;
const seq = z.number().int().nonnegative();
const nanos = z.bigint();
const countTable = z.looseObject({ counts: z.map(z.string(), count), overflow: count });
const samples = z.looseObject({ values: z.array(z.string()), truncated: z.boolean() });
const storedAt = { ts: nanos, stream: z.string(), seq };
const change = z.looseObject({
  ...storedAt,
  account: z.string(),
  user: z.string().nullable(),
  client: z.string().nullable(),
  host: z.string().nullable(),
  operation: z.string(),
  target: z.string(),
  success: z.boolean(),
  detail: z.string().nullable(),
  evidence: z.array(z.looseObject({ stream: z.string(), seq })),
});
const pending = z.looseObject({ key: z.string(), record: change });

const aggregateShape = {
  limits: z.looseObject({ maxListed: count, maxSamples: count, pairWindowNs: nanos }),
  events: count,
  users: z.map(
    z.string(),
    z.looseObject({
      account: z.string(),
      user: z.string().nullable(),
      connects: count,
      disconnects: count,
      totalDurationNs: nanos,
      maxDurationNs: nanos,
      clients: samples,
      hosts: samples,
    }),
  ),
  connects: count,
  disconnects: count,
  leafnodes: z.looseObject({
    connects: count,
    disconnects: count,
    remotes: z.map(
      z.string(),
      z.looseObject({
        account: z.string(),
        user: z.string().nullable(),
        name: z.string().nullable(),
        connects: count,
        disconnects: count,
        hosts: samples,
      }),
    ),
  }),
  authFailures: z.looseObject({
    total: count,
    byUser: countTable,
    byHost: countTable,
    listed: z.array(z.looseObject({ ...storedAt, user: z.string().nullable(), host: z.string().nullable() })),
  }),
  logins: z.looseObject({
    first: z.map(
      z.string(),
      z.looseObject({ ...storedAt, account: z.string(), user: z.string(), host: z.string().nullable() }),
    ),
    truncated: z.boolean(),
  }),
  jetstream: z.looseObject({
    byOperation: z.map(z.string(), count),
    refused: count,
    changes: z.array(change),
    pendingActions: z.array(pending),
    pendingAudits: z.array(pending),
    reads: count,
    ownReads: count,
    advisories: countTable,
    firstSeen: z.map(z.string(), nanos),
  }),
  transactions: z.looseObject({
    total: count,
    bySubject: countTable,
    first: nanos.nullable(),
    last: nanos.nullable(),
    listed: z.array(z.looseObject({ ...storedAt, subject: z.string() })),
  }),
  unparseable: z.looseObject({
    total: count,
    listed: z.array(z.looseObject({ stream: z.string(), seq, subject: z.string(), reason: z.string() })),
  }),
} satisfies Record<keyof AggregateState, z.ZodType>;

const slicePartSchema = z.strictObject({
  schema: z.literal(SLICE_PART_SCHEMA),
  slice: z.strictObject({
    source: z.string(),
    stream: z.string(),
    index: count,
    count: z.number().int().positive(),
    from: z.string(),
    to: z.string(),
  }),
  stream: streamReadSchema.extend({
    missing: count,
    firstTime: z.string().nullable(),
    lastTime: z.string().nullable(),
  }) satisfies z.ZodType<StreamCompleteness>,
  state: z.looseObject(aggregateShape),
  evidence: partDigestSchema.nullable(),
});
