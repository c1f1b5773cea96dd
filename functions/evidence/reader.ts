/**
 * Reads an evidence file back: gunzips a byte stream, splits it into lines and checks each against the format
 * (format.ts). The file may come from anyone who could write to an archive, so every line is bounded and
 * checked, and a bad one is an error naming its line, never a crash or an unbounded buffer.
 */
import { createGunzip } from 'node:zlib';
import { Readable, pipeline } from 'node:stream';
import { z } from 'zod';
import { STREAM_KINDS } from '../config/schema.js';
import { EvidenceFormatError } from '../errors.js';
import type { RawMessage } from '../events/types.js';
import { firstIssueText } from '../text/zod-issue.js';
import { parseInstant } from '../time/nanos.js';
import {
  EVIDENCE_SCHEMA,
  type EvidenceHeader,
  type EvidenceMessage,
  type EvidenceRecord,
  type EvidenceStream,
} from './format.js';

/** NATS allows payloads up to 64 MiB; as base64 inside a line that is under 90 MiB. */
export const MAX_EVIDENCE_LINE_BYTES = 96 * 1024 * 1024;

const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const instant = z.string().refine((s) => parseInstant(s) !== null, 'must be an RFC 3339 instant');
const range = z.tuple([seq, seq]);

const headerSchema = z.strictObject({
  type: z.literal('evidence'),
  schema: z.literal(EVIDENCE_SCHEMA),
  bundle: z.string(),
  period: z.strictObject({
    from: instant,
    to: instant,
    timezone: z.string(),
    kind: z.string(),
    date: z.string().optional(),
  }),
});

const messageSchema = z
  .strictObject({
    type: z.literal('message'),
    source: z.string(),
    stream: z.string(),
    seq,
    time: instant,
    subject: z.string(),
    headers: z.record(z.string(), z.array(z.string())).optional(),
    data: z.string().optional(),
    data_base64: z
      .string()
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64')
      .optional(),
  })
  .refine(
    (m) => (m.data === undefined) !== (m.data_base64 === undefined),
    'must have exactly one of data and data_base64',
  );

/** What a replay found of one stream's sequences: the evidence's closing line of it, and a slice's part of it. */
export const streamReadSchema = z.strictObject({
  source: z.string(),
  stream: z.string(),
  kind: z.enum(STREAM_KINDS),
  account: z.string().optional(),
  firstSeq: seq.nullable(),
  lastSeq: seq.nullable(),
  messages: z.number().int().min(0),
  gaps: z.array(range),
});

const streamSchema = streamReadSchema.extend({ type: z.literal('stream') });

/** The records of an evidence file, in file order. `gzipped` is the file's bytes as they are read. */
export async function* readEvidence(
  gzipped: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): AsyncGenerator<EvidenceRecord> {
  const lines = createGunzip();
  // pipeline, not pipe: a failure of the source must end the read with its error, not leave it waiting.
  pipeline(Readable.from(gzipped, { objectMode: false }), lines, () => undefined);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lineNumber = 0;
  for await (const chunk of lines as AsyncIterable<Buffer>) {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      pending.push(chunk.subarray(start, nl));
      lineNumber += 1;
      yield parseLine(Buffer.concat(pending), lineNumber);
      pending = [];
      pendingBytes = 0;
      start = nl + 1;
    }
    if (start < chunk.length) {
      pendingBytes += chunk.length - start;
      if (pendingBytes > MAX_EVIDENCE_LINE_BYTES)
        throw new EvidenceFormatError(`line ${lineNumber + 1}: longer than ${MAX_EVIDENCE_LINE_BYTES} bytes`);
      pending.push(Buffer.from(chunk.subarray(start)));
    }
  }
  if (pendingBytes > 0)
    throw new EvidenceFormatError(`line ${lineNumber + 1}: the file ends without a newline (cut short?)`);
}

function parseLine(bytes: Buffer, lineNumber: number): EvidenceRecord {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new EvidenceFormatError(`line ${lineNumber}: not a JSON object (${(err as Error).message})`);
  }
  const type = (value as { type?: unknown } | null)?.type;
  const schema =
    type === 'message' ? messageSchema : type === 'stream' ? streamSchema : type === 'evidence' ? headerSchema : null;
  if (!schema)
    throw new EvidenceFormatError(`line ${lineNumber}: unknown record type ${JSON.stringify(type) ?? 'undefined'}`);
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new EvidenceFormatError(`line ${lineNumber}: ${type} record: ${firstIssueText(result.error)}`);
  }
  return result.data as EvidenceHeader | EvidenceMessage | EvidenceStream;
}

/** The payload's exact bytes. */
export function payloadBytes(message: EvidenceMessage): Uint8Array {
  return message.data !== undefined
    ? new TextEncoder().encode(message.data)
    : new Uint8Array(Buffer.from(message.data_base64!, 'base64'));
}

/**
 * A message line as the replay handed it to the analysis (the stream's kind and account come from the run's
 * parameters).
 */
export function rawMessageOf(
  message: EvidenceMessage,
  stream: { kind: RawMessage['kind']; account?: string },
): RawMessage {
  return {
    stream: message.stream,
    kind: stream.kind,
    account: stream.account,
    seq: message.seq,
    subject: message.subject,
    ts: parseInstant(message.time)!,
    data: payloadBytes(message),
    headers: message.headers,
  };
}
