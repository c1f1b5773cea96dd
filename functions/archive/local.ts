import { chmod, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { nuid } from '@nats-io/transport-node';
import { BundleExistsError, type ArchivePort, type BundleFile } from './port.js';

/** A local directory archive: bundles appear by rename, files are read-only, nothing is overwritten. */
export function localArchive(root: string): ArchivePort {
  const dirOf = (bundlePath: string) => path.resolve(root, bundlePath);
  return {
    locate: dirOf,
    async exists(bundlePath) {
      try {
        return (await stat(dirOf(bundlePath))).isDirectory();
      } catch {
        return false;
      }
    },
    async writeBundle(bundlePath, files: BundleFile[]) {
      const target = dirOf(bundlePath);
      await mkdir(path.dirname(target), { recursive: true });
      // A crash leaves a hidden temporary folder, never a half bundle under the real name.
      const staging = path.join(path.dirname(target), `.partial-${path.basename(target)}-${nuid.next()}`);
      await mkdir(staging);
      try {
        for (const file of files) {
          const where = path.join(staging, file.name);
          await mkdir(path.dirname(where), { recursive: true });
          await writeFile(where, file.data, { flag: 'wx' });
          await chmod(where, 0o444);
        }
        try {
          await stat(target);
          throw new BundleExistsError(`a bundle already exists at ${target}`);
        } catch (err) {
          if (err instanceof BundleExistsError) throw err;
        }
        await rename(staging, target);
      } catch (err) {
        await rm(staging, { recursive: true, force: true });
        throw err;
      }
    },
  };
}
