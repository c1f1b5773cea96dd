/** Where the compressed evidence goes, in order; a write resolves when the bytes are taken. */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void>;
}

/** Compressed bytes handed to the sink but not yet taken by it, beyond which the replay waits. */
const SINK_BACKLOG_BYTES = 16 * 1024 * 1024;

/** Writes chunks to the sink one after another and remembers the first failure. */
export class SinkWriter {
  private chain: Promise<void> = Promise.resolve();
  /** Chunks not yet handed to the sink: written together once the write before them is done. */
  private pending: Uint8Array[] = [];
  private backlog = 0;
  private waiters: (() => void)[] = [];
  failure: unknown = null;

  constructor(private readonly sink: ByteSink) {}

  push(chunk: Uint8Array): void {
    this.backlog += chunk.byteLength;
    this.pending.push(chunk);
    if (this.pending.length > 1) return; // a write is already queued; it takes this chunk too
    this.chain = this.chain.then(async () => {
      const chunks = this.pending;
      this.pending = [];
      const size = chunks.reduce((n, c) => n + c.byteLength, 0);
      if (this.failure === null) {
        try {
          await this.sink.write(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
        } catch (err) {
          this.failure = err;
        }
      }
      this.backlog -= size;
      if (this.backlog < SINK_BACKLOG_BYTES) this.release();
    });
  }

  get full(): boolean {
    return this.backlog >= SINK_BACKLOG_BYTES;
  }

  roomAvailable(): Promise<void> {
    return this.full ? new Promise((resolve) => this.waiters.push(resolve)) : Promise.resolve();
  }

  async settle(): Promise<void> {
    await this.chain;
    this.throwIfFailed();
  }

  throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }

  private release(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const resolve of waiting) resolve();
  }
}

/**
 * Puts pieces of the file in order as they complete out of order (batches done by different workers): a piece
 * reserves its place when its work is handed out, and bytes reach the sink once every piece before them has.
 */
export class OrderedPieces {
  private next = 0;
  private reserved = 0;
  private readonly done = new Map<number, Uint8Array[]>();

  constructor(private readonly writer: SinkWriter) {}

  reserve(): number {
    return this.reserved++;
  }

  fill(piece: number, chunks: Uint8Array[]): void {
    this.done.set(piece, chunks);
    for (let ready = this.done.get(this.next); ready; ready = this.done.get(this.next)) {
      this.done.delete(this.next);
      this.next += 1;
      for (const chunk of ready) this.writer.push(chunk);
    }
  }

  /** Every reserved piece has been filled. */
  get complete(): boolean {
    return this.next === this.reserved;
  }
}
