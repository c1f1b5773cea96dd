/**
 * Small bounded collections whose merge is exact: the merge of two slices' values equals the value of the
 * whole, so a day can be split into slices that are aggregated apart and merged.
 */

/** Counts per key; the number of distinct keys is capped so hostile data cannot grow memory. */
export interface CountTable {
  counts: Map<string, number>;
  /** Events whose key arrived after the cap was reached. */
  overflow: number;
}

export const MAX_DISTINCT_KEYS = 100_000;

export function emptyCounts(): CountTable {
  return { counts: new Map(), overflow: 0 };
}

export function count(table: CountTable, key: string, by = 1): void {
  const current = table.counts.get(key);
  if (current !== undefined) table.counts.set(key, current + by);
  else if (table.counts.size < MAX_DISTINCT_KEYS) table.counts.set(key, by);
  else table.overflow += by;
}

export function mergeCounts(a: CountTable, b: CountTable): CountTable {
  const merged: CountTable = { counts: new Map(a.counts), overflow: a.overflow + b.overflow };
  for (const [key, n] of b.counts) count(merged, key, n);
  return merged;
}

/** The N largest counts, ties broken by key so that every merge order ranks alike. */
export function topCounts(table: CountTable, n: number): [string, number][] {
  return [...table.counts].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)).slice(0, n);
}

/** The first `limit` distinct values in sort order, and whether more were seen. */
export interface SampleSet {
  values: string[];
  truncated: boolean;
}

export function emptySample(): SampleSet {
  return { values: [], truncated: false };
}

export function sample(set: SampleSet, value: string, limit: number): void {
  const { values } = set;
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  if (values[lo] === value) return;
  values.splice(lo, 0, value);
  if (values.length > limit) {
    values.pop();
    set.truncated = true;
  }
}

export function mergeSamples(a: SampleSet, b: SampleSet, limit: number): SampleSet {
  const merged: SampleSet = { values: [...a.values], truncated: a.truncated || b.truncated };
  for (const v of b.values) sample(merged, v, limit);
  return merged;
}

/** The first `limit` items in `compare` order, kept sorted. */
export function insertBounded<T>(list: T[], item: T, limit: number, compare: (x: T, y: T) => number): void {
  if (list.length >= limit && compare(item, list[list.length - 1]!) >= 0) return;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compare(list[mid]!, item) <= 0) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, item);
  if (list.length > limit) list.pop();
}

export function mergeBounded<T>(a: T[], b: T[], limit: number, compare: (x: T, y: T) => number): T[] {
  return [...a, ...b].sort(compare).slice(0, limit);
}
