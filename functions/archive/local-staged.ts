/**
 * A bundle file of a local archive written while it is produced (the evidence): into a hidden staging folder
 * beside the bundle's place, the one `writeBundle` then completes and renames into place. A crash leaves only
 * that hidden folder (named for the process that made it, so the next run of the period can tell it is stale and
 * remove it); a failed run removes it.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import type { ByteDigest, StagedFile } from './port.js';
import { makeFolders, STAGING_PREFIX, stagingPrefixOf } from './staging.js';

export { STAGING_PREFIX };

const NOTHING_ARCHIVED = 'nothing of this bundle was archived';

export class LocalStagedFile implements StagedFile {
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private closed: ByteDigest | null = null;

  private constructor(
    /** The staging folder: becomes the bundle when renamed. */
    readonly folder: string,
    readonly name: string,
    private readonly handle: FileHandle,
    /** `archive <root>: <bundle>/<name>`, the start of every message about this file. */
    private readonly label: string,
  ) {}

  /**
   * Creates the staging folder beside `target` (the bundle's folder) and the file in it; `label` names the file
   * in the archive for messages.
   */
  static async create(target: string, name: string, label: string): Promise<LocalStagedFile> {
    let folder: string | null = null;
    try {
      await makeFolders(path.dirname(target));
      folder = await mkdtemp(path.join(path.dirname(target), stagingPrefixOf(path.basename(target))));
      const handle = await open(path.join(folder, name), 'wx', 0o444);
      return new LocalStagedFile(folder, name, handle, label);
    } catch (err) {
      if (folder !== null) await rm(folder, { recursive: true, force: true }).catch(() => undefined);
      throw new Error(
        `${label} could not be staged in ${path.dirname(target)} (${errorMessage(err)}); ${NOTHING_ARCHIVED}`,
        { cause: err },
      );
    }
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.closed) throw new Error(`${this.name}: written after it was closed`);
    let at = 0;
    try {
      while (at < chunk.byteLength) at += (await this.handle.write(chunk, at, chunk.byteLength - at)).bytesWritten;
    } catch (err) {
      throw this.failure(err);
    }
    this.hash.update(chunk);
    this.bytes += chunk.byteLength;
  }

  async close(): Promise<ByteDigest> {
    if (!this.closed) {
      // Some file systems report a full disk only when the data is flushed.
      try {
        await this.handle.sync();
        await this.handle.close();
        await chmod(path.join(this.folder, this.name), 0o444);
      } catch (err) {
        throw this.failure(err);
      }
      this.closed = { bytes: this.bytes, sha256: this.hash.digest('hex') };
    }
    return this.closed;
  }

  async discard(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.folder, { recursive: true, force: true });
  }

  private failure(err: unknown): Error {
    return new Error(`${this.label} could not be written (${errorMessage(err)}); ${NOTHING_ARCHIVED}`, { cause: err });
  }
}
