/**
 * Turns the evidence records of one run into the bytes of `evidence.jsonl.gz`. The same code runs on the reading
 * thread or in the evidence worker (recorder.ts decides), so both give the same bytes: deflate's output does not
 * depend on how its input was split, and nothing here flushes before the end.
 */
import type { TransformOptions } from 'node:stream';
import { createGzip, type Gzip, type ZlibOptions } from 'node:zlib';
import type { Nanos } from '../time/nanos.js';
import { headerLine, MessageLineEncoder, streamLine, type EvidenceHeader, type EvidenceStream } from './format.js';
import { LineBuffer } from './line-buffer.js';

/**
 * Level 1: a day's evidence is mostly JSON that compresses ~9:1 even so, and the higher levels cost twice the
 * CPU on a machine whose other core reads the streams. Fixed, because the bytes must not depend on the machine.
 */
export const EVIDENCE_GZIP_LEVEL = 1;
/** Lines are handed to the compressor in writes of about this size: one write per message costs more in stream bookkeeping than the line. */
const WRITE_BYTES = 256 * 1024;

export class EvidenceEncoder {
  private readonly gzip: Gzip;
  private readonly out = new LineBuffer(WRITE_BYTES * 2);
  private stream: MessageLineEncoder | null = null;
  private readonly done: Promise<void>;

  /** `onChunk` receives the compressed bytes in order; `end()` resolves once the last of them was handed over. */
  constructor(onChunk: (chunk: Buffer) => void) {
    // Room for several writes: the compressor works on another thread while the next lines are built, rather
    // than the reader waiting on every write.
    const buffering: TransformOptions = { writableHighWaterMark: 8 * WRITE_BYTES, readableHighWaterMark: 1024 * 1024 };
    this.gzip = createGzip({ level: EVIDENCE_GZIP_LEVEL, chunkSize: 256 * 1024, ...buffering } as ZlibOptions);
    this.gzip.on('data', onChunk);
    this.done = new Promise((resolve, reject) => {
      this.gzip.once('end', resolve);
      this.gzip.once('error', reject);
    });
  }

  header(header: Omit<EvidenceHeader, 'type' | 'schema'>): void {
    this.out.raw(Buffer.from(headerLine(header)));
  }

  startStream(source: string, stream: string): void {
    this.stream = new MessageLineEncoder(source, stream);
  }

  /** `subject` as UTF-8 bytes, headers as JSON text (null for none). */
  message(seq: number, ts: Nanos, subject: Uint8Array, data: Uint8Array, headersJson: string | null): void {
    if (!this.stream) throw new Error('evidence: a message before its stream');
    this.stream.line(this.out, seq, ts, subject, data, headersJson);
    if (this.out.length >= WRITE_BYTES) this.flush();
  }

  endStream(record: Omit<EvidenceStream, 'type'>): void {
    this.out.raw(Buffer.from(streamLine(record)));
    this.stream = null;
  }

  /** Hands what is built to the compressor. */
  flush(): void {
    if (this.out.length === 0) return;
    const lines = this.out.take();
    this.gzip.write(lines, () => this.out.giveBack(lines));
  }

  /** The compressor holds more than it wants: wait for `drained()` before giving it more. */
  get backedUp(): boolean {
    return this.gzip.writableNeedDrain;
  }

  /** Resolves when the compressor has room again. */
  drained(): Promise<void> {
    return this.gzip.writableNeedDrain ? new Promise((resolve) => this.gzip.once('drain', resolve)) : Promise.resolve();
  }

  async end(): Promise<void> {
    this.flush();
    this.gzip.end();
    await this.done;
  }

  destroy(): void {
    this.gzip.destroy();
  }
}
