import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ComposedEmail, Mailer } from './mailer.js';

/** Attempts before giving up on finding a free name: only a runaway loop reaches it. */
const MAX_SAME_NAME = 10_000;

/**
 * The embedded mailer: each message becomes `<dir>/<UTC timestamp>-<subject slug>.eml`, which any mail client
 * opens. A file is never overwritten: an earlier message is evidence that it was sent.
 */
export function outboxMailer(dir: string, options: { now?: () => Date } = {}): Mailer {
  const now = options.now ?? (() => new Date());
  return {
    async send(email: ComposedEmail) {
      await mkdir(dir, { recursive: true });
      const base = `${utcStamp(now())}-${slug(email.subject)}`;
      for (let n = 1; n <= MAX_SAME_NAME; n++) {
        const path = resolve(join(dir, n === 1 ? `${base}.eml` : `${base}-${n}.eml`));
        try {
          await writeFile(path, email.raw, { flag: 'wx' });
          return { location: path };
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
      }
      throw new Error(`The outbox ${dir} already holds ${MAX_SAME_NAME} messages named ${base}.`);
    },
  };
}

/** `20261125T060001Z`: sorts by time and holds no character a file system rejects. */
function utcStamp(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');
}

function slug(subject: string): string {
  const ascii = subject
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
  const dashed = ascii.replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return dashed.slice(0, 80).replace(/-+$/, '') || 'message';
}
