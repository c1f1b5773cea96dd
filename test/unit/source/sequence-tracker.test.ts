import { describe, expect, it } from 'vitest';
import { SequenceTracker, deletedRunBefore } from '../../../functions/source/sequence-tracker.js';
import { capturedMessages } from '../../support/fixtures.js';

const _DAY_NS = 86_400 * 1e9;

describe('SequenceTracker', () => {
  it('starts empty', () => {
    const t = new SequenceTracker();
    expect(t.firstSeq).toBeNull();
    expect(t.lastSeq).toBeNull();
    expect(t.firstTs).toBeNull();
    expect(t.lastTs).toBeNull();
    expect(t.messages).toBe(0);
    expect(t.gaps).toEqual([]);
    expect(t.missing).toBe(0);
  });

  it('follows a contiguous run without gaps', () => {
    const t = new SequenceTracker();
    for (let s = 5; s <= 9; s++) expect(t.accept(s, BigInt(s) * 10n)).toBe(true);
    expect(t.firstSeq).toBe(5);
    expect(t.lastSeq).toBe(9);
    expect(t.firstTs).toBe(50n);
    expect(t.lastTs).toBe(90n);
    expect(t.messages).toBe(5);
    expect(t.gaps).toEqual([]);
    expect(t.missing).toBe(0);
  });

  it('records each jump as a gap of the skipped sequences', () => {
    const t = new SequenceTracker();
    for (const s of [1, 3, 4, 10, 11, 13]) t.accept(s, BigInt(s));
    expect(t.gaps).toEqual([
      [2, 2],
      [5, 9],
      [12, 12],
    ]);
    expect(t.missing).toBe(7);
    expect(t.messages).toBe(6);
    expect(t.firstSeq).toBe(1);
    expect(t.lastSeq).toBe(13);
  });

  it('refuses duplicates and sequences going back, without counting them', () => {
    const t = new SequenceTracker();
    expect(t.accept(1, 100n)).toBe(true);
    expect(t.accept(2, 200n)).toBe(true);
    expect(t.accept(2, 999n)).toBe(false);
    expect(t.accept(1, 999n)).toBe(false);
    expect(t.accept(4, 400n)).toBe(true);
    expect(t.accept(3, 300n)).toBe(false);
    expect(t.messages).toBe(3);
    expect(t.lastSeq).toBe(4);
    expect(t.lastTs).toBe(400n);
    expect(t.gaps).toEqual([[3, 3]]);
  });

  it('adds edge gaps and keeps gaps sorted; an empty range adds nothing', () => {
    const t = new SequenceTracker();
    for (const s of [10, 12, 20]) t.accept(s, BigInt(s));
    t.addEdgeGap(21, 25); // after the last delivered message
    t.addEdgeGap(7, 9); // before the first
    t.addEdgeGap(5, 4); // empty
    expect(t.gaps).toEqual([
      [7, 9],
      [11, 11],
      [13, 19],
      [21, 25],
    ]);
    expect(t.missing).toBe(3 + 1 + 7 + 5);
    expect(t.messages).toBe(3);
  });

  it('finds the deleted message of the captured TRANSACTIONS stream', () => {
    const t = new SequenceTracker();
    for (const m of capturedMessages('2.10.27', 'TRANSACTIONS')) t.accept(m.seq, m.ts);
    expect(t.gaps).toEqual([[2, 2]]);
    expect(t.missing).toBe(1);
    expect(t.messages).toBe(4);
    expect([t.firstSeq, t.lastSeq]).toEqual([1, 5]);
  });
});

describe('deletedRunBefore', () => {
  const deleted = new Set([3, 4, 5, 8, 10, 11]);

  it('returns the first sequence of the deleted run just before seq', () => {
    expect(deletedRunBefore(6, deleted)).toBe(3);
    expect(deletedRunBefore(9, deleted)).toBe(8);
    expect(deletedRunBefore(12, deleted)).toBe(10);
    expect(deletedRunBefore(5, deleted)).toBe(3);
  });

  it('returns null when seq - 1 was not deleted', () => {
    expect(deletedRunBefore(3, deleted)).toBeNull();
    expect(deletedRunBefore(7, deleted)).toBeNull();
    expect(deletedRunBefore(1, deleted)).toBeNull();
    expect(deletedRunBefore(100, new Set())).toBeNull();
  });

  it('follows a run down to sequence 1', () => {
    expect(deletedRunBefore(4, new Set([1, 2, 3]))).toBe(1);
  });
});
