/**
 * The evidence file of a bundle (`evidence.jsonl.gz`): every message the run read, in the order it read them,
 * one JSON object a line, so an auditor can re-perform every figure from it (`sox-report verify --recompute`)
 * or read it with `zcat` and `jq`. Each line has a `type`:
 * - `evidence` (the first line): the schema, the bundle and the period;
 * - `message`: source, stream, seq, the stored time (RFC 3339, nanoseconds), subject, headers when there are
 *   any, and the payload: `data` (text) when it is valid UTF-8, else `data_base64`; either way its exact bytes;
 * - `stream` (after each stream's messages): what the replay found about that stream's sequences, including
 *   the runs of deleted messages at the edges of the period that no message shows.
 */
import type { StreamCompleteness } from '../analysis/report-model.js';
import { formatInstant, type Nanos } from '../time/nanos.js';
import type { LineBuffer } from './line-buffer.js';

export const EVIDENCE_SCHEMA = 'sox-report-evidence/v1';

/**
 * Message lines are cut into separate gzip members wherever a message's stored time enters another whole second
 * (UTC, from the epoch), besides where a batch fills up. So a stream read in time slices whose edges fall on whole
 * seconds (slices/plan.ts) packs exactly as when read in one go: the slices' parts, put one after another, are the
 * bytes of a single run's file. The price: a stream with less than a message a second compresses each line alone
 * (about a third of a line's size, instead of a ninth), a few megabytes a day at most.
 */
export const EVIDENCE_CUT_NS = 1_000_000_000n;

export interface EvidenceHeader {
  type: 'evidence';
  schema: typeof EVIDENCE_SCHEMA;
  bundle: string;
  period: { from: string; to: string; timezone: string; kind: string; date?: string };
}

export interface EvidenceMessage {
  type: 'message';
  source: string;
  stream: string;
  seq: number;
  time: string;
  subject: string;
  headers?: Record<string, string[]>;
  data?: string;
  data_base64?: string;
}

/**
 * One stream's sequences in the period as the replay found them: its StreamCompleteness without what derives from
 * the rest or from the messages (missing, firstTime, lastTime). `gaps` holds every missing run, inside the period
 * and at its edges.
 */
export type EvidenceStream = { type: 'stream' } & Omit<StreamCompleteness, 'missing' | 'firstTime' | 'lastTime'>;

export type EvidenceRecord = EvidenceHeader | EvidenceMessage | EvidenceStream;

/**
 * Builds message lines into a LineBuffer with as little work per message as the format allows: the source and
 * stream part is made once per stream, the seconds of the stored time once per second, and the payload is
 * escaped straight from its bytes.
 */
export class MessageLineEncoder {
  private readonly prefix: Buffer;
  private lastSeconds = '';
  private lastBase = '';

  constructor(source: string, stream: string) {
    this.prefix = Buffer.from(
      `{"type":"message","source":${JSON.stringify(source)},"stream":${JSON.stringify(stream)},"seq":`,
    );
  }

  /**
   * One message's line: the message as batch.ts's MessageVisitor sees it. Explicit parameters, not a rest tuple:
   * this runs once per message.
   */
  line(
    out: LineBuffer,
    seq: number,
    ts: Nanos,
    subject: Uint8Array,
    subjectStart: number,
    subjectEnd: number,
    headersJson: string | null,
    data: Uint8Array,
    dataStart: number,
    dataEnd: number,
  ): void {
    // One reservation for the whole line: escaping at most sextuples a byte, base64 adds a third.
    out.reserve(
      this.prefix.length +
        96 +
        (subjectEnd - subjectStart) * 6 +
        (headersJson ? headersJson.length * 3 + 16 : 0) +
        (dataEnd - dataStart) * 6 +
        32,
    );
    out.raw(this.prefix);
    out.ascii(`${seq},"time":"${this.time(ts)}","subject":"`);
    if (!out.escapedUtf8(subject, subjectStart, subjectEnd))
      throw new Error(`evidence: the subject of seq ${seq} is not UTF-8`);
    if (headersJson !== null) {
      out.ascii('","headers":');
      out.length += out.buf.write(headersJson, out.length, 'utf8');
      out.ascii(',"data":"');
    } else {
      out.ascii('","data":"');
    }
    if (out.escapedUtf8(data, dataStart, dataEnd)) {
      out.ascii('"}\n');
    } else {
      // Not UTF-8: the same key with a _base64 suffix, so the line says which one it is.
      out.length -= '"data":"'.length;
      const base64 = Buffer.from(data.buffer, data.byteOffset + dataStart, dataEnd - dataStart).toString('base64');
      out.ascii(`"data_base64":"${base64}"}\n`);
    }
  }

  private time(ts: Nanos): string {
    const digits = ts.toString();
    // Times before 1970 or in the first second after it are not stored times; format them the slow way.
    if (digits.length <= 9 || ts < 0n) return formatInstant(ts);
    const seconds = digits.slice(0, -9);
    if (seconds !== this.lastSeconds) {
      this.lastSeconds = seconds;
      this.lastBase = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
    }
    return `${this.lastBase}.${digits.slice(-9)}Z`;
  }
}

export function headerLine(header: Omit<EvidenceHeader, 'type' | 'schema'>): string {
  const record: EvidenceHeader = { type: 'evidence', schema: EVIDENCE_SCHEMA, ...header };
  return `${JSON.stringify(record)}\n`;
}

export function streamLine(stream: Omit<EvidenceStream, 'type'>): string {
  const record: EvidenceStream = { type: 'stream', ...stream };
  return `${JSON.stringify(record)}\n`;
}
