import type { AggregateLimits, AggregateState } from '../analysis/aggregate-state.js';
import type { ParseOptions } from '../events/parse.js';
import type { StreamContext } from './ingest-batch.js';

/** What the reading thread sends an ingest worker. */
export type ToWorker =
  | { t: 'begin'; limits: AggregateLimits; parse: ParseOptions; evidence: boolean }
  /**
   * One batch: `id` orders its evidence among the file's members; `slice` names the run of consecutive batches
   * whose messages one aggregate takes (a worker is given whole slices, so each state it keeps covers messages
   * read one after another, which is what merging states requires).
   */
  | { t: 'batch'; id: number; slice: number; context: StreamContext; buffer: ArrayBuffer; length: number }
  | { t: 'end' };

/** What it answers. */
export type FromWorker =
  /** A batch is done: its evidence members (none without evidence), and its buffer back to be filled again. */
  | { t: 'batch'; id: number; members: ArrayBuffer[]; buffer: ArrayBuffer }
  /** The aggregate of slices `first` to `last`, all of them this worker's, sent when it starts another or ends. */
  | { t: 'slices'; first: number; last: number; state: AggregateState }
  | { t: 'done' }
  | { t: 'error'; message: string };
