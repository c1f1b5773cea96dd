/** A file's size and SHA-256 (lowercase hex): how a run names exactly those bytes. */
export interface ByteDigest {
  bytes: number;
  sha256: string;
}

/**
 * One file of a bundle: its bytes; or a file staged while it was produced (the evidence, see `stageFile`); or one
 * an interrupted run already stored under the bundle's path (only on an archive that is `resumable`), which is
 * checked and kept, never written again.
 */
export type BundleFile =
  | { name: string; data: Uint8Array | string }
  | { name: string; staged: StagedFile }
  | { name: string; stored: ByteDigest };

/** A bundle file written while it is produced; `writeBundle` places it with the others. */
export interface StagedFile {
  /** Appends bytes; resolves when the archive has taken them (so a slow archive slows the producer, not memory). */
  write(chunk: Uint8Array): Promise<void>;
  /** Every byte is written: the file's size and SHA-256. */
  close(): Promise<ByteDigest>;
  /** Drops what was written (the run failed before the bundle was sealed). */
  discard(): Promise<void>;
}

export interface WriteOptions {
  /** Objects may not be deleted or changed before this instant (S3 Object Lock, COMPLIANCE mode). */
  retainUntil?: Date;
  /**
   * Told after each step of `writeBundle`: a file is stored (written, or already staged or kept), and on a local
   * archive the bundle is renamed into place, before its folders are made read-only. The pipeline stops a test's
   * process there (pipeline/crash-points.ts).
   */
  progress?: (step: WriteStep) => void;
}

export type WriteStep = { file: string } | { placed: string };

/**
 * What a run did about what earlier, crashed runs left for one bundle (`clearLeftovers`), each line naming the
 * entry where the archive has it (a path or an s3:// URL) and why.
 */
export interface Leftovers {
  /** Staging leftovers removed (a hidden `.partial-…` folder or file, an unfinished multipart upload). */
  removed: string[];
  /** A sealed bundle's folders and files given back the archive's modes (0555/0444). */
  fixed: string[];
  /** Left as they were: what may belong to a run in progress, or what could not be removed. */
  kept: string[];
}

/** What the archive says about one stored object's lock (S3 only; a local archive has none). */
export interface LockState {
  mode: string | null;
  retainUntil: Date | null;
  sha256: string | null;
}

/**
 * What an entry of the archive is. Only a `file` (a regular file; on S3 every object) is ever read: a symbolic
 * link could point anywhere, a FIFO or device could block or never end, a `staging` entry is the hidden
 * `.partial-…` leftover of a write that was interrupted, and an `unwalked` one (a local archive only) is what the
 * walk could not look at or into (a name too long for the system, a folder it may not list, one deeper than the
 * layout goes), with the reason in `unwalked`.
 */
export type EntryKind = 'file' | 'symlink' | 'special' | 'staging' | 'unwalked';

/** What a `special` entry is (a local archive only). */
export type SpecialKind = 'fifo' | 'socket' | 'character device' | 'block device' | 'unknown';

export interface ArchiveEntry {
  /** Relative to the archive root, with `/`. */
  path: string;
  kind: EntryKind;
  /** Size of a `file` as the listing saw it (on S3, of the version in `versionId`). */
  bytes?: number;
  /** What a `special` entry is. */
  special?: SpecialKind;
  /** Why an `unwalked` entry was not looked at or into, worded to follow its name: "cannot be listed (EACCES)". */
  unwalked?: string;
  /**
   * S3: the version the listing found for the key, the first one written (with If-None-Match, the archived one);
   * reads and lock checks given this id see exactly that version, whatever was written over it since.
   */
  versionId?: string;
  /** S3: how many object versions the key has (one for an object written once). */
  versions?: number;
  /** S3: how many delete markers the key has (none for an object nobody tried to delete). */
  deleteMarkers?: number;
}

export interface ReadOptions {
  /** Refuse (TooLargeError) rather than hold more than this many bytes. */
  maxBytes?: number;
  /** S3: the exact object version to read (from `entries`); the newest when absent. Ignored by a local archive. */
  versionId?: string;
}

export interface VersionOptions {
  /** S3: the exact object version (from `entries`); the newest when absent. */
  versionId?: string;
}

/**
 * Where bundles are kept. Written once: an existing bundle or key is never replaced.
 * Paths are relative to the archive root and use `/`.
 */
export interface ArchivePort {
  /** A human-readable location (a directory path or an s3:// URL) of a path in the archive. */
  locate(path: string): string;
  /** True when the bundle (its manifest.json, or for a local archive its folder) is there. */
  exists(bundlePath: string): Promise<boolean>;
  /**
   * Writes all files of a bundle so that it counts as present only when whole: locally by a rename of a
   * staging folder, on S3 by writing manifest.json (expected last in `files`) last. Throws BundleExistsError if
   * the bundle is already archived.
   */
  writeBundle(bundlePath: string, files: BundleFile[], options?: WriteOptions): Promise<void>;
  /** Starts a file of a bundle that is written while it is produced; pass it to `writeBundle` to place it. */
  stageFile(bundlePath: string, name: string, options?: WriteOptions): Promise<StagedFile>;
  /**
   * Whether objects of an interrupted run can stay under a bundle's path (S3, where a bundle is written object by
   * object and locked ones can never be removed) and be completed by a later run. A local bundle appears whole by
   * a rename, so anything under its path without a manifest was put there by something else.
   */
  readonly resumable: boolean;
  /** Writes a file once (such as a key file under keys/); succeeds without writing if identical bytes are there. */
  writeOnce(path: string, data: Uint8Array | string, options?: WriteOptions): Promise<void>;
  /**
   * The bytes of a regular file, or null if nothing is there. Throws NotRegularFileError for anything else (a
   * symbolic link anywhere in the path, a FIFO, a device) and TooLargeError past `maxBytes`, without blocking.
   */
  read(path: string, options?: ReadOptions): Promise<Uint8Array | null>;
  /**
   * The bytes of a regular file in chunks, for files too large to hold (the same checks as `read`; a missing
   * file is an error here, since the caller streams what a listing found).
   */
  readStream(path: string, options?: VersionOptions): AsyncIterable<Uint8Array>;
  /** Every regular file path under a prefix (recursive), sorted: the `file` entries of `entries`. */
  list(prefix: string): Promise<string[]>;
  /** Every entry under a prefix (recursive), whatever it is, sorted by path; a staging folder is one entry. */
  entries(prefix: string): Promise<ArchiveEntry[]>;
  /** Lock state of a stored object, for `verify`; undefined on archives without locks. */
  lockState?(path: string, options?: VersionOptions): Promise<LockState>;
  /**
   * Removes what crashed runs left for one bundle and its delivery receipts (their staging leftovers, never a
   * stored file) and gives a sealed bundle's folders and files the modes the archive makes. A leftover that may
   * belong to a run still writing is kept. Never throws for what it could not do: it says so in `kept`.
   */
  clearLeftovers(bundlePath: string): Promise<Leftovers>;
  /** The permission bits of an entry (lstat: a link is not followed), null when absent; local archives only. */
  modeOf?(path: string): Promise<number | null>;
}

export class BundleExistsError extends Error {
  override name = 'BundleExistsError';
}

/** A path that is there but is no regular file (or is reached through a symbolic link): never read. */
export class NotRegularFileError extends Error {
  override name = 'NotRegularFileError';
}

/** A file larger than its reader agreed to hold. */
export class TooLargeError extends Error {
  override name = 'TooLargeError';
}

/**
 * What an entry is that is not what was expected of it, for a message that starts with its name: "is a symbolic
 * link, not a regular file", "a staging leftover of an interrupted run".
 */
export function describeEntry(
  entry: Pick<ArchiveEntry, 'kind' | 'special' | 'unwalked'>,
  expected: 'regular file' | 'folder' = 'regular file',
): string {
  switch (entry.kind) {
    case 'file':
      return `is a regular file, not a ${expected}`;
    case 'symlink':
      return `is a symbolic link, not a ${expected}`;
    case 'staging':
      return 'a staging leftover of an interrupted run';
    case 'special':
      return `is ${SPECIAL_WORDS[entry.special ?? 'unknown']}, not a ${expected}`;
    case 'unwalked':
      return entry.unwalked ?? 'could not be examined';
  }
}

const SPECIAL_WORDS: Record<SpecialKind, string> = {
  fifo: 'a FIFO (named pipe)',
  socket: 'a socket',
  'character device': 'a character device',
  'block device': 'a block device',
  unknown: 'a special file',
};
