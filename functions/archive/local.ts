import { randomUUID } from 'node:crypto';
import { chmod, link, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BundleExistsError, type ArchivePort, type BundleFile } from './port.js';

/** Prefix of the hidden temporary entries a write makes before the real name appears; never listed. */
export const STAGING_PREFIX = '.partial-';

/**
 * Checks a path given to an archive (relative, `/`-separated, no `.`/`..` segments, no empty segments) and
 * returns it without a trailing `/`. Both adapters use it, so a path that works on one works on the other and
 * nothing can reach outside the archive root. `''` (the root itself) only where `allowRoot` says so.
 */
export function checkArchivePath(value: string, what: string, { allowRoot = false } = {}): string {
  const fail = (why: string) => new Error(`archive ${what} ${JSON.stringify(value)}: ${why}`);
  if (value.includes('\0')) throw fail('contains a NUL character');
  if (value.includes('\\')) throw fail('use / to separate folders, not \\');
  if (value.startsWith('/') || /^[A-Za-z]:/.test(value)) throw fail('must be relative to the archive root');
  const trimmed = value.endsWith('/') ? value.slice(0, -1) : value;
  if (trimmed === '') {
    if (allowRoot) return '';
    throw fail('is empty');
  }
  for (const segment of trimmed.split('/')) {
    if (segment === '..' || segment === '.') throw fail(`"${segment}" segments are not allowed`);
    if (segment === '') throw fail('has an empty segment (//)');
  }
  return trimmed;
}

/** Rejects bad or repeated file names before anything is written, so a bundle never fails half-way for them. */
export function checkBundleFiles(files: BundleFile[]): string[] {
  const seen = new Set<string>();
  return files.map((file) => {
    const name = checkArchivePath(file.name, 'file name');
    if (seen.has(name)) throw new Error(`archive bundle: the file name ${JSON.stringify(name)} appears twice`);
    seen.add(name);
    return name;
  });
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/**
 * A local directory archive: bundles appear by rename of a staging folder, files are 0444 and folders 0555,
 * nothing is overwritten. There are no locks here (no `lockState`): read-only modes stop mistakes, not an
 * administrator; S3 Object Lock is the tamper-proof store.
 */
export function localArchive(root: string): ArchivePort {
  const absoluteRoot = path.resolve(root);
  const resolve = (value: string, what: string, allowRoot = false) => {
    const checked = checkArchivePath(value, what, { allowRoot });
    const resolved = path.resolve(absoluteRoot, ...checked.split('/'));
    // checkArchivePath already forbids `..`; this guards against anything it might have missed.
    const relative = path.relative(absoluteRoot, resolved);
    if (relative.startsWith('..') || path.isAbsolute(relative)) {
      throw new Error(`archive ${what} ${JSON.stringify(value)}: escapes the archive root`);
    }
    return resolved;
  };

  return {
    locate: (where) => resolve(where, 'path', true),

    async exists(bundlePath) {
      const target = resolve(bundlePath, 'bundle path');
      try {
        return (await stat(target)).isDirectory();
      } catch (err) {
        if (isCode(err, 'ENOENT', 'ENOTDIR')) return false;
        throw err;
      }
    },

    async writeBundle(bundlePath, files) {
      const target = resolve(bundlePath, 'bundle path');
      const names = checkBundleFiles(files);
      // Checked before anything is created so that a rerun changes nothing at all (not even a parent mtime).
      if (await pathExists(target)) throw new BundleExistsError(`a bundle already exists at ${target}; it was left unchanged`);

      await mkdir(path.dirname(target), { recursive: true });
      // A crash leaves a hidden staging folder, never a half bundle under the real name.
      const staging = await mkdtemp(path.join(path.dirname(target), `${STAGING_PREFIX}${path.basename(target)}-`));
      const folders = new Set<string>();
      try {
        for (const [i, file] of files.entries()) {
          const segments = names[i]!.split('/');
          const where = path.join(staging, ...segments);
          for (let depth = 1; depth < segments.length; depth++) folders.add(path.join(...segments.slice(0, depth)));
          await mkdir(path.dirname(where), { recursive: true });
          await writeFile(where, file.data, { flag: 'wx', mode: 0o444 });
          await chmod(where, 0o444); // the umask may have left it different
        }
        try {
          await rename(staging, target);
        } catch (err) {
          // Another run renamed its bundle in between our check and our rename.
          if (isCode(err, 'EEXIST', 'ENOTEMPTY')) {
            throw new BundleExistsError(`a bundle already exists at ${target}; it was left unchanged`, { cause: err });
          }
          throw err;
        }
      } catch (err) {
        await rm(staging, { recursive: true, force: true });
        throw err;
      }
      // Read-only folders stop files being added to (or removed from) a finished bundle; done after the rename
      // because a failed write must still be able to remove its staging folder.
      for (const folder of folders) await chmod(path.join(target, folder), 0o555);
      await chmod(target, 0o555);
    },

    async writeOnce(where, data) {
      const target = resolve(where, 'path');
      const bytes = toBytes(data);
      // The usual rerun finds the file already there: answer without touching the folder at all.
      if (await sameAsExisting(target, bytes)) return;
      await mkdir(path.dirname(target), { recursive: true });
      // Written under a temporary name and then hard-linked: link() never replaces, and the real name only
      // ever holds complete bytes, so a crash cannot leave a truncated key file that would fail every rerun.
      const temporary = path.join(path.dirname(target), `${STAGING_PREFIX}${path.basename(target)}-${randomUUID()}`);
      try {
        await writeFile(temporary, bytes, { flag: 'wx', mode: 0o444 });
        await chmod(temporary, 0o444);
        await link(temporary, target);
      } catch (err) {
        // Another writer linked the same name between our check and our link.
        if (!isCode(err, 'EEXIST') || !(await sameAsExisting(target, bytes))) throw err;
      } finally {
        await unlink(temporary).catch(() => undefined);
      }
    },

    async read(where) {
      const target = resolve(where, 'path');
      try {
        const bytes = await readFile(target);
        return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      } catch (err) {
        if (isCode(err, 'ENOENT', 'ENOTDIR')) return null;
        throw err;
      }
    },

    async list(prefix) {
      const checked = checkArchivePath(prefix, 'prefix', { allowRoot: true });
      const found: string[] = [];
      await collectFiles(resolve(checked, 'prefix', true), checked, found);
      return found.sort();
    },
  };
}

async function collectFiles(dir: string, relative: string, into: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isCode(err, 'ENOENT', 'ENOTDIR')) return;
    throw err;
  }
  for (const entry of entries) {
    if (entry.name.startsWith(STAGING_PREFIX)) continue;
    const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) await collectFiles(path.join(dir, entry.name), child, into);
    else if (entry.isFile()) into.push(child);
  }
}

/** False when nothing is at `target`; true when identical bytes are; throws, naming it, when different ones are. */
async function sameAsExisting(target: string, bytes: Uint8Array): Promise<boolean> {
  let existing: Buffer;
  try {
    existing = await readFile(target);
  } catch (err) {
    if (isCode(err, 'ENOENT')) return false;
    throw err;
  }
  if (!sameBytes(existing, bytes)) throw new Error(`${target} already exists with different content; it was left unchanged`);
  return true;
}

async function pathExists(target: string): Promise<boolean> {
  try {
    await stat(target);
    return true;
  } catch (err) {
    if (isCode(err, 'ENOENT')) return false;
    throw err;
  }
}

export function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? new TextEncoder().encode(data) : data;
}

function isCode(err: unknown, ...codes: string[]): boolean {
  return typeof err === 'object' && err !== null && codes.includes((err as { code?: unknown }).code as string);
}
