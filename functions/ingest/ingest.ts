/**
 * Takes every message the replay reads: records it in the evidence file and adds it to the period's aggregate.
 * The reading thread only packs messages into batches (evidence/batch.ts); where the machine has cores to spare,
 * workers (worker.ts) build the evidence and the aggregate from them, each given whole slices of consecutive
 * batches, and their states merge in reading order (analysis/merge-aggregates.ts). On one core the reading thread
 * does that work itself, with the same function (ingest-batch.ts): the file and the figures are the same either way.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { emptyAggregate, type AggregateLimits, type AggregateState } from '../analysis/aggregate-state.js';
import { mergeAggregates } from '../analysis/merge-aggregates.js';
import { BatchWriter } from '../evidence/batch.js';
import { headerMember, MessageLines, streamMember } from '../evidence/encoder.js';
import { EVIDENCE_CUT_NS, type EvidenceHeader, type EvidenceStream } from '../evidence/format.js';
import type { ParseOptions } from '../events/parse.js';
import type { RawMessage } from '../events/types.js';
import { ingestBatch, type StreamContext } from './ingest-batch.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { OrderedPieces, SinkWriter, type ByteSink } from './sink-writer.js';

/** The worker's own bundle beside a bundled handler's index.mjs (cdk/bundle-files.ts puts it there). */
export const INGEST_WORKER_BUNDLE = 'ingest-worker.mjs';

export interface IngestOptions {
  limits: AggregateLimits;
  parse: ParseOptions;
  /**
   * Where the evidence file goes; none: the messages are only aggregated (the benchmark's baseline). Without a
   * header only message lines are written: one slice's part of a stream (pipeline/replay-slice.ts).
   */
  evidence?: { header?: Omit<EvidenceHeader, 'type' | 'schema'>; sink: ByteSink };
  /** How many worker threads: 'auto' sizes them to the cores (none on one core); 0 works on the reading thread. */
  workers?: 'auto' | number;
  /** Smaller batches and slices, for tests that split a few messages many ways. */
  tuning?: { batchBytes: number; sliceBatches: number };
}

export interface Ingest {
  /** The stream whose messages follow. */
  startStream(context: StreamContext): void;
  /** Takes one message; returns a promise only when the caller must wait (the workers or the sink are behind). */
  message(raw: RawMessage): void | Promise<void>;
  /**
   * The stream's messages are all in; `record` is what the replay found, the evidence's closing line for it (null
   * for a slice's part: the stream's line is written once its slices are merged).
   */
  endStream(record: Omit<EvidenceStream, 'type'> | null): void;
  /** The aggregate of every message, once every evidence byte has reached the sink. */
  finish(): Promise<AggregateState>;
  /** Stops without finishing (the run failed); the sink's owner discards what it holds. */
  abort(): Promise<void>;
}

/**
 * Packed bytes per batch: small enough that the workers' tail after the last message read is short, large enough
 * that handing a batch over costs nothing per message.
 */
const BATCH_BYTES = 256 * 1024;
/** Batches in flight per worker beyond which the replay waits: bounds the memory a slow worker can take. */
const BATCHES_IN_FLIGHT = 16;
/** Consecutive batches one worker aggregates into one state: merges are rare, and each state stays bounded. */
const SLICE_BATCHES = 64;
/** More workers than this only contend for the reading thread's batches. */
const MAX_WORKERS = 4;

/**
 * None on one CPU (the reading thread does the work itself), else one fewer than the CPUs. Two on two CPUs read with
 * the evidence written up to 9 % faster in some runs of `npm run bench` and no faster in others, and the peak RSS of a
 * read of 10N then grew 1.32–1.35 times that of N (one worker: 1.13), against the 1.25 the memory target allows.
 */
export function workerCount(setting: 'auto' | number = 'auto', cores = availableParallelism()): number {
  if (setting !== 'auto') return setting;
  return Math.max(0, Math.min(MAX_WORKERS, cores - 1));
}

export function startIngest(options: IngestOptions): Ingest {
  const count = workerCount(options.workers);
  const entry = count > 0 ? workerEntry() : null;
  if (count > 0 && !entry) throw new Error('ingest: the worker entry point was not found beside this module');
  return new BatchedIngest(options, entry ? Array.from({ length: count }, () => takeWorker(entry)) : []);
}

/** Slices' states as they arrive, merged in reading order. */
class SliceMerger {
  private merged: AggregateState | null = null;
  private nextSlice = 0;
  private waiting: { first: number; last: number; state: AggregateState }[] = [];

  add(first: number, last: number, state: AggregateState): void {
    this.waiting.push({ first, last, state });
    this.waiting.sort((a, b) => a.first - b.first);
    while (this.waiting[0]?.first === this.nextSlice) {
      const next = this.waiting.shift()!;
      this.merged = this.merged ? mergeAggregates(this.merged, next.state) : next.state;
      this.nextSlice = next.last + 1;
    }
  }

  result(limits: AggregateLimits, slices: number): AggregateState {
    if (this.waiting.length > 0 || this.nextSlice !== slices)
      throw new Error(`ingest: the aggregate covers ${this.nextSlice} of ${slices} slices`);
    return this.merged ?? emptyAggregate(limits);
  }
}

class BatchedIngest implements Ingest {
  /** Batch buffers given back, to be filled again. */
  private readonly spare: ArrayBuffer[] = [];
  private readonly batchBytes: number;
  private readonly sliceBatches: number;
  private readonly batch: BatchWriter;
  private readonly writer: SinkWriter | null;
  private readonly pieces: OrderedPieces | null;
  /** The reading thread's own state and lines, when it does the work itself. */
  private readonly inline: { state: AggregateState; lines: MessageLines | null } | null;
  private readonly merger = new SliceMerger();
  private context: StreamContext | null = null;
  /** The next whole second of stored time: a message at or after it starts a new batch (EVIDENCE_CUT_NS). */
  private cutAt = -1n;
  private batches = 0;
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private failure: Error | null = null;
  private workersDone = 0;
  private finished: (() => void) | null = null;

  constructor(
    private readonly options: IngestOptions,
    private readonly workers: Worker[],
  ) {
    const { evidence } = options;
    this.batchBytes = options.tuning?.batchBytes ?? BATCH_BYTES;
    this.sliceBatches = options.tuning?.sliceBatches ?? SLICE_BATCHES;
    this.batch = new BatchWriter(this.batchBytes, () => this.spare.pop() ?? new ArrayBuffer(this.batchBytes));
    this.writer = evidence ? new SinkWriter(evidence.sink) : null;
    this.pieces = this.writer ? new OrderedPieces(this.writer) : null;
    this.inline =
      workers.length === 0
        ? { state: emptyAggregate(options.limits), lines: evidence ? new MessageLines() : null }
        : null;
    for (const worker of workers) {
      worker.on('message', (message: FromWorker) => this.fromWorker(message));
      worker.once('error', (err) => this.fail(err));
      worker.once('exit', (code) => {
        if (code !== 0) this.fail(new Error(`ingest worker stopped with exit code ${code}`));
      });
      this.post(worker, { t: 'begin', limits: options.limits, parse: options.parse, evidence: Boolean(evidence) });
    }
    if (evidence?.header) this.pieces!.fill(this.pieces!.reserve(), [headerMember(evidence.header)]);
  }

  startStream(context: StreamContext): void {
    this.dispatch();
    this.context = context;
    this.cutAt = -1n;
  }

  message(raw: RawMessage): void | Promise<void> {
    if (raw.ts >= this.cutAt) {
      this.dispatch();
      this.cutAt = (raw.ts / EVIDENCE_CUT_NS + 1n) * EVIDENCE_CUT_NS;
    }
    if (this.batch.add(raw.seq, raw.ts, raw.subject, raw.data, raw.headers)) return;
    this.dispatch();
    this.batch.add(raw.seq, raw.ts, raw.subject, raw.data, raw.headers);
    if (this.failure) throw this.failure;
    if (this.behind) return this.catchUp();
  }

  endStream(record: Omit<EvidenceStream, 'type'> | null): void {
    this.dispatch();
    if (record) this.pieces?.fill(this.pieces.reserve(), [streamMember(record)]);
  }

  async finish(): Promise<AggregateState> {
    this.dispatch();
    let state: AggregateState;
    if (this.inline) {
      state = this.inline.state;
    } else {
      const done = new Promise<void>((resolve) => (this.finished = resolve));
      for (const worker of this.workers) this.post(worker, { t: 'end' });
      if (this.workersDone < this.workers.length && !this.failure) await done;
      if (this.failure) {
        await this.abort();
        throw this.failure;
      }
      for (const worker of this.workers) returnWorker(worker);
      state = this.merger.result(this.options.limits, Math.ceil(this.batches / this.sliceBatches));
    }
    if (this.pieces && !this.pieces.complete) throw new Error('ingest: a piece of the evidence file never came back');
    await this.writer?.settle();
    return state;
  }

  async abort(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private get behind(): boolean {
    return this.workersBehind || (this.writer?.full ?? false);
  }

  private get workersBehind(): boolean {
    return this.workers.length > 0 && this.inFlight >= BATCHES_IN_FLIGHT * this.workers.length;
  }

  private dispatch(): void {
    if (this.batch.count === 0) return;
    if (!this.context) throw new Error('ingest: a message before its stream');
    const { buffer, length } = this.batch.take();
    const id = this.pieces?.reserve() ?? -1;
    const slice = Math.floor(this.batches / this.sliceBatches);
    this.batches += 1;
    if (this.inline) {
      const { state, lines } = this.inline;
      ingestBatch(buffer, length, this.context, state, this.options.parse, lines);
      if (lines) this.pieces!.fill(id, lines.take());
      this.spare.push(buffer);
      return;
    }
    this.inFlight += 1;
    const worker = this.workers[slice % this.workers.length]!;
    this.post(worker, { t: 'batch', id, slice, context: this.context, buffer, length }, [buffer]);
  }

  private fromWorker(message: FromWorker): void {
    switch (message.t) {
      case 'batch':
        if (message.id >= 0)
          this.pieces!.fill(
            message.id,
            message.members.map((m) => new Uint8Array(m)),
          );
        if (message.buffer.byteLength === this.batchBytes) this.spare.push(message.buffer);
        this.inFlight -= 1;
        this.wake();
        return;
      case 'slices':
        this.merger.add(message.first, message.last, message.state);
        return;
      case 'done':
        this.workersDone += 1;
        if (this.workersDone === this.workers.length) this.finished?.();
        return;
      case 'error':
        this.fail(new Error(`ingest worker: ${message.message}`));
        return;
    }
  }

  private post(worker: Worker, message: ToWorker, transfer: ArrayBuffer[] = []): void {
    worker.postMessage(message, transfer);
  }

  private async catchUp(): Promise<void> {
    while (this.workersBehind && !this.failure) await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.failure) throw this.failure;
    this.writer?.throwIfFailed();
    await this.writer?.roomAvailable();
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const resolve of waiting) resolve();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.wake();
    this.finished?.();
  }
}

/**
 * Workers that finished a run wait here for the next one (a warm Lambda container runs many): starting one costs
 * tens of milliseconds. An idle worker does not keep the process alive.
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

interface WorkerEntry {
  url: URL;
  /** For the TypeScript source: a script that registers tsx in the worker, then loads it. */
  source?: string;
}

/**
 * The worker's entry beside this module: compiled JavaScript (dist/, or `ingest-worker.mjs` beside the Lambda
 * bundle's index.mjs), or the TypeScript source when this runs from source (tests, the bench), through tsx.
 */
function workerEntry(): WorkerEntry | null {
  const here = import.meta.url;
  for (const name of ['./worker.js', `./${INGEST_WORKER_BUNDLE}`]) {
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
