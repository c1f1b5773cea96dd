/**
 * Checks of the local paths a run depends on, made before anything connects to NATS or replays a stream: an
 * archive that is a file, a signing key that would end up inside the archive, a key or certificate that is not
 * there. Found afterwards, each cost a whole replay and surfaced as a raw ENOTDIR, or archived a private key.
 * Every message names the configuration key or option to fix (InputError: exit 2).
 */
import { realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import type { Config } from './schema.js';

/** An S3 location; anything else the archive treats as a local directory. */
export function isS3Location(location: string): boolean {
  return /^s3:/i.test(location);
}

/**
 * The checks of a run that writes its bundles to `archive` (named `archiveKey` to the user: `archive` from the
 * configuration, `--archive` from the command line) and signs as the configuration's `signing` says.
 */
export async function preflightRun(config: Config, where: { archive: string; archiveKey: string }): Promise<void> {
  const archive = isS3Location(where.archive) ? null : where.archive;
  if (archive !== null) await checkArchiveFolder(archive, where.archiveKey, { mustExist: false });
  await checkSigning(config.signing, archive === null ? null : { location: archive, key: where.archiveKey });
}

/**
 * A local archive folder: a directory, or (unless it must exist, as for `verify`) a path whose nearest existing
 * ancestor is a directory it can be created in.
 */
export async function checkArchiveFolder(
  location: string,
  key: string,
  { mustExist }: { mustExist: boolean },
): Promise<void> {
  const found = await statOrNull(location);
  if (found) {
    if (!found.isDirectory()) throw new InputError(`${key}: ${location} is ${kindOf(found)}, not a directory`);
    return;
  }
  if (mustExist) throw new InputError(`${key}: ${location} does not exist`);
  const ancestor = await nearestExisting(path.resolve(location));
  if (!ancestor.stats.isDirectory()) {
    throw new InputError(
      `${key}: ${location} cannot be created: ${ancestor.path} is ${kindOf(ancestor.stats)}, not a directory`,
    );
  }
}

type Signing = Config['signing'];

async function checkSigning(signing: Signing, archive: { location: string; key: string } | null): Promise<void> {
  const keepOut = async (target: string, key: string) => {
    if (archive && isInside(await realPathOf(target), await realPathOf(archive.location))) {
      throw new InputError(
        `${key}: ${target} is inside the archive (${archive.key}: ${archive.location}), ` +
          'so the private key would be archived with the reports; keep the signing files outside the archive',
      );
    }
  };
  switch (signing.kind) {
    case 'local': {
      const found = await statOrNull(signing.dir);
      if (found && !found.isDirectory())
        throw new InputError(`signing.dir: ${signing.dir} is ${kindOf(found)}, not a directory`);
      await keepOut(signing.dir, 'signing.dir');
      return;
    }
    case 'local-files':
      await checkFile(signing.keyFile, 'signing.keyFile', 'private key');
      await checkFile(signing.certFile, 'signing.certFile', 'certificate');
      await keepOut(signing.keyFile, 'signing.keyFile');
      await keepOut(signing.certFile, 'signing.certFile');
      return;
    case 'kms':
      await checkFile(signing.certFile, 'signing.certFile', 'certificate');
      return;
  }
}

async function checkFile(file: string, key: string, what: string): Promise<void> {
  const found = await statOrNull(file);
  if (!found) throw new InputError(`${key}: the ${what} file ${file} does not exist`);
  if (!found.isFile()) throw new InputError(`${key}: ${file} is ${kindOf(found)}, not a ${what} file`);
}

/** Whether `child` is `parent` or lies below it (both absolute and resolved). */
export function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative));
}

/**
 * The real path of `target` with every symbolic link resolved, for a path that may not exist yet (a signing folder
 * made on first run): the real path of its nearest existing ancestor, with the rest appended.
 */
export async function realPathOf(target: string): Promise<string> {
  const absolute = path.resolve(target);
  const ancestor = await nearestExisting(absolute);
  return path.join(await realpath(ancestor.path), path.relative(ancestor.path, absolute));
}

async function nearestExisting(absolute: string): Promise<{ path: string; stats: Stats }> {
  for (let dir = absolute; ; dir = path.dirname(dir)) {
    const found = await statOrNull(dir);
    if (found) return { path: dir, stats: found };
    if (path.dirname(dir) === dir) throw new InputError(`${absolute}: no part of this path exists`);
  }
}

/** The entry at `target`, or null when there is none (also when a parent is a file: ENOTDIR). */
async function statOrNull(target: string): Promise<Stats | null> {
  try {
    return await stat(target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

function kindOf(stats: Stats): string {
  if (stats.isFile()) return 'a file';
  if (stats.isDirectory()) return 'a directory';
  return 'neither a file nor a directory';
}
