import { describe, expect, it } from 'vitest';
import type { VerifyEntry, VerifyReport } from '../../../functions/archive/verify.js';
import { boundedReport, formatVerifyReport, SHOWN_LIMITS } from '../../../functions/cli/verify.js';

function entry(bundle: string, kind: VerifyEntry['kind'], problems: string[] = []): VerifyEntry {
  const date = kind === 'daily' ? bundle.slice('daily/'.length).replaceAll('/', '-') : null;
  const ok = problems.length === 0;
  return { bundle, date, kind, status: ok ? 'ok' : 'fail', ok, problems, notes: [] };
}

function report(entries: VerifyEntry[], problems: string[] = [], notes: string[] = []): VerifyReport {
  const failed = entries.filter((e) => !e.ok).length;
  return {
    ok: failed === 0 && problems.length === 0,
    archive: '/archive',
    entries,
    summary: {
      bundles: entries.length,
      daysVerified: 0,
      adhocVerified: 0,
      rollupVerified: 0,
      failed,
      missing: 0,
      firstDay: null,
      lastDay: null,
      text: `${entries.length} bundles, ${failed} failed`,
    },
    problems,
    notes,
  };
}

const limits = { problems: 3, strayEntries: 2, characters: 40 };

describe('formatVerifyReport', () => {
  it('prints one line per line it means: every value from the archive is escaped on its line', () => {
    const text = formatVerifyReport(
      report(
        [
          entry('daily/2026/12/03', 'daily', [
            'spoof\n2026-12-03  OK\n1 bundles, 0 failed: not listed in the manifest',
          ]),
          { ...entry('daily/2026/12/zz\n2026-12-04  OK', 'unexpected', ['x\u202Ey: not inside a daily bundle']) },
        ],
        ['keys/a\rb: is a FIFO (named pipe), not a regular file'],
        ['the series runs from\n2026-12-01'],
      ),
    );
    expect(text.split('\n')).toEqual([
      '2026-12-03  FAIL  spoof\\n2026-12-03  OK\\n1 bundles, 0 failed: not listed in the manifest',
      'daily/2026/12/zz\\n2026-12-04  OK  FAIL  x\\u202Ey: not inside a daily bundle',
      'FAIL  keys/a\\rb: is a FIFO (named pipe), not a regular file',
      '2 bundles, 2 failed',
      'note: the series runs from\\n2026-12-01',
      '',
    ]);
  });

  it('hides the credentials of a server URL a message quotes', () => {
    const text = formatVerifyReport(report([entry('daily/2026/12/03', 'daily', ['nats://u:secret@host:4222'])]));
    expect(text).toContain('nats://***@host:4222');
    expect(text).not.toContain('secret');
  });

  it('names the first problems of an entry and of the archive, and counts the rest', () => {
    const many = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}: extra`);
    const text = formatVerifyReport(
      report([entry('rollup/2026-12-01_2026-12-04', 'rollup', many('s', 1_203))], many('keys/k', 5)),
      limits,
    );
    expect(text.split('\n')).toEqual([
      'rollup/2026-12-01_2026-12-04  FAIL  s0: extra; s1: extra; s2: extra; … and 1,200 more',
      'FAIL  keys/k0: extra',
      'FAIL  keys/k1: extra',
      'FAIL  keys/k2: extra',
      'FAIL  … and 2 more problems of the archive',
      '1 bundles, 1 failed',
      '',
    ]);
  });

  it('names the first stray entries and counts the rest, and never leaves out a day or a bundle of the layout', () => {
    const entries = [
      entry('daily/2026/12/01', 'daily'),
      entry('adhoc/20261126T050000Z_20261127T050000Z', 'adhoc'),
      ...Array.from({ length: 4 }, (_, i) => entry(`rollup/f${i}`, 'rollup', ['the bundle folder is a regular file'])),
      entry('rollup/2026-12-01_2026-12-04', 'rollup'),
      entry('daily/2026/12', 'unexpected', ['stray.json: not inside a daily bundle folder']),
      entry('daily/2026/12/02', 'daily'),
    ];
    const text = formatVerifyReport(report(entries), limits);
    expect(text.split('\n')).toEqual([
      '2026-12-01  OK',
      'adhoc/20261126T050000Z_20261127T050000Z  OK',
      'rollup/f0  FAIL  the bundle folder is a regular file',
      'rollup/f1  FAIL  the bundle folder is a regular file',
      'rollup/2026-12-01_2026-12-04  OK',
      '2026-12-02  OK',
      '… and 3 more entries under daily/, adhoc/ or rollup/ where the layout has no bundle, each failing ' +
        '(the summary counts them)',
      '9 bundles, 5 failed',
      '',
    ]);
    const bounded = boundedReport(report(entries), limits);
    expect(bounded.ok).toBe(false);
    expect(bounded.moreEntries).toBe(3);
    expect(bounded.summary.failed).toBe(5);
    expect(bounded.entries.map((e) => e.bundle)).toEqual([
      'daily/2026/12/01',
      'adhoc/20261126T050000Z_20261127T050000Z',
      'rollup/f0',
      'rollup/f1',
      'rollup/2026-12-01_2026-12-04',
      'daily/2026/12/02',
    ]);
  });

  it('cuts a value longer than any path, saying by how much', () => {
    const bundle = `daily/2026/12/02\n${'x'.repeat(100)}`; // 117 characters
    const text = formatVerifyReport(report([entry('daily/2026/12/03', 'daily', [`manifest.json: ${bundle}`])]), limits);
    // 40 characters of the 132 of the problem: `manifest.json: daily/2026/12/02\nxxxxxxxx`.
    expect(text.split('\n')[0]).toBe(
      `2026-12-03  FAIL  manifest.json: daily/2026/12/02\\n${'x'.repeat(8)}… (92 more characters)`,
    );
  });

  it('leaves a result within its bounds as it is, in JSON too', () => {
    const whole = report([entry('daily/2026/12/03', 'daily', ['a', 'b'])], ['c']);
    expect(boundedReport(whole)).toEqual(whole);
    expect(SHOWN_LIMITS.characters).toBeGreaterThanOrEqual(4096);
  });
});
