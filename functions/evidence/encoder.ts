/**
 * Turns the evidence records of one run into the bytes of `evidence.jsonl.gz`. The same code runs on the reading
 * thread or in the evidence worker (recorder.ts decides), so both give the same bytes. Lines are compressed in
 * blocks of about WRITE_BYTES, each a gzip member of its own (a .gz file may hold several one after another; gunzip,
 * zcat and every gzip reader read them as one stream): compressing a block at once, on the thread that built it,
 * costs far less than streaming each write through zlib's machinery and a thread of its own. Where a block ends
 * depends only on the lines, so the bytes never depend on how the work was split.
 */
import { gzipSync } from 'node:zlib';
import type { Nanos } from '../time/nanos.js';
import { headerLine, MessageLineEncoder, streamLine, type EvidenceHeader, type EvidenceStream } from './format.js';
import { forEachPacked, type MessageVisitor } from './batch.js';
import { LineBuffer } from './line-buffer.js';

/**
 * Level 1: a day's evidence is mostly JSON that compresses ~9:1 even so, and the higher levels cost twice the
 * CPU on a machine whose other core reads the streams. Fixed, because the bytes must not depend on the machine.
 */
export const EVIDENCE_GZIP_LEVEL = 1;
/** Lines are compressed in blocks of at least this many bytes (the last one may be smaller). */
export const WRITE_BYTES = 256 * 1024;

export class EvidenceEncoder {
  private readonly out = new LineBuffer(WRITE_BYTES * 2);
  private stream: MessageLineEncoder | null = null;

  /** `onChunk` receives the compressed bytes in order, as they are made. */
  constructor(private readonly onChunk: (chunk: Buffer) => void) {}

  header(header: Omit<EvidenceHeader, 'type' | 'schema'>): void {
    this.text(headerLine(header));
  }

  startStream(source: string, stream: string): void {
    this.stream = new MessageLineEncoder(source, stream);
  }

  /** One message: `subject` as UTF-8 bytes, headers as JSON text (null for none). */
  message(seq: number, ts: Nanos, subject: Uint8Array, data: Uint8Array, headersJson: string | null): void {
    this.line(seq, ts, subject, 0, subject.length, headersJson, data, 0, data.length);
  }

  /** Every message of a packed batch (batch.ts), in order. */
  batch(buffer: ArrayBuffer, length: number): void {
    forEachPacked(buffer, length, this.line);
  }

  private readonly line: MessageVisitor = (
    seq,
    ts,
    subject,
    subjectStart,
    subjectEnd,
    headersJson,
    data,
    dataStart,
    dataEnd,
  ) => {
    if (!this.stream) throw new Error('evidence: a message before its stream');
    this.stream.line(this.out, seq, ts, subject, subjectStart, subjectEnd, headersJson, data, dataStart, dataEnd);
    if (this.out.length >= WRITE_BYTES) this.flush();
  };

  endStream(record: Omit<EvidenceStream, 'type'>): void {
    this.text(streamLine(record));
    this.stream = null;
  }

  /** Compresses what is left and hands it over: the file is complete. */
  end(): void {
    this.flush();
  }

  private text(line: string): void {
    const bytes = Buffer.from(line);
    this.out.reserve(bytes.length);
    this.out.raw(bytes);
    if (this.out.length >= WRITE_BYTES) this.flush();
  }

  private flush(): void {
    if (this.out.length === 0) return;
    const lines = this.out.view();
    const member = gzipSync(lines, { level: EVIDENCE_GZIP_LEVEL });
    this.out.clear();
    this.onChunk(member);
  }
}
