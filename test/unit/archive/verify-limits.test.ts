import { describe, expect, it } from 'vitest';
import { byteBudget, formatBytes, readLimitOf, tooLargeProblem } from '../../../functions/archive/verify-limits.js';

describe('what verify holds', () => {
  it('caps the files it reads whole, and streams the rest', () => {
    expect(
      [
        'manifest.json',
        'manifest.json.sig',
        'report.json',
        'report.html',
        'report.pdf',
        'evidence-events.jsonl.gz',
      ].map(readLimitOf),
    ).toEqual([4 * 1024 ** 2, 64 * 1024, 256 * 1024 ** 2, 256 * 1024 ** 2, 1024 ** 3, null]);
    expect(readLimitOf('constructor')).toBeNull();
    expect(tooLargeProblem('report.pdf', 1024 ** 3 + 1, 1024 ** 3)).toBe(
      'report.pdf: 1,073,741,825 bytes, more than verify reads of it (1 GiB)',
    );
    expect([formatBytes(64 * 1024), formatBytes(1000)]).toEqual(['64 KiB', '1,000 bytes']);
  });

  it('runs jobs side by side only while their bytes fit the budget, first come first served', async () => {
    const within = byteBudget(100);
    let held = 0;
    let most = 0;
    const started: string[] = [];
    const releases = new Map<string, () => void>();
    const job = (name: string, bytes: number) =>
      within(bytes, async () => {
        started.push(name);
        held += Math.min(bytes, 100);
        most = Math.max(most, held);
        await new Promise<void>((resolve) => releases.set(name, resolve));
        held -= Math.min(bytes, 100);
      });
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    const all = [job('a', 60), job('b', 30), job('big', 500), job('c', 10)];
    await tick();
    // a and b fit; the big one waits for the whole budget, and c, small as it is, waits behind it.
    expect(started).toEqual(['a', 'b']);
    releases.get('a')!();
    releases.get('b')!();
    await tick();
    expect(started).toEqual(['a', 'b', 'big']);
    releases.get('big')!();
    await tick();
    expect(started).toEqual(['a', 'b', 'big', 'c']);
    releases.get('c')!();
    await Promise.all(all);
    expect(most).toBe(100);
  });
});
