import { chmod, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliveryKey } from '../../../functions/archive/layout.js';
import type { ComposedEmail } from '../../../functions/deliver/mailer.js';
import { outboxMailer } from '../../../functions/deliver/outbox.js';
import { mountTmpfs, NO_TMPFS, unmount } from '../../support/tmpfs.js';

const email = (body: string): ComposedEmail => ({
  from: 'reports@example.com',
  to: ['cfo@example.com'],
  subject: 'FAIL NATS SOX control report',
  raw: new TextEncoder().encode(`Subject: FAIL NATS SOX control report\r\n\r\n${body}\r\n`),
});
const daily = { key: deliveryKey('/srv/reports', 'daily/2026/11/24', ['cfo@example.com', 'audit@example.com']) };

describe('the outbox', () => {
  let scratch: string;
  let dir: string;
  beforeEach(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'outbox-'));
    dir = path.join(scratch, 'outbox');
  });
  afterEach(async () => {
    await chmod(dir, 0o755).catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
  });

  it('writes one .eml per delivery, named by the bundle and its recipients, with the exact bytes', async () => {
    const sent = await outboxMailer(dir).send(email('first'), daily);
    expect(sent).toEqual({ location: path.join(dir, `daily-2026-11-24-email-${daily.key.slice(-16)}.eml`) });
    expect(await readFile(sent.location, 'utf8')).toBe('Subject: FAIL NATS SOX control report\r\n\r\nfirst\r\n');
    expect(await readdir(dir)).toEqual([path.basename(sent.location)]);
  });

  it('keeps the message it has for a delivery: a retry writes no second one and changes nothing', async () => {
    const mailer = outboxMailer(dir);
    const first = await mailer.send(email('first'), daily);
    const again = await mailer.send(email('rendered again, other bytes'), daily);
    expect(again).toEqual({ location: first.location, already: true });
    expect(await readFile(first.location, 'utf8')).toContain('first');
    expect(await readdir(dir)).toEqual([path.basename(first.location)]);
    // Other recipients are another delivery.
    const other = await mailer.send(email('to internal audit'), {
      key: deliveryKey('/srv/reports', 'daily/2026/11/24', ['ia@example.com']),
    });
    expect(other.already).toBeUndefined();
    const names = [path.basename(first.location), path.basename(other.location)];
    expect((await readdir(dir)).sort()).toEqual(names.sort());
  });

  it(
    'never leaves a partial message under the real name of a full outbox, ' + 'and says which outbox and file',
    async (ctx) => {
      // A real full disk: a 16 KiB tmpfs; elsewhere a folder nothing can be written to (as a user other than root).
      await mkdir(dir, { recursive: true });
      const mounted = mountTmpfs(dir, '16k');
      if (!mounted) {
        if (process.getuid?.() === 0) return ctx.skip(NO_TMPFS);
        await chmod(dir, 0o555);
      }
      try {
        const big = email('x'.repeat(64 * 1024));
        const refused = await outboxMailer(dir)
          .send(big, daily)
          .then(
            () => null,
            (err: Error) => err,
          );
        expect(refused?.message).toMatch(
          new RegExp(
            `^outbox ${dir}: daily-2026-11-24-email-[0-9a-f]{16}\\.eml could not be written \\((ENOSPC|EACCES)`,
          ),
        );
        expect(await readdir(dir)).toEqual([]);
      } finally {
        if (mounted) unmount(dir);
      }
    },
  );

  it('leaves no temporary file behind, whether it wrote the message or found it there', async () => {
    const mailer = outboxMailer(dir);
    await mailer.send(email('first'), daily);
    await mailer.send(email('second'), daily);
    expect((await readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});
