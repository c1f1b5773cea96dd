export interface BundleFile {
  name: string;
  data: Uint8Array | string;
}

export interface WriteOptions {
  /** Objects may not be deleted or changed before this instant (S3 Object Lock, COMPLIANCE mode). */
  retainUntil?: Date;
}

/** What the archive says about one stored object's lock (S3 only; a local archive has none). */
export interface LockState {
  mode: string | null;
  retainUntil: Date | null;
  sha256: string | null;
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
  /** Writes a file once (such as keys/<sha256>.pem); succeeds without writing if identical bytes are there. */
  writeOnce(path: string, data: Uint8Array | string, options?: WriteOptions): Promise<void>;
  /** The bytes of a file, or null if it does not exist. */
  read(path: string): Promise<Uint8Array | null>;
  /** Every file path under a prefix (recursive), sorted. */
  list(prefix: string): Promise<string[]>;
  /** Lock state of a stored object, for `verify`; undefined on archives without locks. */
  lockState?(path: string): Promise<LockState>;
}

export class BundleExistsError extends Error {
  override name = 'BundleExistsError';
}
