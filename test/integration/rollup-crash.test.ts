/**
 * A rollup killed at each step on a local archive, on real nats-server and the real CLI (SOX_REPORT_CRASH_AT, the
 * tests-only hook of functions/pipeline/crash-points.ts), then run again: the end is the rollup bundle beside its
 * dailies, every bundle verifying, no leftover, one whole email and its receipt.
 */
import { execFileSync } from 'node:child_process';
import { lstat, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DateTime } from 'luxon';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dailyBundlePath, receiptPath } from '../../functions/archive/layout.js';
import { localArchive } from '../../functions/archive/local.js';
import { verifyArchive } from '../../functions/archive/verify.js';
import { DEMO_RECIPIENTS, demoConfig } from '../../functions/cli/demo.js';
import { terminalPorts } from '../../functions/cli/ports.js';
import { parseConfig } from '../../functions/config/load.js';
import { dailyPeriod } from '../../functions/config/period.js';
import { NATS_VERSIONS } from '../../functions/local/nats-binaries.js';
import { CRASH_ENV, CRASH_POINTS, type CrashPoint } from '../../functions/pipeline/crash-points.js';
import { runReport } from '../../functions/pipeline/run-report.js';
import { soxReportProcess } from '../support/cli-process.js';
import { startTestBed, type TestBed, addTransactionsStream } from '../support/hub.js';
import { emlsIn, leftovers } from '../support/leftovers.js';
import { limiter } from '../support/limited.js';

const VERSION = NATS_VERSIONS.at(-1)!;
/** Two runs at a time: the machine has two cores, and nats-server needs its share. */
const PARALLEL = 2;
const TIMEOUT = 90_000;
/** A rollup writes no evidence file of its own: it passes every other point. */
const POINTS: readonly CrashPoint[] = CRASH_POINTS.filter((point) => point !== 'evidence-written');

let bed: TestBed;
/** The archive holding the sealed dailies each case starts from, and the configuration document they were made with. */
let dailies: string;
let document: Record<string, unknown>;
let days: string[];
let rollup: string;

const limited = limiter(PARALLEL);

/** The demo's configuration with its archive and outbox in `dir`, signed with the one key of the dailies. */
function configIn(dir: string): Record<string, unknown> {
  return {
    ...document,
    archive: path.join(dir, 'archive'),
    email: { ...(document.email as object), outbox: path.join(dir, 'outbox') },
  };
}

beforeAll(async () => {
  bed = await startTestBed(VERSION);
  await addTransactionsStream(bed);
  document = demoConfig(bed.hub.url, bed.hub.passwords, path.join(bed.dir, 'dailies', 'archive')) as Record<
    string,
    unknown
  >;
  const config = parseConfig(document);
  dailies = config.archive;
  const today = DateTime.now().setZone(config.timezone);
  days = [3, 2].map((back) => today.minus({ days: back }).toISODate()!);
  rollup = `rollup/${days[0]}_${days[1]}`;
  const ports = { ...(await terminalPorts(config, { log: () => undefined })), alerts: null };
  for (const date of days) await runReport(config, dailyPeriod(date, config.timezone), ports);
}, TIMEOUT);

afterAll(async () => bed?.close());

const modeOf = (where: string) =>
  lstat(where).then(
    (s) => s.mode & 0o777,
    () => null,
  );

describe.concurrent('a rollup killed at each step on a local archive, then run again', () => {
  it.each(POINTS)('at %s: the rerun completes it, and every bundle verifies', { timeout: TIMEOUT }, async (point) => {
    const dir = path.join(bed.dir, `crash-${point}`);
    execFileSync('mkdir', ['-p', dir]);
    execFileSync('cp', ['-a', dailies, path.join(dir, 'archive')]);
    const configFile = path.join(dir, 'config.json');
    await writeFile(configFile, JSON.stringify(configIn(dir)));
    const archive = path.join(dir, 'archive');
    const outbox = path.join(dir, 'outbox');
    const args = ['rollup', '--config', configFile, '--from', days[0]!, '--to', days[1]!];

    const crashed = await limited(() => soxReportProcess(args, { env: { [CRASH_ENV]: point } }));
    expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
    const passed = (step: CrashPoint) => POINTS.indexOf(point) >= POINTS.indexOf(step);
    // From its intent to its manifest the rollup is in one hidden staging folder beside its place.
    const staged = (await readdir(path.join(archive, 'rollup')).catch(() => [])).filter((n) =>
      n.startsWith('.partial-'),
    );
    expect(staged).toHaveLength(passed('intent-written') && !passed('bundle-renamed') ? 1 : 0);
    expect((await modeOf(path.join(archive, rollup, 'manifest.json'))) !== null).toBe(passed('bundle-renamed'));
    expect(await emlsIn(outbox)).toHaveLength(passed('email-sent') ? 1 : 0);

    const rerun = await limited(() => soxReportProcess(args));
    expect(rerun.code, rerun.stderr).toBe(0);
    if (staged.length > 0)
      expect(rerun.stderr).toContain(`removed what a crashed run left: ${path.join(archive, 'rollup', staged[0]!)}`);
    expect(rerun.stdout).toBe(
      `${passed('bundle-renamed') ? 'already archived' : 'archived'}: ${path.join(archive, rollup)}\n`,
    );

    const verified = await verifyArchive(localArchive(archive), { recompute: true });
    expect(verified.problems).toEqual([]);
    expect(verified.entries.map((e) => [e.bundle, e.status, e.problems])).toEqual([
      [dailyBundlePath(days[0]!), 'ok', []],
      [dailyBundlePath(days[1]!), 'ok', []],
      [rollup, 'ok', []],
    ]);
    expect(verified.ok).toBe(true);
    expect(await leftovers(archive)).toEqual([]);
    expect(await leftovers(outbox)).toEqual([]);
    expect(await modeOf(path.join(archive, rollup))).toBe(0o555);
    // One whole email, carrying the archived PDF byte for byte, and its receipt.
    const emls = await emlsIn(outbox);
    expect(emls).toHaveLength(1);
    const email = await simpleParser(await readFile(path.join(outbox, emls[0]!)));
    expect(email.attachments.map((a) => a.content)).toEqual([await readFile(path.join(archive, rollup, 'report.pdf'))]);
    expect(await readFile(path.join(archive, receiptPath(rollup, DEMO_RECIPIENTS)), 'utf8')).toContain(emls[0]);
  });
});
