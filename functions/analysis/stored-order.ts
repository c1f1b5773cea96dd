import type { StoredAt } from './aggregate-state.js';

/** Stored-time order, ties by stream and sequence: the same order whatever the slices or the merge order. */
export function compareStored(a: StoredAt, b: StoredAt): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  if (a.stream !== b.stream) return a.stream < b.stream ? -1 : 1;
  return a.seq - b.seq;
}

/** Stream, then sequence: for what has no stored time of its own (unparseable messages, evidence references). */
export function comparePosition(a: { stream: string; seq: number }, b: { stream: string; seq: number }): number {
  if (a.stream !== b.stream) return a.stream < b.stream ? -1 : 1;
  return a.seq - b.seq;
}
