import { randomUUID } from 'node:crypto';
import { link, mkdir, open, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ComposedEmail, Delivery, Mailer } from './mailer.js';

/**
 * The embedded mailer: one `.eml` file per delivery, named by it (`daily-2026-11-24-email-<recipients>.eml`), which
 * any mail client opens. It appears whole or not at all: written under a hidden temporary name, synced, then
 * linked to its name, and a link never replaces. So a retried run, or one that died between writing and its
 * receipt, finds the message there and writes no second one: exactly once per bundle and recipient list. A file is
 * never overwritten: it is evidence that the message was sent.
 */
export function outboxMailer(dir: string): Mailer {
  return {
    async send(email: ComposedEmail, delivery: Delivery) {
      await mkdir(dir, { recursive: true });
      const name = fileNameOf(delivery.key);
      const target = resolve(join(dir, `${name}.eml`));
      const temporary = resolve(join(dir, `.partial-${name}-${randomUUID()}`));
      try {
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
        throw new Error(`outbox ${resolve(dir)}: ${name}.eml could not be written (${(err as Error).message})`, {
          cause: err,
        });
      } finally {
        await unlink(temporary).catch(() => undefined);
      }
    },
  };
}

/** A delivery key as a file name: its folders joined by `-`, nothing a file system rejects. */
function fileNameOf(key: string): string {
  return key.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '');
}
