/**
 * Records the evidence of a run while the replay reads it: every message goes into `evidence.jsonl.gz`, written
 * to a byte sink (the archive's staged file) as it is compressed, so memory stays flat however long the day.
 * Where the machine has a spare core the lines are built in a worker thread; otherwise on the reading thread.
 * Both give the same bytes.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RawMessage } from '../events/types.js';
import { BatchWriter } from './batch.js';
import { EvidenceEncoder } from './encoder.js';
import type { EvidenceHeader, EvidenceStream } from './format.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';

/** The worker's own bundle beside a bundled handler's index.mjs (cdk/bundle-files.ts puts it there). */
export const EVIDENCE_WORKER_BUNDLE = 'evidence-worker.mjs';

/** Where the compressed bytes go, in order; a write resolves when the bytes are taken. */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void>;
}

export interface EvidenceRecorder {
  startStream(source: string, stream: string): void;
  /** Records one message; returns a promise only when the caller must wait (the writer is behind). */
  message(raw: RawMessage): void | Promise<void>;
  endStream(record: Omit<EvidenceStream, 'type'>): void;
  /** Ends the file: every byte has reached the sink when it resolves (the sink knows their size and SHA-256). */
  finish(): Promise<void>;
  /** Stops without finishing (the run failed); the sink's owner discards what it holds. */
  abort(): Promise<void>;
}

export type EvidenceMode = 'auto' | 'worker' | 'inline';

/** Compressed bytes handed to the sink but not yet taken by it, beyond which the replay waits. */
const SINK_BACKLOG_BYTES = 16 * 1024 * 1024;
const BATCH_BYTES = 1024 * 1024;
/** Batches in flight to the worker beyond which the replay waits. */
const BATCHES_IN_FLIGHT = 8;

export function startEvidence(
  header: Omit<EvidenceHeader, 'type' | 'schema'>,
  sink: ByteSink,
  mode: EvidenceMode = 'auto',
): EvidenceRecorder {
  const entry = mode === 'inline' || (mode === 'auto' && availableParallelism() < 2) ? null : workerEntry();
  if (mode === 'worker' && !entry) throw new Error('evidence: the worker entry point was not found beside this module');
  const output = new SinkWriter(sink);
  return entry ? new WorkerRecorder(takeWorker(entry), header, output) : new InlineRecorder(header, output);
}

/**
 * Workers that finished an evidence file wait here for the next one (a warm Lambda container runs many): starting
 * one costs tens of milliseconds. An idle worker does not keep the process alive.
 */
const idleWorkers: Worker[] = [];

function takeWorker(entry: WorkerEntry): Worker {
  const worker = idleWorkers.pop() ?? (entry.source ? new Worker(entry.source, { eval: true }) : new Worker(entry.url));
  worker.removeAllListeners();
  worker.ref();
  return worker;
}

function returnWorker(worker: Worker): void {
  worker.removeAllListeners();
  worker.unref();
  // One that stops while it waits must not be handed to the next run.
  worker.once('exit', () => idleWorkers.splice(idleWorkers.indexOf(worker) >>> 0, 1));
  idleWorkers.push(worker);
}

/** Writes chunks to the sink one after another and remembers the first failure. */
class SinkWriter {
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

class InlineRecorder implements EvidenceRecorder {
  private readonly encoder: EvidenceEncoder;

  constructor(
    header: Omit<EvidenceHeader, 'type' | 'schema'>,
    private readonly output: SinkWriter,
  ) {
    this.encoder = new EvidenceEncoder((chunk) => output.push(chunk));
    this.encoder.header(header);
  }

  startStream(source: string, stream: string): void {
    this.encoder.startStream(source, stream);
  }

  message(raw: RawMessage): void | Promise<void> {
    this.encoder.message(
      raw.seq,
      raw.ts,
      Buffer.from(raw.subject),
      raw.data,
      raw.headers ? JSON.stringify(raw.headers) : null,
    );
    if (this.output.full) return this.catchUp();
  }

  endStream(record: Omit<EvidenceStream, 'type'>): void {
    this.encoder.endStream(record);
  }

  async finish(): Promise<void> {
    this.encoder.end();
    return this.output.settle();
  }

  async abort(): Promise<void> {
    // Nothing runs in the background: what was compressed is dropped with the sink.
  }

  private async catchUp(): Promise<void> {
    this.output.throwIfFailed();
    await this.output.roomAvailable();
  }
}

class WorkerRecorder implements EvidenceRecorder {
  private readonly worker: Worker;
  /** Batch buffers the worker gave back, to be filled again. */
  private readonly spare: ArrayBuffer[] = [];
  private readonly batch = new BatchWriter(BATCH_BYTES, () => this.spare.pop() ?? new ArrayBuffer(BATCH_BYTES));
  private inFlight = 0;
  private ackWaiters: (() => void)[] = [];
  private failure: Error | null = null;
  private readonly done: Promise<void>;

  constructor(
    worker: Worker,
    header: Omit<EvidenceHeader, 'type' | 'schema'>,
    private readonly output: SinkWriter,
  ) {
    this.worker = worker;
    this.done = new Promise((resolve, reject) => {
      this.worker.on('message', (message: FromWorker) => {
        switch (message.t) {
          case 'chunk':
            output.push(new Uint8Array(message.data));
            return;
          case 'ack':
            if (message.buffer.byteLength === BATCH_BYTES) this.spare.push(message.buffer);
            this.inFlight -= 1;
            this.wakeAckWaiters();
            return;
          case 'done':
            resolve();
            return;
          case 'error':
            this.fail(new Error(`evidence worker: ${message.message}`), reject);
            return;
        }
      });
      this.worker.once('error', (err) => this.fail(err, reject));
      this.worker.once('exit', (code) => {
        if (code !== 0) this.fail(new Error(`evidence worker stopped with exit code ${code}`), reject);
      });
    });
    this.done.catch(() => undefined); // observed by finish(); a failure before then is raised by message()
    this.send({ t: 'header', header });
  }

  startStream(source: string, stream: string): void {
    this.send({ t: 'start', source, stream });
  }

  message(raw: RawMessage): void | Promise<void> {
    if (this.batch.add(raw.seq, raw.ts, raw.subject, raw.data, raw.headers)) return;
    this.sendBatch();
    this.batch.add(raw.seq, raw.ts, raw.subject, raw.data, raw.headers);
    if (this.failure) throw this.failure;
    if (this.inFlight >= BATCHES_IN_FLIGHT || this.output.full) return this.catchUp();
  }

  endStream(record: Omit<EvidenceStream, 'type'>): void {
    this.sendBatch();
    this.send({ t: 'end-stream', record });
  }

  async finish(): Promise<void> {
    this.sendBatch();
    this.send({ t: 'end' });
    try {
      await this.done;
    } catch (err) {
      await this.worker.terminate();
      throw err;
    }
    returnWorker(this.worker);
    return this.output.settle();
  }

  async abort(): Promise<void> {
    await this.worker.terminate();
  }

  private sendBatch(): void {
    if (this.batch.count === 0) return;
    const { buffer, length } = this.batch.take();
    this.inFlight += 1;
    this.send({ t: 'batch', buffer, length }, [buffer]);
  }

  private send(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  private async catchUp(): Promise<void> {
    while (this.inFlight >= BATCHES_IN_FLIGHT && !this.failure)
      await new Promise<void>((resolve) => this.ackWaiters.push(resolve));
    if (this.failure) throw this.failure;
    this.output.throwIfFailed();
    await this.output.roomAvailable();
  }

  private wakeAckWaiters(): void {
    const waiting = this.ackWaiters;
    this.ackWaiters = [];
    for (const resolve of waiting) resolve();
  }

  private fail(err: Error, reject: (err: Error) => void): void {
    this.failure ??= err;
    this.wakeAckWaiters();
    reject(err);
  }
}

interface WorkerEntry {
  url: URL;
  /** For the TypeScript source: a script that registers tsx in the worker, then loads it. */
  source?: string;
}

/**
 * The worker's entry beside this module: compiled JavaScript (dist/, or `evidence-worker.mjs` beside the Lambda
 * bundle's index.mjs), or the TypeScript source when this runs from source (tests, the bench), through tsx.
 */
function workerEntry(): WorkerEntry | null {
  const here = import.meta.url;
  for (const name of ['./worker.js', `./${EVIDENCE_WORKER_BUNDLE}`]) {
    const url = new URL(name, here);
    if (existsSync(fileURLToPath(url))) return { url };
  }
  const url = new URL('./worker.ts', here);
  if (!existsSync(fileURLToPath(url))) return null;
  const entry = JSON.stringify(url.href);
  // `execArgv: ['--import', 'tsx']` does not reach a worker's entry module on Node 20: register it inside.
  return {
    url,
    source: `import('tsx/esm/api').then(({ register }) => { register(); return import(${entry}); });`,
  };
}
