export interface BundleFile {
  name: string;
  data: Uint8Array | string;
}

/** Where bundles are kept. Written once: an existing bundle is never replaced. */
export interface ArchivePort {
  /** A human-readable location of the bundle (a directory or an s3:// URL). */
  locate(bundlePath: string): string;
  exists(bundlePath: string): Promise<boolean>;
  /** Writes all files of a bundle so that it appears whole or not at all; fails if it already exists. */
  writeBundle(bundlePath: string, files: BundleFile[]): Promise<void>;
}

export class BundleExistsError extends Error {
  override name = 'BundleExistsError';
}
