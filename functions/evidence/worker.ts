/**
 * The evidence worker: builds and compresses the evidence lines of the batches the reading thread sends, so that
 * escaping every payload as JSON text costs the reading thread nothing (recorder.ts is the other side).
 */
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { EvidenceEncoder } from './encoder.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';

// The evidence can wait; reading the streams cannot: on Linux this lowers this thread only, so the replay and the
// server keep the cores and the worker takes what they leave (the batches in flight absorb the difference).
try {
  setPriority(10);
} catch {
  // not allowed here: the worker runs at the reader's priority
}

const port = parentPort;
if (!port) throw new Error('evidence worker: not started as a worker thread');
const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

/** One evidence file at a time: a worker serves one run, then waits in the pool for the next (recorder.ts). */
let encoder: EvidenceEncoder | null = null;

function current(): EvidenceEncoder {
  if (!encoder) throw new Error('a message outside an evidence file');
  return encoder;
}

let queue = Promise.resolve();
port.on('message', (message: ToWorker) => {
  queue = queue
    .then(() => handle(message))
    .catch((err: unknown) => {
      post({ t: 'error', message: err instanceof Error ? err.message : String(err) });
    });
});

async function handle(message: ToWorker): Promise<void> {
  switch (message.t) {
    case 'header':
      encoder = new EvidenceEncoder((chunk) => {
        // A chunk may be a view of a larger pooled buffer: copy it into one of its own, then move that.
        const own = new Uint8Array(chunk.byteLength);
        own.set(chunk);
        post({ t: 'chunk', data: own.buffer }, [own.buffer]);
      });
      encoder.header(message.header);
      return;
    case 'start':
      current().startStream(message.source, message.stream);
      return;
    case 'batch':
      current().batch(message.buffer, message.length);
      post({ t: 'ack', buffer: message.buffer }, [message.buffer]);
      return;
    case 'end-stream':
      current().endStream(message.record);
      return;
    case 'end':
      current().end();
      encoder = null;
      post({ t: 'done' });
      return;
  }
}
