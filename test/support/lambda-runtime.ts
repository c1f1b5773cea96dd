/**
 * A stand-in for what the Lambda Node.js runtime puts beside a function: the AWS SDK for JavaScript v3 (every
 * `@aws-sdk/*` package, with what they depend on), and nothing else. A bundle that forgot to include anything
 * of its own (pdfkit, fonts, templates, zod, nats) fails to load or to run above such a folder.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readdir, stat, symlink } from 'node:fs/promises';
import path from 'node:path';

interface LockEntry {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  link?: boolean;
}

type LockPackages = Record<string, LockEntry>;

/** Packages the runtime provides: all of the SDK, plus (for the harness) aws-sdk-client-mock. */
export const RUNTIME_ROOTS = (name: string) => name.startsWith('@aws-sdk/') || name === 'aws-sdk-client-mock';

/**
 * Names of the top-level packages of `repo/node_modules` that the roots need, the roots included: the
 * closure of their dependencies as package-lock.json resolves them (nested copies come with their parent).
 */
export function runtimePackageNames(repo: string, isRoot: (name: string) => boolean = RUNTIME_ROOTS): string[] {
  const lock = JSON.parse(readFileSync(path.join(repo, 'package-lock.json'), 'utf8')) as { packages: LockPackages };
  const packages = lock.packages;
  const topLevel = (key: string) =>
    key.startsWith('node_modules/') && !key.slice('node_modules/'.length).includes('/node_modules/');
  const nameOf = (key: string) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);

  const seen = new Set<string>();
  const pending = Object.keys(packages).filter((key) => topLevel(key) && isRoot(nameOf(key)));
  while (pending.length > 0) {
    const key = pending.pop()!;
    if (seen.has(key)) continue;
    seen.add(key);
    const entry = packages[key]!;
    const wanted = { ...entry.peerDependencies, ...entry.optionalDependencies, ...entry.dependencies };
    for (const dependency of Object.keys(wanted)) {
      const resolved = resolveInLock(packages, key, dependency);
      // Optional and peer dependencies that are not installed are not needed to load the package.
      if (resolved) pending.push(resolved);
    }
  }
  return [...seen].filter(topLevel).map(nameOf).sort();
}

/** Node's lookup, on the lock's paths: `<key>/node_modules/<name>`, then each enclosing node_modules up to the top. */
function resolveInLock(packages: LockPackages, from: string, name: string): string | null {
  let base = from;
  for (;;) {
    const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (base === '') return null;
    const at = base.lastIndexOf('/node_modules/');
    base = at === -1 ? '' : base.slice(0, at);
  }
}

/**
 * Links each package into `nodeModules` (its real path stays in the repository, so its own dependencies resolve there).
 */
export async function linkPackages(repo: string, nodeModules: string, names: string[]): Promise<void> {
  for (const name of names) {
    const link = path.join(nodeModules, name);
    await mkdir(path.dirname(link), { recursive: true });
    await symlink(path.join(repo, 'node_modules', name), link, 'dir');
  }
}

/** Bytes of every file under a folder (symbolic links not followed). */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await folderBytes(full);
    else if (entry.isFile()) total += (await stat(full)).size;
  }
  return total;
}
