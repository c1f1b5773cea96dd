/**
 * What crashed runs leave, and what the next run of the period and `verify` do about it: staging leftovers removed
 * only when their writer is gone (never a sealed file), a sealed folder left 0700 given its modes back, S3's
 * unfinished uploads aborted, and verify naming every leftover and every mode that shuts readers out.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AbortMultipartUploadCommand,
  ListMultipartUploadsCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adhocBundlePath, dailyBundlePath, deliveryKey, receiptPath } from '../../../functions/archive/layout.js';
import { localArchive } from '../../../functions/archive/local.js';
import { s3Archive } from '../../../functions/archive/s3.js';
import { judgeStaging, STALE_AFTER_MS, stagingPrefixOf } from '../../../functions/archive/staging.js';
import { verifyArchive, type VerifyReport } from '../../../functions/archive/verify.js';
import { adhocPeriod } from '../../../functions/config/period.js';
import { outboxMailer } from '../../../functions/deliver/outbox.js';
import { CRASH_ENV, CRASH_POINTS, crashPoint, crashPointOfWrite } from '../../../functions/pipeline/crash-points.js';
import { loadOrCreateLocalSigner } from '../../../functions/seal/local-signer.js';
import type { Signer } from '../../../functions/seal/signer.js';
import { mountTmpfs, NO_TMPFS, unmount } from '../../support/tmpfs.js';
import { archivePeriod, buildDailyArchive, TIMEZONE, writableCopy } from '../../support/verify-archive.js';

const DAY = '2026-11-24';
const BUNDLE = dailyBundlePath(DAY);

let scratch: string;
let signer: Signer;
let otherSigner: Signer;
/** An archive of three sealed days, as the adapter leaves them (0555/0444). */
let pristine: string;
/** A bundle of DAY sealed by another key, to plant where a crash could have left one. */
let foreignBundle: string;
let copies = 0;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'sox-leftovers-'));
  signer = await loadOrCreateLocalSigner({ dir: path.join(scratch, 'signer') });
  otherSigner = await loadOrCreateLocalSigner({ dir: path.join(scratch, 'other-signer') });
  pristine = path.join(scratch, 'pristine');
  await buildDailyArchive(pristine, ['2026-11-22', '2026-11-23', DAY], signer);
  const other = path.join(scratch, 'other');
  await buildDailyArchive(other, [DAY], otherSigner);
  foreignBundle = path.join(other, BUNDLE);
});

afterAll(async () => {
  await run('chmod', ['-R', 'u+w', scratch]);
  await rm(scratch, { recursive: true, force: true });
});

async function run(command: string, args: string[]): Promise<void> {
  spawnSync(command, args, { stdio: 'ignore' });
}

/** A copy of the archive with DAY's bundle not yet there: as a crash before the rename leaves it. */
async function archiveWithoutDay(): Promise<string> {
  const root = await writableCopy(pristine, path.join(scratch, `copy-${++copies}`));
  await rm(path.join(root, BUNDLE), { recursive: true });
  return root;
}

/** A pid that was this host's and is no more. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid!;
}

/** The staging name a process `pid` of this host gives a write of `base`. */
function stagingName(base: string, pid: number, end = 'Ab12Cd'): string {
  return `${stagingPrefixOf(base).replace(`-${process.pid}@`, `-${pid}@`)}${end}`;
}

/** A complete bundle, sealed by another key, copied where a staging folder of DAY would be. */
async function plantForeignStaging(root: string, name: string): Promise<string> {
  const where = path.join(root, path.dirname(BUNDLE), name);
  await cp(foreignBundle, where, { recursive: true });
  return where;
}

async function tree(root: string): Promise<Record<string, { mode: number; mtimeMs: number }>> {
  const found: Record<string, { mode: number; mtimeMs: number }> = {};
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const stats = await stat(full);
      found[path.relative(root, full)] = { mode: stats.mode & 0o777, mtimeMs: stats.mtimeMs };
      if (entry.isDirectory()) await walk(full);
    }
  };
  await walk(root);
  return found;
}

const problemsOf = (report: VerifyReport, label: string) =>
  report.entries.filter((e) => (e.date ?? e.bundle) === label).flatMap((e) => e.problems);

describe('a run clears what crashed runs of its own period left', () => {
  it(
    'removes a gone process’s staging folder of its bundle (a complete bundle signed by another key in it), ' +
      'and nothing else',
    async () => {
      const root = await archiveWithoutDay();
      const dead = deadPid();
      const leftover = await plantForeignStaging(root, stagingName('24', dead));
      // Another day's leftover, and a name no run of this day makes, are not this run's to remove.
      const otherDay = await plantForeignStaging(root, stagingName('25', dead));
      const strange = await plantForeignStaging(root, '.partial-x');
      const before = await tree(root);

      const done = await localArchive(root).clearLeftovers(BUNDLE);

      expect(done.removed).toEqual([
        `${leftover} (holding manifest.json, manifest.json.sig, report.html, report.json, report.pdf): ` +
          `process ${dead} on this host, which was writing it, is gone`,
      ]);
      expect(done.fixed).toEqual([]);
      expect(done.kept).toEqual([]);
      const after = await tree(root);
      const removed = Object.keys(before).filter((p) => !(p in after));
      expect(removed.every((p) => p.startsWith(path.relative(root, leftover)))).toBe(true);
      expect(after[path.relative(root, otherDay)]).toBeDefined();
      expect(after[path.relative(root, strange)]).toBeDefined();
      // The sealed days are as they were, to the mode and the modification time.
      for (const [p, info] of Object.entries(after)) {
        if (!p.includes('.partial-') && p !== path.dirname(BUNDLE)) expect(info).toEqual(before[p]);
      }
    },
  );

  it('keeps a staging folder whose writer still runs, and says so', async () => {
    const root = await archiveWithoutDay();
    const sleeper = spawn('sleep', ['30']);
    try {
      const live = await plantForeignStaging(root, stagingName('24', sleeper.pid!));
      const mine = await plantForeignStaging(root, stagingName('24', process.pid, 'Zz99Yy'));
      const done = await localArchive(root).clearLeftovers(BUNDLE);
      expect(done.removed).toEqual([]);
      expect([...done.kept].sort()).toEqual(
        [
          `${live}: left as it is: process ${sleeper.pid} on this host, which is writing it, is still running`,
          `${mine}: left as it is: this process is writing it`,
        ].sort(),
      );
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('removes a leftover that names no writer only once nothing in it changed for an hour', async () => {
    const root = await archiveWithoutDay();
    const fresh = await plantForeignStaging(root, '.partial-24-q1w2e3');
    const old = await plantForeignStaging(root, '.partial-24-r4t5y6');
    const longAgo = new Date(Date.now() - STALE_AFTER_MS - 60_000);
    for (const name of await readdir(old)) await utimes(path.join(old, name), longAgo, longAgo);
    await utimes(old, longAgo, longAgo);

    const done = await localArchive(root).clearLeftovers(BUNDLE);
    expect(done.removed).toEqual([expect.stringMatching(/r4t5y6 \(holding .*\): unchanged for 61 minutes$/)]);
    expect(done.kept).toEqual([
      `${fresh}: left as it is: written by an unnamed process and changed 0 minutes ago: ` +
        'it may belong to a run in progress (removed once unchanged for 60 minutes)',
    ]);
  });

  it('gives a sealed bundle left 0700 by a crash its modes back; a folder with no manifest is untouched', async () => {
    const root = await writableCopy(pristine, path.join(scratch, `copy-${++copies}`));
    const folder = path.join(root, BUNDLE);
    // As a run that died between its rename and its chmod leaves it: the folder as mkdtemp made it.
    await chmod(folder, 0o700);
    await chmod(path.join(folder, 'report.pdf'), 0o600);
    for (const name of ['manifest.json', 'manifest.json.sig', 'report.html', 'report.json'])
      await chmod(path.join(folder, name), 0o444);
    const foreign = path.join(root, dailyBundlePath('2026-11-25'));
    await mkdir(foreign, { mode: 0o700 });
    await writeFile(path.join(foreign, 'report.json'), '{}');

    const archive = localArchive(root);
    const done = await archive.clearLeftovers(BUNDLE);
    expect(done.fixed).toEqual([
      `${folder}: mode 0700, the archive makes it 0555: set`,
      `${path.join(folder, 'report.pdf')}: mode 0600, the archive makes it 0444: set`,
    ]);
    expect((await stat(folder)).mode & 0o777).toBe(0o555);
    expect((await stat(path.join(folder, 'report.pdf'))).mode & 0o777).toBe(0o444);
    expect((await archive.clearLeftovers(dailyBundlePath('2026-11-25'))).fixed).toEqual([]);
    expect((await stat(foreign)).mode & 0o777).toBe(0o700);
    // Done once: the next run finds nothing to do.
    expect(await archive.clearLeftovers(BUNDLE)).toEqual({ removed: [], fixed: [], kept: [] });
  });

  it('removes the temporary file a crash left beside a receipt or key file, never the file itself', async () => {
    const root = await writableCopy(pristine, path.join(scratch, `copy-${++copies}`));
    const archive = localArchive(root);
    const receipt = receiptPath(BUNDLE, ['cfo@example.com']);
    await archive.writeOnce(receipt, '{"schema":"sox-report-delivery/v1"}\n');
    // A crash after the link and before the unlink leaves the temporary name beside the receipt.
    const receiptTemp = path.join(root, path.dirname(receipt), stagingName(path.basename(receipt), deadPid()));
    await writeFile(receiptTemp, '{"schema":"sox-report-delivery/v1"}\n');
    const done = await archive.clearLeftovers(BUNDLE);
    expect(done.removed).toHaveLength(1);
    expect(done.removed[0]).toMatch(new RegExp(`^${literal(receiptTemp)}: process \\d+ on this host, which was`));
    expect(await readFile(path.join(root, receipt), 'utf8')).toContain('delivery');

    // The key file is written by every run, so writeOnce itself removes its own leftovers, even when the file is there.
    const keys = path.join(root, 'keys');
    const [keyName] = await readdir(keys);
    const keyTemp = path.join(keys, stagingName(keyName!, deadPid()));
    await chmod(keys, 0o755);
    await writeFile(keyTemp, 'half a key');
    await archive.writeOnce(`keys/${keyName}`, await readFile(path.join(keys, keyName!)));
    expect(await readdir(keys)).toEqual([keyName]);
  });

  it('changes nothing at all when nothing was left', async () => {
    const root = path.join(scratch, `copy-${++copies}`);
    await buildDailyArchive(root, [DAY], signer);
    const before = await tree(root);
    expect(await localArchive(root).clearLeftovers(BUNDLE)).toEqual({ removed: [], fixed: [], kept: [] });
    expect(await localArchive(root).clearLeftovers(dailyBundlePath('2026-12-01'))).toEqual({
      removed: [],
      fixed: [],
      kept: [],
    });
    expect(await tree(root)).toEqual(before);
  });

  it('judges a staging name by its writer, or by its age when it names none from this host', () => {
    const now = Date.now();
    expect(judgeStaging(stagingName('24', deadPid()), now, now).stale).toBe(true);
    expect(judgeStaging(stagingName('24', process.pid), now, now).stale).toBe(false);
    // A process before this one had its pid (every run in a container may be pid 1): its leftover is stale.
    const mine = stagingName('24', process.pid);
    const earlier = mine.replace(
      /\.([0-9a-f]{6})-Ab12Cd$/,
      (_m, nonce: string) => `.${nonce === '000000' ? '111111' : '000000'}-Ab12Cd`,
    );
    expect(judgeStaging(earlier, now, now)).toEqual({
      stale: true,
      why: `an earlier process ${process.pid} on this host was writing it (this one has its pid now)`,
    });
    // Whoever wrote it, a leftover unchanged for an hour is stale: its writer is gone or stuck.
    expect(judgeStaging(mine, now - STALE_AFTER_MS, now)).toEqual({ stale: true, why: 'unchanged for 60 minutes' });
    expect(judgeStaging('.partial-24-7@00000000-abcdef', now - STALE_AFTER_MS + 1000, now)).toEqual({
      stale: false,
      why:
        'written by a process on another host (7@00000000) and changed 59 minutes ago: it may belong to a run in ' +
        'progress (removed once unchanged for 60 minutes)',
    });
    expect(judgeStaging('.partial-24-7@00000000-abcdef', now - STALE_AFTER_MS, now).stale).toBe(true);
  });
});

describe('a run on S3 aborts the unfinished uploads a crashed run left under its bundle', () => {
  const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const mock = mockClient(client);
  afterEach(() => mock.reset());
  const now = new Date('2026-11-25T12:00:00Z');
  const archive = () => s3Archive({ client, bucket: 'reports', prefix: 'sox', now: () => now });

  it('aborts those started an hour ago or more, keeps a younger one, and names each', async () => {
    mock.on(ListMultipartUploadsCommand).resolves({
      Uploads: [
        { Key: `sox/${BUNDLE}/evidence.jsonl.gz`, UploadId: 'old', Initiated: new Date('2026-11-25T10:00:00Z') },
        { Key: `sox/${BUNDLE}/evidence.jsonl.gz`, UploadId: 'young', Initiated: new Date('2026-11-25T11:50:00Z') },
      ],
    });
    mock.on(AbortMultipartUploadCommand).resolves({});
    const done = await archive().clearLeftovers(BUNDLE);
    expect(mock.commandCalls(ListMultipartUploadsCommand)[0]!.args[0].input).toMatchObject({
      Bucket: 'reports',
      Prefix: `sox/${BUNDLE}/`,
    });
    expect(mock.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'reports', Key: `sox/${BUNDLE}/evidence.jsonl.gz`, UploadId: 'old' },
    ]);
    const url = `s3://reports/sox/${BUNDLE}/evidence.jsonl.gz`;
    expect(done).toEqual({
      removed: [
        `${url}: an unfinished upload started 2026-11-25T10:00:00.000Z, aborted (its parts never became an object)`,
      ],
      fixed: [],
      kept: [
        `${url}: an unfinished upload started 2026-11-25T11:50:00.000Z, left as it is: it may be a run still writing`,
      ],
    });
  });

  it('says it could not look rather than fail the run when listing uploads is not allowed', async () => {
    mock
      .on(ListMultipartUploadsCommand)
      .rejects(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } }));
    const done = await archive().clearLeftovers(BUNDLE);
    expect(done.removed).toEqual([]);
    expect(done.kept).toEqual([
      expect.stringMatching(
        new RegExp(
          `^s3://reports/sox/${literal(BUNDLE)}/: unfinished uploads not looked for: S3 ListMultipartUploads .*403`,
        ),
      ),
    ]);
  });
});

describe('verify names what a crash left', () => {
  it('fails on a planted .partial-x folder holding a complete bundle signed by another key, and names it', async () => {
    const root = await writableCopy(pristine, path.join(scratch, `copy-${++copies}`));
    await plantForeignStaging(root, '.partial-x');
    const report = await verifyArchive(localArchive(root));
    expect(report.ok).toBe(false);
    expect(problemsOf(report, 'daily/2026/11')).toEqual([
      '.partial-x: a staging leftover of an interrupted run ' +
        '(named for no bundle, so no run removes it: look at what it holds, then remove it)',
    ]);
    // The day itself still verifies: the leftover is named beside it, not taken for it.
    expect(problemsOf(report, DAY)).toEqual([]);
  });

  it('fails on a staging folder beside ad-hoc bundles, naming the bundle it was for', async () => {
    const root = await writableCopy(pristine, path.join(scratch, `copy-${++copies}`));
    const period = adhocPeriod('2026-11-26T05:00:00Z', '2026-11-26T17:00:00Z', TIMEZONE);
    await archivePeriod(localArchive(root), period, signer);
    const bundle = adhocBundlePath(period.from, period.to);
    await cp(path.join(root, bundle), path.join(root, 'adhoc', stagingName(path.basename(bundle), deadPid())), {
      recursive: true,
    });
    const report = await verifyArchive(localArchive(root));
    expect(report.ok).toBe(false);
    expect(problemsOf(report, 'adhoc')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^\\.partial-${literal(path.basename(bundle))}-\\d+@[0-9a-f]{8}\\.[0-9a-f]{6}-Ab12Cd: ` +
            'a staging leftover of an interrupted run ' +
            `\\(of the bundle ${literal(bundle)}: the next run of that period removes it\\)$`,
        ),
      ),
    ]);
    expect(report.summary.adhocVerified).toBe(1);
  });

  it('fails a bundle folder left 0700 and a file others cannot read; a writable copy passes', async () => {
    const root = await writableCopy(pristine, path.join(scratch, `copy-${++copies}`));
    // The copy is 0755/0644, as `aws s3 cp` or `cp -r` leave one: readable, so not named.
    expect((await verifyArchive(localArchive(root))).ok).toBe(true);
    await chmod(path.join(root, BUNDLE), 0o700);
    await chmod(path.join(root, dailyBundlePath('2026-11-23'), 'report.html'), 0o600);
    const report = await verifyArchive(localArchive(root));
    expect(report.ok).toBe(false);
    expect(problemsOf(report, DAY)).toEqual([
      'the bundle folder is mode 0700: others cannot read it (the archive makes it 0555; a run that stopped ' +
        'right after archiving it leaves 0700, and the next run of the period sets 0555)',
    ]);
    expect(problemsOf(report, '2026-11-23')).toEqual([
      'report.html: mode 0600: others cannot read it (the archive makes its files 0444)',
    ]);
  });

  it('names the temporary file of a receipt a crash left', async () => {
    const root = await writableCopy(pristine, path.join(scratch, `copy-${++copies}`));
    const receipt = receiptPath(BUNDLE, ['cfo@example.com']);
    await mkdir(path.join(root, path.dirname(receipt)), { recursive: true });
    const temp = `${path.dirname(receipt)}/${stagingName(path.basename(receipt), deadPid())}`;
    await writeFile(path.join(root, temp), '{}');
    const report = await verifyArchive(localArchive(root));
    expect(report.problems).toEqual([
      `${temp}: a staging leftover of an interrupted run (the next run of its period removes it)`,
    ]);
    expect(report.ok).toBe(false);
  });
});

describe('the outbox', () => {
  it('removes the temporary file a dead run left for the same delivery, and keeps every other', async () => {
    const dir = path.join(scratch, `outbox-${++copies}`);
    await mkdir(dir);
    const key = deliveryKey('/srv/reports', BUNDLE, ['cfo@example.com']);
    const name = `${key.replace(/[^A-Za-z0-9._-]+/g, '-')}.eml`;
    const dead = stagingName(name, deadPid());
    const mine = stagingName(name, process.pid);
    const otherDelivery = stagingName(`x-${name}`, deadPid());
    for (const file of [dead, mine, otherDelivery]) await writeFile(path.join(dir, file), 'half a message');
    const sent = await outboxMailer(dir).send(
      { from: 'a@example.com', to: ['cfo@example.com'], subject: 's', raw: new TextEncoder().encode('m') },
      { key },
    );
    expect(path.basename(sent.location)).toBe(name);
    expect((await readdir(dir)).sort()).toEqual([mine, name, otherDelivery].sort());
  });
});

describe('messages of a read-only archive name the file and say that nothing was archived', () => {
  it('staging the evidence, and writing a key or receipt file', async (ctx) => {
    const root = path.join(scratch, `ro-${++copies}`);
    await mkdir(root);
    if (!mountTmpfs(root, '1m')) return ctx.skip(NO_TMPFS);
    try {
      await mkdir(path.join(root, 'daily/2026/11'), { recursive: true });
      spawnSync('mount', ['-o', 'remount,ro', root]);
      const archive = localArchive(root);
      await expect(archive.stageFile(BUNDLE, 'evidence.jsonl.gz')).rejects.toThrow(
        new RegExp(
          `^archive ${literal(root)}: ${literal(BUNDLE)}/evidence\\.jsonl\\.gz could not be staged in ` +
            `${literal(path.join(root, 'daily/2026/11'))} \\(EROFS: read-only file system, mkdtemp .*\\); ` +
            'nothing of this bundle was archived$',
        ),
      );
      await expect(archive.writeOnce('keys/k.pem', 'key')).rejects.toThrow(
        new RegExp(`^archive ${literal(root)}: keys/k\\.pem could not be written \\(EROFS: read-only file system`),
      );
      expect(await readdir(root)).toEqual(['daily']);
    } finally {
      unmount(root);
    }
  });
});

describe('crash points (tests only)', () => {
  it('name every step a write passes, and do nothing unless the environment names one', () => {
    expect(
      [
        { file: 'intent-20261125T000000Z-ab12.json' },
        { file: 'evidence.jsonl.gz' },
        { file: 'report.json' },
        { file: 'report.html' },
        { file: 'report.pdf' },
        { file: 'manifest.json.sig' },
        { file: 'manifest.json' },
        { placed: BUNDLE },
      ].map(crashPointOfWrite),
    ).toEqual(CRASH_POINTS.slice(1, 9));
    const saved = process.env[CRASH_ENV];
    try {
      delete process.env[CRASH_ENV];
      for (const point of CRASH_POINTS) crashPoint(point);
      // Another point, or one that is no point: still alive.
      process.env[CRASH_ENV] = 'archived';
      crashPoint('email-sent');
      process.env[CRASH_ENV] = 'no-such-point';
      for (const point of CRASH_POINTS) crashPoint(point);
    } finally {
      if (saved === undefined) delete process.env[CRASH_ENV];
      else process.env[CRASH_ENV] = saved;
    }
  });
});

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
