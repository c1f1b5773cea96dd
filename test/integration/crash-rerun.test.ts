/**
 * Crashes, on real nats-server and the real CLI: a run killed at each step (SOX_REPORT_CRASH_AT, the tests-only
 * hook of functions/pipeline/crash-points.ts) or at a moment nobody chose (SIGKILL while it reads), and then run
 * again; a read-only archive and outbox (tmpfs remounted read-only). Whatever happened, the end is one bundle that
 * verifies, one whole email, no leftover, and the figures and incidents of a run nothing disturbed.
 */
import { createHash } from 'node:crypto';
import { cp, lstat, mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adhocBundlePath, receiptPath } from '../../functions/archive/layout.js';
import { localArchive } from '../../functions/archive/local.js';
import { verifyArchive } from '../../functions/archive/verify.js';
import { DEMO_RECIPIENTS } from '../../functions/cli/demo.js';
import { parseInstant } from '../../functions/time/nanos.js';
import { CRASH_ENV, CRASH_POINTS, type CrashPoint } from '../../functions/pipeline/crash-points.js';
import { adhocActivity } from '../support/adhoc-activity.js';
import { soxReportProcess } from '../support/cli-process.js';
import { startTestBed, type TestBed } from '../support/hub.js';
import { mountTmpfs, NO_TMPFS, remount, unmount } from '../support/tmpfs.js';
import { emlsIn, leftovers } from '../support/leftovers.js';
import { limiter } from '../support/limited.js';

/** Two runs at a time: the machine has two cores, and nats-server needs its share. */
const PARALLEL = 2;
const TIMEOUT = 90_000;

let bed: TestBed;
let configFile: string;
let from: string;
let to: string;
let bundle: string;
/** What the undisturbed run archived: its report.json without what differs from run to run, and its evidence. */
let reference: { report: string; evidenceSha256: string };

const limited = limiter(PARALLEL);

function run(archive: string, outbox: string, options: Parameters<typeof soxReportProcess>[1] = {}) {
  return limited(() =>
    soxReportProcess(
      ['run', '--config', configFile, '--from', from, '--to', to, '--archive', archive, '--outbox', outbox],
      options,
    ),
  );
}

function placesFor(name: string): { archive: string; outbox: string } {
  return { archive: path.join(bed.dir, name, 'archive'), outbox: path.join(bed.dir, name, 'outbox') };
}

beforeAll(async () => {
  bed = await startTestBed('2.10.27');
  ({ from, to, bundle, configFile } = await adhocActivity(bed, 4));
  // The undisturbed run: it also records the period's incidents, which every later run finds already recorded.
  const { archive, outbox } = placesFor('reference');
  const undisturbed = await run(archive, outbox);
  expect(undisturbed.stderr).toMatch(/archived /);
  expect(undisturbed.code).toBe(0);
  reference = await archived(archive);
}, TIMEOUT);

afterAll(async () => bed?.close());

/**
 * report.json with the run's own clock reading (generatedAt, and the detections dated by it) and what the run
 * observed of the servers as it ran (the access section and the answers it rests on) put aside.
 */
async function archived(archive: string): Promise<{ report: string; evidenceSha256: string }> {
  const folder = path.join(archive, bundle);
  const report = JSON.parse(await readFile(path.join(folder, 'report.json'), 'utf8')) as { generatedAt: string };
  const evidence = await readFile(path.join(folder, 'evidence.jsonl.gz'));
  return {
    // An incident is opened once, by the first run, and keeps that run's time (openedAt) in every later report.
    report: JSON.stringify(
      report,
      (key, value) =>
        (key === 'generatedAt' || key === 'at') && value === report.generatedAt
          ? '<now>'
          : key === 'access'
            ? '<observed when the run ran>'
            : value,
      2,
    ),
    evidenceSha256: createHash('sha256').update(evidence).digest('hex'),
  };
}

/** The end every disturbed run must reach: what the undisturbed run reached. */
async function expectTheUndisturbedEnd(archive: string, outbox: string): Promise<void> {
  const verified = await verifyArchive(localArchive(archive));
  expect(verified.entries.map((e) => [e.bundle, e.status, e.problems])).toEqual([[bundle, 'ok', []]]);
  expect(verified.ok).toBe(true);
  expect(await leftovers(archive)).toEqual([]);
  expect(await leftovers(outbox)).toEqual([]);
  const emls = await emlsIn(outbox);
  expect(emls).toHaveLength(1);
  // Whole: it parses, and carries the archived PDF byte for byte.
  const email = await simpleParser(await readFile(path.join(outbox, emls[0]!)));
  expect(email.to && !Array.isArray(email.to) ? email.to.value.map((a) => a.address) : null).toEqual(DEMO_RECIPIENTS);
  expect(email.attachments.map((a) => a.content)).toEqual([await readFile(path.join(archive, bundle, 'report.pdf'))]);
  expect(await readFile(path.join(archive, receiptPath(bundle, DEMO_RECIPIENTS)), 'utf8')).toContain(emls[0]);
  const { report, evidenceSha256 } = await archived(archive);
  expect(evidenceSha256).toBe(reference.evidenceSha256);
  expect(report).toBe(reference.report);
}

async function modeOf(where: string): Promise<number | null> {
  return lstat(where).then(
    (s) => s.mode & 0o777,
    () => null,
  );
}

/** What each crash point leaves, as the rerun finds it. */
async function expectLeftBy(point: CrashPoint, archive: string, outbox: string): Promise<void> {
  const staged = (await readdir(path.join(archive, 'adhoc')).catch(() => [])).filter((n) => n.startsWith('.partial-'));
  const sealed = await modeOf(path.join(archive, bundle, 'manifest.json'));
  const receipt = await modeOf(path.join(archive, receiptPath(bundle, DEMO_RECIPIENTS)));
  const emails = await emlsIn(outbox);
  const before = CRASH_POINTS.indexOf(point);
  const passed = (step: CrashPoint) => before >= CRASH_POINTS.indexOf(step);
  // Up to the manifest everything is in one hidden staging folder, named for the process that was writing it.
  expect(staged).toEqual(
    passed('bundle-renamed') ? [] : [expect.stringMatching(/^\.partial-.*-\d+@[0-9a-f]{8}\.[0-9a-f]{6}-/)],
  );
  expect(sealed !== null).toBe(passed('bundle-renamed'));
  if (point === 'bundle-renamed') expect(await modeOf(path.join(archive, bundle))).toBe(0o700);
  expect(emails).toHaveLength(passed('email-sent') ? 1 : 0);
  expect(receipt !== null).toBe(passed('receipt-written'));
}

describe.concurrent('a run killed at each step, then run again', () => {
  it.each(CRASH_POINTS)(
    'at %s: the rerun completes it, and the end is the undisturbed run’s',
    { timeout: TIMEOUT },
    async (point) => {
      const { archive, outbox } = placesFor(`crash-${point}`);
      const crashed = await run(archive, outbox, { env: { [CRASH_ENV]: point } });
      expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
      await expectLeftBy(point, archive, outbox);

      const rerun = await run(archive, outbox);
      expect(rerun.code, rerun.stderr).toBe(0);
      if (CRASH_POINTS.indexOf(point) < CRASH_POINTS.indexOf('bundle-renamed')) {
        expect(rerun.stderr).toContain(`removed what a crashed run left: ${path.join(archive, 'adhoc', '.partial-')}`);
        expect(rerun.stderr).toContain(`archived ${path.join(archive, bundle)}`);
      }
      if (point === 'bundle-renamed') {
        expect(rerun.stderr).toContain(
          `sealed bundle given its read-only modes: ${path.join(archive, bundle)}: mode 0700, the archive makes it ` +
            '0555: set',
        );
      }
      if (point === 'email-sent') expect(rerun.stderr).toContain('email already in the outbox');
      await expectTheUndisturbedEnd(archive, outbox);
      expect(await modeOf(path.join(archive, bundle))).toBe(0o555);
    },
  );
});

describe('a run killed by SIGKILL while it reads the streams, then run again', () => {
  it('leaves what the rerun clears, and the end is the undisturbed run’s', { timeout: TIMEOUT }, async () => {
    const { archive, outbox } = placesFor('killed');
    // Some moment after the first stream is read, not chosen by the code under test.
    const delayMs = Math.floor(Math.random() * 200);
    const killed = await run(archive, outbox, {
      kill: { when: (stderr) => /SYS_EVENTS/.test(stderr), delayMs },
    });
    expect(killed.signal, `killed ${delayMs} ms after SYS_EVENTS was read:\n${killed.stderr}`).toBe('SIGKILL');
    // The evidence was being staged: its hidden folder is all there is of the bundle.
    expect(await leftovers(archive)).toEqual([expect.stringContaining(path.join(archive, 'adhoc', '.partial-'))]);
    expect(await modeOf(path.join(archive, bundle))).toBeNull();
    const rerun = await run(archive, outbox);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toContain(`removed what a crashed run left: ${path.join(archive, 'adhoc', '.partial-')}`);
    await expectTheUndisturbedEnd(archive, outbox);
    // And as an auditor would check it: the CLI's verify.
    const verified = await limited(() => soxReportProcess(['verify', archive]));
    expect(verified.code, verified.stdout).toBe(0);
    expect(verified.stdout).toContain(`${bundle}  OK`);
  });
});

/** Every file and folder under `dir`: mode and bytes, to show that nothing stored was altered. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  const walk = async (at: string) => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      const mode = ((await lstat(full)).mode & 0o777).toString(8);
      if (entry.isDirectory()) {
        found[path.relative(dir, full)] = mode;
        await walk(full);
      } else {
        const sha = createHash('sha256')
          .update(await readFile(full))
          .digest('hex');
        found[path.relative(dir, full)] = `${mode} ${sha}`;
      }
    }
  };
  await walk(dir);
  return found;
}

describe('a read-only archive or outbox', () => {
  it('archive: the run names the file, says nothing was archived, and alters nothing stored', {
    timeout: TIMEOUT,
  }, async (ctx) => {
    const { archive, outbox } = placesFor('ro-archive');
    await mkdir(archive, { recursive: true });
    if (!mountTmpfs(archive, '8m')) return ctx.skip(NO_TMPFS);
    try {
      await cp(path.join(placesFor('reference').archive, '.'), archive, { recursive: true, preserveTimestamps: true });
      remount(archive, 'ro');
      const before = await snapshot(archive);
      // Another period (a millisecond longer): a bundle that is not there yet.
      const later = new Date(Date.parse(to) + 1).toISOString();
      const other = adhocBundlePath(parseInstant(from)!, parseInstant(later)!);
      const refused = await limited(() =>
        soxReportProcess([
          'run',
          '--config',
          configFile,
          '--from',
          from,
          '--to',
          later,
          '--archive',
          archive,
          '--outbox',
          outbox,
        ]),
      );
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `sox-report: archive ${archive}: ${other}/evidence.jsonl.gz could not be staged in ` +
          `${path.join(archive, 'adhoc')} (EROFS: read-only file system, mkdtemp `,
      );
      expect(refused.stderr).toMatch(/\); nothing of this bundle was archived\n$/);
      // The period already archived there is served from it as it is: nothing to write, nothing to send.
      const sealed = await run(archive, outbox);
      expect(sealed.code, sealed.stderr).toBe(0);
      expect(sealed.stdout).toBe(`already archived: ${path.join(archive, bundle)}\n`);
      expect(await snapshot(archive)).toEqual(before);
      expect(await emlsIn(outbox)).toEqual([]);
    } finally {
      unmount(archive);
    }
  });

  it('outbox: the run says the bundle is archived and only its email is pending; the next run sends it once', {
    timeout: TIMEOUT,
  }, async (ctx) => {
    const { archive, outbox } = placesFor('ro-outbox');
    await mkdir(outbox, { recursive: true });
    if (!mountTmpfs(outbox, '8m')) return ctx.skip(NO_TMPFS);
    try {
      remount(outbox, 'ro');
      const failed = await run(archive, outbox);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(
        new RegExp(
          `sox-report: ${literal(path.join(archive, bundle))} is archived; only its email to 2 recipient\\(s\\) is ` +
            `pending: outbox ${literal(outbox)}: \\S+\\.eml could not be written \\(EROFS: read-only file system, ` +
            'open .*\\)\\. The next run of this period sends it\\.\\n$',
        ),
      );
      expect(await readdir(outbox)).toEqual([]);
      expect((await verifyArchive(localArchive(archive))).ok).toBe(true);
      remount(outbox, 'rw');
      const rerun = await run(archive, outbox);
      expect(rerun.code, rerun.stderr).toBe(0);
      await expectTheUndisturbedEnd(archive, outbox);
    } finally {
      unmount(outbox);
    }
  });

  it('archive, after the bundle: the email goes out, the message says only its receipt is missing', {
    timeout: TIMEOUT,
  }, async (ctx) => {
    const { archive, outbox } = placesFor('ro-receipt');
    await mkdir(archive, { recursive: true });
    if (!mountTmpfs(archive, '8m')) return ctx.skip(NO_TMPFS);
    try {
      const crashed = await run(archive, outbox, { env: { [CRASH_ENV]: 'archived' } });
      expect(crashed.signal).toBe('SIGKILL');
      remount(archive, 'ro');
      const before = await snapshot(archive);
      const failed = await run(archive, outbox);
      expect(failed.code).toBe(1);
      const [eml] = await emlsIn(outbox);
      expect(failed.stderr).toContain(
        `sox-report: ${path.join(archive, bundle)} is archived and its email to 2 recipient(s) went out ` +
          `(${path.join(outbox, eml!)}); only its delivery receipt ` +
          `${path.join(archive, receiptPath(bundle, DEMO_RECIPIENTS))} is missing: archive ${archive}: ` +
          `${receiptPath(bundle, DEMO_RECIPIENTS)} could not be written (EROFS: read-only file system`,
      );
      expect(failed.stderr).toMatch(/The next run of this period writes it \(an outbox finds its message already/);
      expect(await snapshot(archive)).toEqual(before);
      remount(archive, 'rw');
      const rerun = await run(archive, outbox);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(rerun.stderr).toContain('email already in the outbox');
      await expectTheUndisturbedEnd(archive, outbox);
    } finally {
      unmount(archive);
    }
  });
});

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
