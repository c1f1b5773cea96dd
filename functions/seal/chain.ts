import { dailyBundlePath, dateOfDailyBundle, dayBefore, FOLDERS, MANIFEST, MANIFEST_SIG } from '../archive/layout.js';
import type { ArchivePort } from '../archive/port.js';
import { READ_LIMITS } from '../archive/verify-limits.js';
import type { PreviousManifest } from './manifest.js';

/** Every daily bundle that holds a manifest, in date order. */
export async function dailyBundles(archive: ArchivePort): Promise<string[]> {
  const suffix = `/${MANIFEST}`;
  return (await archive.list(FOLDERS.daily))
    .filter((p) => p.endsWith(suffix))
    .map((p) => p.slice(0, -suffix.length))
    .filter((b) => dateOfDailyBundle(b) !== null)
    .sort();
}

/**
 * The manifest the daily bundle of `date` links to: the latest earlier daily manifest in the archive (almost
 * always the day before, asked for first so a nightly run does not list years of archive). Null when the
 * series starts here.
 */
export async function findPreviousManifest(archive: ArchivePort, date: string): Promise<PreviousManifest | null> {
  const yesterday = dailyBundlePath(dayBefore(date));
  const direct = await readLink(archive, yesterday);
  if (direct) return direct;
  const here = dailyBundlePath(date);
  const earlier = (await dailyBundles(archive)).filter((b) => b < here);
  const latest = earlier[earlier.length - 1];
  return latest ? readLink(archive, latest) : null;
}

/** Read within the caps verify applies: the archive may hold anything under these names (a run fails, naming it). */
async function readLink(archive: ArchivePort, bundle: string): Promise<PreviousManifest | null> {
  const manifest = await archive.read(`${bundle}/${MANIFEST}`, { maxBytes: READ_LIMITS[MANIFEST]! });
  if (manifest === null) return null;
  const signature = await archive.read(`${bundle}/${MANIFEST_SIG}`, { maxBytes: READ_LIMITS[MANIFEST_SIG]! });
  if (signature === null) {
    throw new Error(
      `the previous daily bundle ${bundle} has a ${MANIFEST} but no ${MANIFEST_SIG}: ` +
        'the archive needs attention (run verify)',
    );
  }
  return { path: `${bundle}/${MANIFEST}`, manifest, signature };
}
