/**
 * What verification read, so that a rollup uses those bytes and no others: the archive port handed to verifyArchive
 * is wrapped to note, for every file it reads, the version it asked for (S3: the one its listing found) and the
 * SHA-256 of what came back. The rollup then reads each day's files at those versions, and compares the manifest's
 * SHA-256 with what verification saw (rollup-day-checks.ts): an archive changed in between cannot slip in bytes
 * nobody verified.
 */
import type { ArchivePort, VersionOptions } from '../archive/port.js';
import { sha256 } from '../seal/manifest.js';

export interface VerifiedReads {
  /** The port to verify with: the archive, noting every read. */
  readonly archive: ArchivePort;
  /** The SHA-256 of each read of `path` that found a file, in order. */
  sha256Of(path: string): string[];
  /** The version verification asked for when it read `path` (S3); none on a local archive or when it was not read. */
  versionOf(path: string): VersionOptions;
}

export function recordReads(archive: ArchivePort): VerifiedReads {
  const hashes = new Map<string, string[]>();
  const versions = new Map<string, string>();
  const noteVersion = (path: string, versionId: string | undefined) => {
    if (versionId !== undefined && !versions.has(path)) versions.set(path, versionId);
  };
  return {
    archive: {
      ...archive,
      async read(path, options) {
        noteVersion(path, options?.versionId);
        const bytes = await archive.read(path, options);
        if (bytes !== null) hashes.set(path, [...(hashes.get(path) ?? []), sha256(bytes)]);
        return bytes;
      },
      readStream(path, options) {
        noteVersion(path, options?.versionId);
        return archive.readStream(path, options);
      },
    },
    sha256Of: (path) => hashes.get(path) ?? [],
    versionOf: (path) => {
      const versionId = versions.get(path);
      return versionId === undefined ? {} : { versionId };
    },
  };
}
