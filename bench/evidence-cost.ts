/**
 * What writing the evidence file costs by itself, and what that allows on this machine.
 *
 * The messages of a pipeline read are packed as the reading thread packs them (evidence/batch.ts) and written by
 * the production encoder and compressor (evidence/encoder.ts) on this thread alone: no NATS, no parsing, no other
 * thread. Its CPU per message is the price of the evidence wherever it runs.
 *
 * When a read keeps every core busy, writing the evidence cannot come for free: the read with evidence needs the
 * pipeline's CPU per message (every thread of this process and nats-server's, which shares the cores here) plus the
 * evidence's, so its throughput is at most cores / (pipeline + evidence). Divided by the pipeline's measured
 * throughput, that is the highest evidenceRatio this machine can show, however the work is spread over threads.
 */
import { availableParallelism } from 'node:os';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BatchWriter, forEachPacked } from '../functions/evidence/batch.js';
import { EVIDENCE_GZIP_LEVEL, MessageLines } from '../functions/evidence/encoder.js';
import type { RawMessage } from '../functions/events/types.js';

/** The size of the reading thread's batches (ingest/ingest.ts). */
const BATCH_BYTES = 256 * 1024;

interface PackedBatch {
  stream: string;
  buffer: ArrayBuffer;
  length: number;
}

/** Collects a read's messages as the reading thread would hand them over: copied, packed per stream. */
export class PackedMessages {
  readonly batches: PackedBatch[] = [];
  messages = 0;
  private writer = new BatchWriter(BATCH_BYTES);
  private stream: string | null = null;

  readonly add = (raw: RawMessage): void => {
    if (raw.stream !== this.stream) this.close();
    this.stream = raw.stream;
    if (!this.writer.add(raw.seq, raw.ts, raw.subject, raw.data, raw.headers)) {
      this.close();
      this.stream = raw.stream;
      this.writer.add(raw.seq, raw.ts, raw.subject, raw.data, raw.headers);
    }
    this.messages += 1;
  };

  /** Ends the batch being filled. */
  close(): void {
    if (this.stream !== null && this.writer.count > 0)
      this.batches.push({ stream: this.stream, ...this.writer.take() });
  }
}

export interface EvidenceCost {
  messages: number;
  /** CPU of this thread per message to encode every line and compress it into gzip members. */
  cpuUsPerMsg: number;
  /** Of which the gzip compression alone. */
  gzipCpuUsPerMsg: number;
  linesBytes: number;
  gzipBytes: number;
}

/**
 * Encodes and compresses the packed messages `passes` times on this thread, as the ingest workers do; the fastest
 * pass counts. The gzip share is the same lines compressed once more on their own.
 */
export function evidenceCost(
  packed: PackedMessages,
  threadCpuSeconds: () => number | null,
  passes = 3,
): EvidenceCost | null {
  packed.close();
  let best: EvidenceCost | null = null;
  for (let pass = 0; pass < passes; pass++) {
    const lines = new MessageLines();
    const members: Buffer[] = [];
    const start = threadCpuSeconds();
    if (start === null) return null;
    for (const batch of packed.batches) {
      lines.of('bench', batch.stream);
      forEachPacked(batch.buffer, batch.length, lines.line);
      members.push(...lines.take());
    }
    const total = threadCpuSeconds()! - start;
    const blocks = members.map((member) => gunzipSync(member));
    const gzipStart = threadCpuSeconds()!;
    for (const block of blocks) gzipSync(block, { level: EVIDENCE_GZIP_LEVEL });
    const gzip = threadCpuSeconds()! - gzipStart;
    const cost = {
      messages: packed.messages,
      cpuUsPerMsg: (total * 1e6) / packed.messages,
      gzipCpuUsPerMsg: (gzip * 1e6) / packed.messages,
      linesBytes: blocks.reduce((n, b) => n + b.byteLength, 0),
      gzipBytes: members.reduce((n, m) => n + m.byteLength, 0),
    };
    if (best === null || cost.cpuUsPerMsg < best.cpuUsPerMsg) best = cost;
  }
  return best;
}

/**
 * The highest evidenceRatio a machine of `cores` can show when the read with evidence is bound by CPU: the
 * throughput cores / (pipeline + evidence CPU per message), over the pipeline's measured throughput; at most 1.
 */
export function evidenceRatioCeiling(input: {
  pipelineMsgsPerSec: number;
  /** This process, every thread, plus nats-server's, per message of the pipeline's read. */
  pipelineCpuUsPerMsg: number;
  evidenceCpuUsPerMsg: number;
  cores?: number;
}): number {
  const cores = input.cores ?? availableParallelism();
  const bound = (cores * 1e6) / (input.pipelineCpuUsPerMsg + input.evidenceCpuUsPerMsg);
  return Math.min(1, bound / input.pipelineMsgsPerSec);
}
