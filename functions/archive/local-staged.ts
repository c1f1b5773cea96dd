/**
 * A bundle file of a local archive written while it is produced (the evidence): into a hidden staging folder
 * beside the bundle's place, the one `writeBundle` then completes and renames into place. A crash leaves only
 * that hidden folder; a failed run removes it.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { StagedFile } from './port.js';

export const STAGING_PREFIX = '.partial-';

export class LocalStagedFile implements StagedFile {
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private closed: { bytes: number; sha256: string } | null = null;

  private constructor(
    /** The staging folder: becomes the bundle when renamed. */
    readonly folder: string,
    readonly name: string,
    private readonly handle: FileHandle,
  ) {}

  /** Creates the staging folder beside `target` (the bundle's folder) and the file in it. */
  static async create(target: string, name: string): Promise<LocalStagedFile> {
    await mkdir(path.dirname(target), { recursive: true });
    const folder = await mkdtemp(path.join(path.dirname(target), `${STAGING_PREFIX}${path.basename(target)}-`));
    try {
      const handle = await open(path.join(folder, name), 'wx', 0o444);
      return new LocalStagedFile(folder, name, handle);
    } catch (err) {
      await rm(folder, { recursive: true, force: true });
      throw err;
    }
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.closed) throw new Error(`${this.name}: written after it was closed`);
    let at = 0;
    try {
      while (at < chunk.byteLength) at += (await this.handle.write(chunk, at, chunk.byteLength - at)).bytesWritten;
    } catch (err) {
      throw new Error(
        `archive: ${this.name} could not be written in ${this.folder} (${(err as Error).message}); ` +
          'nothing of this bundle was archived',
        { cause: err },
      );
    }
    this.hash.update(chunk);
    this.bytes += chunk.byteLength;
  }

  async close(): Promise<{ bytes: number; sha256: string }> {
    if (!this.closed) {
      await this.handle.sync();
      await this.handle.close();
      await chmod(path.join(this.folder, this.name), 0o444);
      this.closed = { bytes: this.bytes, sha256: this.hash.digest('hex') };
    }
    return this.closed;
  }

  async discard(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.folder, { recursive: true, force: true });
  }
}
