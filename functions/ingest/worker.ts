/**
 * An ingest worker: builds and compresses the evidence lines of the batches the reading thread sends, and parses
 * and aggregates their messages, so that the reading thread only reads (ingest.ts is the other side).
 */
import { parentPort } from 'node:worker_threads';
import { emptyAggregate, type AggregateState } from '../analysis/aggregate-state.js';
import { MessageLines } from '../evidence/encoder.js';
import type { ParseOptions } from '../events/parse.js';
import { ingestBatch } from './ingest-batch.js';
import type { FromWorker, ToWorker } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('ingest worker: not started as a worker thread');
const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

interface Run {
  parse: ParseOptions;
  lines: MessageLines | null;
  newState: () => AggregateState;
  /** The slices the current state covers, or null before the first batch. */
  current: { first: number; last: number; state: AggregateState } | null;
}

/** One run at a time: a worker serves one run, then waits in the pool for the next (ingest.ts). */
let run: Run | null = null;

port.on('message', (message: ToWorker) => {
  try {
    handle(message);
  } catch (err) {
    post({ t: 'error', message: err instanceof Error ? err.message : String(err) });
  }
});

function handle(message: ToWorker): void {
  switch (message.t) {
    case 'begin': {
      const { limits } = message;
      run = {
        parse: message.parse,
        lines: message.evidence ? new MessageLines() : null,
        newState: () => emptyAggregate(limits),
        current: null,
      };
      return;
    }
    case 'batch': {
      if (!run) throw new Error('a batch outside a run');
      const { slice } = message;
      // The next slice straight after this one's (the only worker, or it was given two in a row): one state goes on.
      if (run.current && slice !== run.current.last && slice !== run.current.last + 1) sendCurrent(run);
      run.current ??= { first: slice, last: slice, state: run.newState() };
      run.current.last = slice;
      ingestBatch(message.buffer, message.length, message.context, run.current.state, run.parse, run.lines);
      const members = (run.lines?.take() ?? []).map(own);
      post({ t: 'batch', id: message.id, members, buffer: message.buffer }, [...members, message.buffer]);
      return;
    }
    case 'end': {
      if (!run) throw new Error('the end of a run that did not begin');
      if (run.current) sendCurrent(run);
      run = null;
      post({ t: 'done' });
      return;
    }
  }
}

function sendCurrent(r: Run): void {
  const { first, last, state } = r.current!;
  post({ t: 'slices', first, last, state });
  r.current = null;
}

/** A member may be a view of a larger pooled buffer: copy it into one of its own, to be moved. */
function own(chunk: Buffer): ArrayBuffer {
  if (chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength) return chunk.buffer as ArrayBuffer;
  const copy = new Uint8Array(chunk.byteLength);
  copy.set(chunk);
  return copy.buffer;
}
