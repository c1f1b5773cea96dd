import type { Nanos } from '../time/nanos.js';

/**
 * Follows the stream sequences a replay delivers. A jump between two delivered sequences is a gap:
 * messages deleted or purged from the record. Sequences delivered twice (after a reconnect) are refused.
 */
export class SequenceTracker {
  firstSeq: number | null = null;
  lastSeq: number | null = null;
  firstTs: Nanos | null = null;
  lastTs: Nanos | null = null;
  messages = 0;
  readonly gaps: [number, number][] = [];

  /** Returns false for a sequence at or before one already seen: a redelivery to skip. */
  accept(seq: number, ts: Nanos): boolean {
    if (this.lastSeq !== null && seq <= this.lastSeq) return false;
    if (this.lastSeq !== null && seq > this.lastSeq + 1) this.gaps.push([this.lastSeq + 1, seq - 1]);
    if (this.firstSeq === null) {
      this.firstSeq = seq;
      this.firstTs = ts;
    }
    this.lastSeq = seq;
    this.lastTs = ts;
    this.messages += 1;
    return true;
  }

  /** Records a range of sequences known to be missing at an edge of the period. */
  addEdgeGap(from: number, to: number): void {
    if (from > to) return;
    this.gaps.push([from, to]);
    this.gaps.sort((a, b) => a[0] - b[0]);
  }

  get missing(): number {
    return this.gaps.reduce((n, [a, b]) => n + (b - a + 1), 0);
  }
}

/**
 * The deleted run that ends just before `seq`, from the stream's list of deleted sequences: the first
 * sequence of the run, or null when `seq - 1` was not deleted.
 */
export function deletedRunBefore(seq: number, deleted: ReadonlySet<number>): number | null {
  if (!deleted.has(seq - 1)) return null;
  let start = seq - 1;
  while (deleted.has(start - 1)) start -= 1;
  return start;
}
