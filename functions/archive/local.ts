import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import {
  chmod,
  link,
  lstat,
  mkdtemp,
  open,
  readdir,
  readlink,
  realpath,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import path from 'node:path';
import { BundleExistsError, errorMessage, NotRegularFileError, TooLargeError } from '../errors.js';
import { DEEPEST_WALKED, FOLDERS, MANIFEST } from './layout.js';
import { LocalStagedFile } from './local-staged.js';
import {
  describeEntry,
  type ArchiveEntry,
  type ArchivePort,
  type BundleFile,
  type Leftovers,
  type SpecialKind,
} from './port.js';
import { isStagingOf, judgeStaging, makeFolders, STAGING_PREFIX, stagingPrefixOf } from './staging.js';

/** Prefix of the hidden temporary entries a write makes before the real name appears; listed as `staging`. */
export { STAGING_PREFIX };

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
 * administrator; S3 Object Lock is the tamper-proof store. Reads open regular files only, never through a
 * symbolic link and never blocking on a FIFO or device, since whoever can write the folder decides what is in it.
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
  let realRoot: Promise<string> | undefined;
  const files: RegularFiles = {
    root: absoluteRoot,
    realRoot: () => (realRoot ??= realpath(absoluteRoot)),
    resolve: (where) => resolve(where, 'path'),
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

    async writeBundle(bundlePath, bundleFiles, options = {}) {
      const target = resolve(bundlePath, 'bundle path');
      const names = checkBundleFiles(bundleFiles);
      // Checked before anything is created so that a rerun changes nothing at all (not even a parent mtime).
      if (await pathExists(target))
        throw new BundleExistsError(`a bundle already exists at ${target}; it was left unchanged`);

      // A crash leaves a hidden staging folder, never a half bundle under the real name. A file staged while it
      // was produced is already in one: that folder becomes the bundle.
      const staged = bundleFiles.flatMap((file) => ('staged' in file ? [file.staged] : []));
      if (
        staged.some(
          (file) => !(file instanceof LocalStagedFile) || file.folder !== (staged[0] as LocalStagedFile).folder,
        )
      ) {
        throw new Error(`archive bundle ${bundlePath}: its staged files must be staged by this archive, in one folder`);
      }
      const stored = bundleFiles.find((file) => 'stored' in file);
      if (stored)
        throw new Error(
          `archive bundle ${bundlePath}: ${stored.name} cannot be kept from an earlier run: ` +
            'a local archive writes a bundle whole',
        );
      const failed = (what: string, err: unknown) =>
        new Error(`archive ${absoluteRoot}: ${what} (${errorMessage(err)}); nothing of this bundle was archived`, {
          cause: err,
        });
      let staging: string;
      if (staged.length > 0) staging = (staged[0] as LocalStagedFile).folder;
      else {
        try {
          await makeFolders(path.dirname(target));
          staging = await mkdtemp(path.join(path.dirname(target), stagingPrefixOf(path.basename(target))));
        } catch (err) {
          throw failed(`${bundlePath} could not be staged in ${path.dirname(target)}`, err);
        }
      }
      const folders = new Set<string>();
      try {
        for (const [i, file] of bundleFiles.entries()) {
          const segments = names[i]!.split('/');
          for (let depth = 1; depth < segments.length; depth++) folders.add(path.join(...segments.slice(0, depth)));
          if ('data' in file) {
            const where = path.join(staging, ...segments);
            try {
              await makeFolders(path.dirname(where));
              await writeFile(where, file.data, { flag: 'wx', mode: 0o444 });
              await chmod(where, 0o444); // the umask may have left it different
            } catch (err) {
              throw failed(`${bundlePath}/${names[i]} could not be written`, err);
            }
          }
          options.progress?.({ file: names[i]! });
        }
        try {
          await rename(staging, target);
        } catch (err) {
          // Another run renamed its bundle in between our check and our rename.
          if (isCode(err, 'EEXIST', 'ENOTEMPTY')) {
            throw new BundleExistsError(`a bundle already exists at ${target}; it was left unchanged`, { cause: err });
          }
          throw failed(`${bundlePath} could not be moved into place from ${staging}`, err);
        }
      } catch (err) {
        // What cannot be removed now, the next run of the period removes (clearLeftovers).
        await rm(staging, { recursive: true, force: true }).catch(() => undefined);
        throw err;
      }
      options.progress?.({ placed: bundlePath });
      // Read-only folders stop files being added to (or removed from) a finished bundle; done after the rename
      // because a failed write must still be able to remove its staging folder.
      try {
        for (const folder of folders) await chmod(path.join(target, folder), 0o555);
        await chmod(target, 0o555);
      } catch (err) {
        throw new Error(
          `archive ${absoluteRoot}: the bundle ${bundlePath} is archived, but its folder could not be made ` +
            `read-only (${errorMessage(err)}); the next run of this period makes it read-only`,
          { cause: err },
        );
      }
    },

    async stageFile(bundlePath, name) {
      const target = resolve(bundlePath, 'bundle path');
      const [checked] = checkBundleFiles([{ name, data: '' }]);
      if (checked!.includes('/'))
        throw new Error(
          `archive bundle ${bundlePath}: a staged file must be at the bundle's top level, not ${checked}`,
        );
      return LocalStagedFile.create(target, checked!, `archive ${absoluteRoot}: ${bundlePath}/${checked!}`);
    },

    resumable: false,

    async writeOnce(where, data) {
      const target = resolve(where, 'path');
      const bytes = toBytes(data);
      // A temporary file of an earlier write of this very file that a crash left (before or after its link).
      await clearStaleFiles(path.dirname(target), (name) => isStagingOf(name, path.basename(target)));
      // The usual rerun finds the file already there: answer without touching the folder at all.
      if (await sameAsExisting(files, where, bytes)) return;
      // Written under a temporary name and then hard-linked: link() never replaces, and the real name only
      // ever holds complete bytes, so a crash cannot leave a truncated key file that would fail every rerun.
      const temporary = path.join(
        path.dirname(target),
        `${stagingPrefixOf(path.basename(target))}${randomBytes(6).toString('hex')}`,
      );
      try {
        await makeFolders(path.dirname(target));
        await writeFile(temporary, bytes, { flag: 'wx', mode: 0o444 });
        await chmod(temporary, 0o444);
        await link(temporary, target);
      } catch (err) {
        // Another writer linked the same name between our check and our link.
        if (!isCode(err, 'EEXIST') || !(await sameAsExisting(files, where, bytes)))
          throw new Error(`archive ${absoluteRoot}: ${where} could not be written (${errorMessage(err)})`, {
            cause: err,
          });
      } finally {
        await unlink(temporary).catch(() => undefined);
      }
    },

    async read(where, options = {}) {
      const opened = await openRegularFile(files, where);
      if (opened === null) return null;
      try {
        if (options.maxBytes !== undefined && opened.size > options.maxBytes) {
          throw new TooLargeError(
            `${opened.target}: ${opened.size} bytes, more than the ${options.maxBytes} this read may hold`,
          );
        }
        return await readWhole(opened.handle, opened.size, opened.target);
      } finally {
        await opened.handle.close();
      }
    },

    readStream: (where) => streamRegularFile(files, where),

    // One walk for both: list is the regular files of entries.
    list: async (prefix) => (await entries(prefix)).filter((entry) => entry.kind === 'file').map((entry) => entry.path),

    entries,

    async clearLeftovers(bundlePath) {
      const target = resolve(bundlePath, 'bundle path');
      const done: Leftovers = { removed: [], fixed: [], kept: [] };
      const base = path.basename(target);
      await clearStaleFiles(path.dirname(target), (name) => isStagingOf(name, base), done);
      // Receipts are written with writeOnce: a crash after the link leaves its temporary file beside it, and the
      // delivery that reads the receipt never writes it again.
      await clearStaleFiles(resolve(`${FOLDERS.receipts}/${bundlePath}`, 'path'), () => true, done);
      await fixSealedModes(target, done);
      return done;
    },

    async modeOf(where) {
      const stats = await lstatOrNull(resolve(where, 'path', true));
      return stats === null ? null : stats.mode & 0o777;
    },
  };

  async function entries(prefix: string): Promise<ArchiveEntry[]> {
    const checked = checkArchivePath(prefix, 'prefix', { allowRoot: true });
    const start = await prefixFolder(absoluteRoot, checked);
    if (start === null) return [];
    if ('kind' in start) return [start];
    const found: ArchiveEntry[] = [];
    await collectEntries(start.folder, checked, found);
    return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}

/**
 * The folder a prefix names, walked one segment at a time without following links: null when there is none (or
 * it is a file: a prefix names a folder), the entry itself when a segment is a link, a device or a staging leftover.
 */
async function prefixFolder(root: string, prefix: string): Promise<ArchiveEntry | null | { folder: string }> {
  let current = root;
  const segments = prefix === '' ? [] : prefix.split('/');
  for (const [i, segment] of segments.entries()) {
    current = path.join(current, segment);
    const relative = segments.slice(0, i + 1).join('/');
    const stats = await lstatOrNull(current);
    if (stats === null) return null;
    const entry = entryOf(relative, segment, stats);
    if (entry.kind === 'file') return null;
    if (entry.kind !== 'folder') return entry;
  }
  return { folder: current };
}

/**
 * Every entry under `dir`, folders walked into down to DEEPEST_WALKED segments. What cannot be looked at (lstat
 * fails: a path longer than the system allows) or into (readdir fails: a folder it may not list), and a folder
 * deeper than the layout goes, is an `unwalked` entry naming why: a finding of the walk, never an end to it. Only
 * the archive's own folder that cannot be listed stops it.
 */
async function collectEntries(dir: string, relative: string, into: ArchiveEntry[]): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (isCode(err, 'ENOENT', 'ENOTDIR')) return; // removed while we listed
    if (relative === '') throw err;
    into.push({ path: relative, kind: 'unwalked', unwalked: `cannot be listed (${shortError(err)})` });
    return;
  }
  const depth = relative === '' ? 1 : relative.split('/').length + 1;
  for (const name of names) {
    const child = relative === '' ? name : `${relative}/${name}`;
    let stats: Stats | null;
    try {
      stats = await lstatOrNull(path.join(dir, name));
    } catch (err) {
      into.push({ path: child, kind: 'unwalked', unwalked: `cannot be examined (${shortError(err)})` });
      continue;
    }
    if (stats === null) continue; // removed while we listed
    const entry = entryOf(child, name, stats);
    if (entry.kind !== 'folder') into.push(entry);
    else if (depth < DEEPEST_WALKED) await collectEntries(path.join(dir, name), child, into);
    else {
      into.push({
        path: child,
        kind: 'unwalked',
        unwalked: `a folder ${depth} levels deep, deeper than the archive's layout goes: what it holds was not listed`,
      });
    }
  }
}

/** `ENAMETOOLONG: name too long` of a system error, without the path it repeats (the entry is named already). */
function shortError(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const message = errorMessage(err);
  if (typeof code !== 'string') return message;
  if (!message.startsWith(`${code}: `)) return code;
  const comma = message.indexOf(', ');
  return comma === -1 ? message : message.slice(0, comma);
}

/** What lstat says an entry is; a staging leftover is one entry, whatever it holds. */
function entryOf(relative: string, name: string, stats: Stats): ArchiveEntry | { kind: 'folder' } {
  if (name.startsWith(STAGING_PREFIX)) return { path: relative, kind: 'staging' };
  if (stats.isDirectory()) return { kind: 'folder' };
  if (stats.isFile()) return { path: relative, kind: 'file', bytes: stats.size };
  if (stats.isSymbolicLink()) return { path: relative, kind: 'symlink' };
  return { path: relative, kind: 'special', special: specialKindOf(stats) };
}

function specialKindOf(stats: Stats): SpecialKind {
  if (stats.isFIFO()) return 'fifo';
  if (stats.isSocket()) return 'socket';
  if (stats.isCharacterDevice()) return 'character device';
  if (stats.isBlockDevice()) return 'block device';
  return 'unknown';
}

interface RegularFiles {
  root: string;
  /** The root with every link resolved, to compare what was opened with. */
  realRoot(): Promise<string>;
  resolve(where: string): string;
}

interface OpenedFile {
  target: string;
  handle: FileHandle;
  size: number;
}

// O_NONBLOCK: opening a FIFO for reading returns at once instead of waiting for a writer (and a device is never
// opened at all: lstat refuses it first). Both are 0 where the platform has no such flag.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/**
 * Opens a regular file of the archive, or answers null when nothing is there. Every folder on the way is
 * checked not to be a link (O_NOFOLLOW covers only the last segment), the file is checked before it is opened
 * (opening a device can have effects of its own) and again through the open handle, so what is read is what
 * was checked even if the entry was swapped in between.
 */
async function openRegularFile(files: RegularFiles, where: string): Promise<OpenedFile | null> {
  const target = files.resolve(where);
  const segments = path.relative(files.root, target).split(path.sep);
  for (let depth = 1; depth < segments.length; depth++) {
    const folder = segments.slice(0, depth).join('/');
    const stats = await lstatOrNull(path.join(files.root, ...segments.slice(0, depth)));
    if (stats === null || !stats.isDirectory()) {
      if (stats?.isSymbolicLink())
        throw new NotRegularFileError(
          `${target}: the folder ${folder} is a symbolic link; nothing is read through one`,
        );
      return null;
    }
  }
  const before = await lstatOrNull(target);
  if (before === null) return null;
  const found = entryOf(where, path.basename(target), before);
  if (found.kind !== 'file') {
    throw new NotRegularFileError(
      `${target}: ${found.kind === 'folder' ? 'is a folder, not a regular file' : describeEntry(found)}`,
    );
  }
  let handle: FileHandle;
  try {
    handle = await open(target, OPEN_FLAGS);
  } catch (err) {
    if (isCode(err, 'ENOENT', 'ENOTDIR')) return null;
    if (isCode(err, 'ELOOP'))
      throw new NotRegularFileError(`${target}: is a symbolic link, not a regular file`, { cause: err });
    throw err;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.ino !== before.ino || stats.dev !== before.dev) {
      throw new NotRegularFileError(`${target}: was replaced while it was opened; it is read only as a regular file`);
    }
    await confirmOpenedPath(files, handle, segments);
    return { target, handle, size: stats.size };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/**
 * Where the kernel says the handle is (Linux /proc): a folder swapped for a link between the checks and the open
 * shows up here. Skipped where /proc is not there.
 */
async function confirmOpenedPath(files: RegularFiles, handle: FileHandle, segments: string[]): Promise<void> {
  let actual: string;
  try {
    actual = await readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    return;
  }
  const expected = path.join(await files.realRoot(), ...segments);
  if (actual !== expected) {
    throw new NotRegularFileError(
      `${path.join(files.root, ...segments)}: is reached through a symbolic link (it opens ${actual}); ` +
        'nothing is read through one',
    );
  }
}

/** Exactly `size` bytes (what fstat said): a file that grows or shrinks while it is read is an error, not a guess. */
async function readWhole(handle: FileHandle, size: number, target: string): Promise<Uint8Array> {
  const buffer = Buffer.alloc(size);
  let filled = 0;
  while (filled < size) {
    const { bytesRead } = await handle.read(buffer, filled, size - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  const { bytesRead: beyond } = await handle.read(Buffer.alloc(1), 0, 1, size);
  if (filled !== size || beyond !== 0)
    throw new Error(`${target}: changed size while it was read (${size} bytes when opened)`);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, size);
}

const STREAM_CHUNK_BYTES = 1 << 20;

async function* streamRegularFile(files: RegularFiles, where: string): AsyncGenerator<Uint8Array> {
  const opened = await openRegularFile(files, where);
  if (opened === null) throw new Error(`${files.resolve(where)}: does not exist`);
  try {
    for (;;) {
      const buffer = Buffer.allocUnsafe(STREAM_CHUNK_BYTES);
      const { bytesRead } = await opened.handle.read(buffer, 0, STREAM_CHUNK_BYTES, null);
      if (bytesRead === 0) return;
      yield new Uint8Array(buffer.buffer, buffer.byteOffset, bytesRead);
    }
  } finally {
    await opened.handle.close();
  }
}

/**
 * Removes the staging entries of `dir` that `matches` picks and that no live run is writing, and says in `done`
 * what it removed or kept. A folder that is not there holds none.
 */
async function clearStaleFiles(
  dir: string,
  matches: (name: string) => boolean,
  done: Leftovers = { removed: [], fixed: [], kept: [] },
): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (!isCode(err, 'ENOENT', 'ENOTDIR')) done.kept.push(`${dir}: not searched for leftovers (${errorMessage(err)})`);
    return;
  }
  for (const name of names.filter((n) => n.startsWith(STAGING_PREFIX) && matches(n)).sort()) {
    const where = path.join(dir, name);
    try {
      const stats = await lstat(where);
      const held = stats.isDirectory() ? await folderSummary(where, stats.mtimeMs) : null;
      const verdict = judgeStaging(name, held?.modifiedMs ?? stats.mtimeMs, Date.now());
      if (!verdict.stale) {
        done.kept.push(`${where}: left as it is: ${verdict.why}`);
        continue;
      }
      await removeLeftover(where, stats);
      done.removed.push(`${where}${held ? ` (holding ${held.names || 'nothing'})` : ''}: ${verdict.why}`);
    } catch (err) {
      if (!isCode(err, 'ENOENT')) done.kept.push(`${where}: could not be removed (${errorMessage(err)})`);
    }
  }
}

/** What a staging folder holds, for the log, and when anything in it last changed (a live run's evidence grows). */
async function folderSummary(folder: string, folderMtimeMs: number): Promise<{ names: string; modifiedMs: number }> {
  const names = (await readdir(folder)).sort();
  let modifiedMs = folderMtimeMs;
  for (const name of names) {
    const stats = await lstatOrNull(path.join(folder, name));
    if (stats) modifiedMs = Math.max(modifiedMs, stats.mtimeMs);
  }
  const shown = names.length > 8 ? [...names.slice(0, 8), `${names.length - 8} more`] : names;
  return { names: shown.join(', '), modifiedMs };
}

async function removeLeftover(where: string, stats: Stats): Promise<void> {
  if (!stats.isDirectory()) return unlink(where);
  // A user other than root cannot empty a folder it may not write: give it back first (staging folders are 0700).
  await chmod(where, 0o700).catch(() => undefined);
  await rm(where, { recursive: true });
}

/**
 * A sealed bundle (a folder holding a regular manifest.json) whose folders are not 0555 or files not 0444: a run
 * that died between its rename and its chmod left the folder as mkdtemp made it, 0700, which nobody else can read.
 * Links, special files and staging entries in it are left alone: verify names them.
 */
async function fixSealedModes(target: string, done: Leftovers): Promise<void> {
  const folder = await lstatOrNull(target).catch(() => null);
  const manifest = folder?.isDirectory() ? await lstatOrNull(path.join(target, MANIFEST)).catch(() => null) : null;
  if (!manifest?.isFile()) return;
  const setMode = async (where: string, now: number, wanted: number) => {
    if ((now & 0o777) === wanted) return;
    const change = `mode ${octal(now)}, the archive makes it ${octal(wanted)}`;
    try {
      await chmod(where, wanted);
      done.fixed.push(`${where}: ${change}: set`);
    } catch (err) {
      done.kept.push(`${where}: ${change}: could not be set (${errorMessage(err)})`);
    }
  };
  // No deeper than verify walks: what lies below is named by verify, and a run has no business there.
  const walk = async (dir: string, stats: Stats, depth: number) => {
    // The folder first: a user other than root could not list one left without read permission.
    await setMode(dir, stats.mode, 0o555);
    if (depth >= DEEPEST_WALKED) return;
    for (const name of (await readdir(dir).catch(() => [])).sort()) {
      if (name.startsWith(STAGING_PREFIX)) continue;
      const child = path.join(dir, name);
      const childStats = await lstatOrNull(child).catch(() => null);
      if (childStats?.isDirectory()) await walk(child, childStats, depth + 1);
      else if (childStats?.isFile()) await setMode(child, childStats.mode, 0o444);
    }
  };
  await walk(target, folder!, 0);
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

async function lstatOrNull(target: string): Promise<Stats | null> {
  try {
    return await lstat(target);
  } catch (err) {
    if (isCode(err, 'ENOENT', 'ENOTDIR')) return null;
    throw err;
  }
}

/**
 * False when nothing is at `where`; true when identical bytes are; throws, naming it, when different ones are (or
 * when something other than a regular file is there: a link or a FIFO is never taken for the file).
 */
async function sameAsExisting(files: RegularFiles, where: string, bytes: Uint8Array): Promise<boolean> {
  const opened = await openRegularFile(files, where);
  if (opened === null) return false;
  let existing: Uint8Array;
  try {
    // More than we would write cannot be the same bytes: no need to hold it.
    if (opened.size !== bytes.length) existing = new Uint8Array();
    else existing = await readWhole(opened.handle, opened.size, opened.target);
  } finally {
    await opened.handle.close();
  }
  if (opened.size !== bytes.length || !sameBytes(existing, bytes)) {
    throw new Error(`${opened.target} already exists with different content; it was left unchanged`);
  }
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
