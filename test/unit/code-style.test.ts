import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FOLDERS = ['functions', 'test', 'bench', 'cdk'];
const MAX_LINE = 120;

/** The .ts files of those folders git knows of: tracked, or new and not ignored (deleted ones are skipped). */
function sourceFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', ...FOLDERS], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return [...new Set(listed.split('\n'))]
    .filter((file) => file.endsWith('.ts') && existsSync(path.join(ROOT, file)))
    .sort();
}

describe('code style', () => {
  // Biome formats to 120 columns but leaves a line it cannot break (a long string, comment or regex) as it is; this
  // holds every line to it. Characters are counted as code points, so `…` or `Дмитрий` count one each.
  it(`keeps every line of functions/, test/, bench/ and cdk/ within ${MAX_LINE} characters`, () => {
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(100);
    const tooLong = files.flatMap((file) =>
      readFileSync(path.join(ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => {
          const length = [...line].length;
          return length > MAX_LINE ? [`${file}:${i + 1}: ${length} characters`] : [];
        }),
    );
    expect(tooLong).toEqual([]);
  });
});
