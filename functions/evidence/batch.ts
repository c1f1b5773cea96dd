/**
 * Messages packed into one transferable buffer, so the reading thread hands a stream's messages to the evidence
 * worker with a copy of their bytes and no per-message structured clone. Layout of each message, little-endian:
 * f64 seq, i64 stored time (ns), u16 subject length, subject (UTF-8), u32 header length, headers (JSON text,
 * 0 bytes for none), u32 payload length, payload.
 */
import type { Nanos } from '../time/nanos.js';

const FIXED = 8 + 8 + 2 + 4 + 4;
const MAX_SUBJECT_BYTES = 0xffff;

export class BatchWriter {
  private buffer: Buffer;
  private view: DataView;
  private used = 0;
  count = 0;

  /** `next()` gives the buffer to fill after one is taken: a pooled one, so a busy day allocates none. */
  constructor(
    readonly capacity: number,
    private readonly next: () => ArrayBuffer = () => new ArrayBuffer(capacity),
  ) {
    this.buffer = Buffer.from(next());
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  }

  get bytes(): number {
    return this.used;
  }

  /** Adds a message; false when it does not fit (the caller sends this batch and starts another). */
  add(
    seq: number,
    ts: Nanos,
    subject: string,
    data: Uint8Array,
    headers: Record<string, string[]> | undefined,
  ): boolean {
    const headerText = headers ? JSON.stringify(headers) : '';
    // Room for the worst case (three bytes per UTF-16 unit), so the subject is written without measuring it first.
    const room = FIXED + subject.length * 3 + headerText.length * 3 + data.byteLength;
    if (this.used + room > this.buffer.byteLength) {
      if (this.count > 0) return false;
      this.use(new ArrayBuffer(room)); // one message larger than a batch travels alone, in a buffer of its own
    }
    const view = this.view;
    let at = this.used;
    view.setFloat64(at, seq, true);
    view.setBigInt64(at + 8, ts, true);
    const subjectBytes = this.buffer.write(subject, at + 18);
    if (subjectBytes > MAX_SUBJECT_BYTES)
      throw new Error(`subject of seq ${seq} is longer than ${MAX_SUBJECT_BYTES} bytes`);
    view.setUint16(at + 16, subjectBytes, true);
    at += 18 + subjectBytes;
    const headerBytes = headerText ? this.buffer.write(headerText, at + 4) : 0;
    view.setUint32(at, headerBytes, true);
    at += 4 + headerBytes;
    view.setUint32(at, data.byteLength, true);
    at += 4;
    this.buffer.set(data, at);
    this.used = at + data.byteLength;
    this.count += 1;
    return true;
  }

  /** The filled buffer and how much of it is filled, to transfer; the writer goes on in the next buffer. */
  take(): { buffer: ArrayBuffer; length: number } {
    const taken = { buffer: this.buffer.buffer as ArrayBuffer, length: this.used };
    this.use(this.next());
    return taken;
  }

  private use(buffer: ArrayBuffer): void {
    this.buffer = Buffer.from(buffer);
    this.view = new DataView(buffer);
    this.used = 0;
    this.count = 0;
  }
}

/**
 * One message as ranges of bytes rather than views, so a batch is encoded without an allocation per message: the
 * subject is `subject[subjectStart, subjectEnd)` (UTF-8), the payload `data[dataStart, dataEnd)`, the headers JSON
 * text (null for none).
 */
export type MessageVisitor = (
  seq: number,
  ts: Nanos,
  subject: Buffer,
  subjectStart: number,
  subjectEnd: number,
  headersJson: string | null,
  data: Buffer,
  dataStart: number,
  dataEnd: number,
) => void;

/** Each message of a packed batch, in the order they were added. */
export function forEachPacked(batch: ArrayBuffer, length: number, visit: MessageVisitor): void {
  const bytes = Buffer.from(batch, 0, length);
  const view = new DataView(batch, 0, length);
  let at = 0;
  while (at < length) {
    const seq = view.getFloat64(at, true);
    const ts = view.getBigInt64(at + 8, true);
    const subjectStart = at + 18;
    const subjectEnd = subjectStart + view.getUint16(at + 16, true);
    const headerBytes = view.getUint32(subjectEnd, true);
    const headersJson = headerBytes ? bytes.toString('utf8', subjectEnd + 4, subjectEnd + 4 + headerBytes) : null;
    const dataStart = subjectEnd + 4 + headerBytes + 4;
    const dataEnd = dataStart + view.getUint32(dataStart - 4, true);
    visit(seq, ts, bytes, subjectStart, subjectEnd, headersJson, bytes, dataStart, dataEnd);
    at = dataEnd;
  }
}
