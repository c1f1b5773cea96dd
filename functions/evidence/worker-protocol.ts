import type { EvidenceHeader, EvidenceStream } from './format.js';

/** What the reading thread sends the evidence worker, in order. */
export type ToWorker =
  | { t: 'header'; header: Omit<EvidenceHeader, 'type' | 'schema'> }
  | { t: 'start'; source: string; stream: string }
  | { t: 'batch'; buffer: ArrayBuffer; length: number }
  | { t: 'end-stream'; record: Omit<EvidenceStream, 'type'> }
  | { t: 'end' };

/** What it answers: compressed bytes in order, one ack per batch, then done (or an error). */
export type FromWorker =
  | { t: 'chunk'; data: ArrayBuffer }
  /** A batch is done with; its buffer comes back to be filled again. */
  | { t: 'ack'; buffer: ArrayBuffer }
  | { t: 'done' }
  | { t: 'error'; message: string };
