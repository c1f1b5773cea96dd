/**
 * A delivery receipt says the officers have the email, so a run does not send it again. Whoever may write the
 * archive could put any object where a bundle's receipt belongs, before the run, to keep the email from going out:
 * only a receipt of this bundle and these recipients counts. Real nats-server, the real CLI, a local archive and
 * outbox.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiptPath } from '../../functions/archive/layout.js';
import { localArchive } from '../../functions/archive/local.js';
import { verifyArchive } from '../../functions/archive/verify.js';
import { DEMO_RECIPIENTS } from '../../functions/cli/demo.js';
import { adhocActivity, type AdhocActivity } from '../support/adhoc-activity.js';
import { soxReportProcess } from '../support/cli-process.js';
import { startTestBed, type TestBed } from '../support/hub.js';
import { emlsIn } from '../support/leftovers.js';

let bed: TestBed;
let period: AdhocActivity;

beforeAll(async () => {
  bed = await startTestBed('2.10.27');
  period = await adhocActivity(bed, 2);
}, 60_000);

afterAll(async () => bed?.close());

function run(archive: string, outbox: string) {
  return soxReportProcess([
    'run',
    ...['--config', period.configFile, '--from', period.from, '--to', period.to],
    ...['--archive', archive, '--outbox', outbox],
  ]);
}

describe('an object planted where a bundle’s delivery receipt belongs', () => {
  it.each([
    ['an empty object', () => '{}', 'not a delivery receipt: schema: Invalid input: expected "sox-report-delivery/v1"'],
    ['not JSON', () => 'sent, trust me', 'not a delivery receipt: not JSON'],
    [
      'the receipt of another bundle',
      () =>
        JSON.stringify({
          schema: 'sox-report-delivery/v1',
          bundle: 'daily/2026/11/30',
          recipients: DEMO_RECIPIENTS,
          subject: 'SOX controls',
          location: 'elsewhere.eml',
          sentAt: '2026-12-01T06:00:00.000Z',
        }),
      'the receipt of another bundle',
    ],
  ])(
    '%s: the email still goes out, and the run names the object and fails',
    async (name, planted, why) => {
      const place = path.join(bed.dir, name.replaceAll(' ', '-'));
      const archive = path.join(place, 'archive');
      const outbox = path.join(place, 'outbox');
      const receipt = path.join(archive, receiptPath(period.bundle, DEMO_RECIPIENTS));
      await mkdir(path.dirname(receipt), { recursive: true });
      await writeFile(receipt, planted());

      const first = await run(archive, outbox);
      expect(first.stderr).toContain(
        `${receipt} is not a delivery receipt of this bundle for these recipients (${why}): the email is sent`,
      );
      expect(first.stderr).toContain(
        `where its delivery receipt belongs, holds an object this software did not write for it (${why})`,
      );
      expect(first.code).toBe(1);
      const emls = await emlsIn(outbox);
      expect(emls).toHaveLength(1);
      // The bundle is archived whole, and the planted object is left as it was.
      const verified = await verifyArchive(localArchive(archive));
      expect(verified.entries.map((e) => [e.bundle, e.status])).toEqual([[period.bundle, 'ok']]);
      expect(await readFile(receipt, 'utf8')).toBe(planted());

      // Run again: the outbox finds its message already there (one email), and the object is named again.
      const again = await run(archive, outbox);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain(`holds an object this software did not write for it (${why})`);
      expect(await emlsIn(outbox)).toEqual(emls);
    },
    60_000,
  );

  it('a genuine receipt: the rerun sends nothing', async () => {
    const archive = path.join(bed.dir, 'genuine', 'archive');
    const outbox = path.join(bed.dir, 'genuine', 'outbox');
    expect((await run(archive, outbox)).code).toBe(0);
    const emls = await emlsIn(outbox);
    expect(emls).toHaveLength(1);
    const rerun = await run(archive, outbox);
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toContain('already archived');
    expect(rerun.stderr).not.toContain('not a delivery receipt');
    expect(await emlsIn(outbox)).toEqual(emls);
  }, 60_000);
});
