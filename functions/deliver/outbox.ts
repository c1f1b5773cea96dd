import { randomBytes } from 'node:crypto';
import { link, lstat, open, readdir, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isStagingOf, judgeStaging, makeFolders, stagingPrefixOf } from '../archive/staging.js';
import type { ComposedEmail, Delivery, Mailer } from './mailer.js';

/**
 * The embedded mailer: one `.eml` file per delivery, named by it (`daily-2026-11-24-email-<recipients>.eml`), which
 * any mail client opens. It appears whole or not at all: written under a hidden temporary name, synced, then
 * linked to its name, and a link never replaces. So a retried run, or one that died between writing and its
 * receipt, finds the message there and writes no second one: exactly once per bundle and recipient list. A file is
 * never overwritten: it is evidence that the message was sent. The temporary file a run that died left for the
 * same delivery is removed by the next send of it.
 */
export function outboxMailer(dir: string): Mailer {
  const outbox = resolve(dir);
  return {
    async send(email: ComposedEmail, delivery: Delivery) {
      const name = fileNameOf(delivery.key);
      const target = join(outbox, `${name}.eml`);
      const temporary = join(outbox, `${stagingPrefixOf(`${name}.eml`)}${randomBytes(6).toString('hex')}`);
      try {
        await makeFolders(outbox);
        await removeStaleTemporaries(outbox, `${name}.eml`);
        const file = await open(temporary, 'wx', 0o644);
        try {
          await file.writeFile(email.raw);
          await file.sync();
        } finally {
          await file.close();
        }
        try {
          await link(temporary, target);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { location: target, already: true };
          throw err;
        }
        return { location: target };
      } catch (err) {
        throw new Error(`outbox ${outbox}: ${name}.eml could not be written (${(err as Error).message})`, {
          cause: err,
        });
      } finally {
        await unlink(temporary).catch(() => undefined);
      }
    },
  };
}

/** Temporary files of this delivery whose writer is gone; one a run in progress writes is left to it. */
async function removeStaleTemporaries(outbox: string, base: string): Promise<void> {
  for (const name of (await readdir(outbox)).filter((n) => isStagingOf(n, base))) {
    const where = join(outbox, name);
    const stats = await lstat(where).catch(() => null);
    if (stats?.isFile() && judgeStaging(name, stats.mtimeMs, Date.now()).stale)
      await unlink(where).catch(() => undefined);
  }
}

/** A delivery key as a file name: its folders joined by `-`, nothing a file system rejects. */
function fileNameOf(key: string): string {
  return key.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '');
}
