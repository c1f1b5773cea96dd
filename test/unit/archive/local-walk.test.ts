import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEEPEST_WALKED } from '../../../functions/archive/layout.js';
import { localArchive } from '../../../functions/archive/local.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'archive-walk-'));
});

afterEach(() => {
  // rm(1), not fs.rm: these trees hold paths longer than the system takes in one call.
  execFileSync('rm', ['-rf', dir]);
});

/** Runs a shell script in `cwd`: relative paths reach where an absolute one would be too long. */
function sh(cwd: string, script: string): void {
  execFileSync('bash', ['-c', script], { cwd });
}

describe('localArchive.entries on a tree nobody should have made', () => {
  it('names the folder at the depth it stops, and lists everything else, under 1,500 nested folders', async () => {
    const root = path.join(dir, 'archive');
    mkdirSync(path.join(root, 'rollup', 'x'), { recursive: true });
    writeFileSync(path.join(root, 'rollup', 'x', 'report.json'), '{}');
    // 1,500 folders in three steps of 500 (2,500 characters each), and a file at the bottom.
    sh(
      path.join(root, 'rollup'),
      'p=$(printf "aaaa/%.0s" $(seq 500)); for i in 1 2 3; do mkdir -p "$p" && cd "$p" || exit 1; done; : > deepest',
    );
    const deepest = ['rollup', ...Array.from({ length: DEEPEST_WALKED - 1 }, () => 'aaaa')].join('/');
    expect(await localArchive(root).entries('rollup')).toEqual([
      {
        path: deepest,
        kind: 'unwalked',
        unwalked:
          `a folder ${DEEPEST_WALKED} levels deep, deeper than the archive's layout goes: ` +
          'what it holds was not listed',
      },
      { path: 'rollup/x/report.json', kind: 'file', bytes: 2 },
    ]);
  });

  it('names an entry whose path is too long to examine, and goes on with the others', async () => {
    // An archive whose own path is long (3,850 to 4,050 characters): a name of 250 in it is past PATH_MAX (4,096).
    let root = dir;
    while (root.length < 3_850) root = path.join(root, 'r'.repeat(200));
    mkdirSync(path.join(root, 'rollup', 'x'), { recursive: true });
    writeFileSync(path.join(root, 'rollup', 'x', 'ok.json'), '{}');
    const long = 'z'.repeat(250);
    sh(path.join(root, 'rollup', 'x'), `: > ${long} && mkdir ${long.replace(/z$/, 'y')}`);
    const entries = await localArchive(root).entries('rollup');
    expect(entries).toEqual([
      { path: 'rollup/x/ok.json', kind: 'file', bytes: 2 },
      {
        path: `rollup/x/${long.replace(/z$/, 'y')}`,
        kind: 'unwalked',
        unwalked: 'cannot be examined (ENAMETOOLONG: name too long)',
      },
      { path: `rollup/x/${long}`, kind: 'unwalked', unwalked: 'cannot be examined (ENAMETOOLONG: name too long)' },
    ]);
    // list() is the regular files it could examine.
    expect(await localArchive(root).list('rollup')).toEqual(['rollup/x/ok.json']);
  });

  it('lists a name with a line break like any other', async () => {
    const root = path.join(dir, 'archive');
    mkdirSync(path.join(root, 'daily', '2026', '12', '03'), { recursive: true });
    writeFileSync(path.join(root, 'daily', '2026', '12', '03', 'spoof\n2026-12-03  OK'), '');
    expect(await localArchive(root).entries('daily')).toEqual([
      { path: 'daily/2026/12/03/spoof\n2026-12-03  OK', kind: 'file', bytes: 0 },
    ]);
  });
});
