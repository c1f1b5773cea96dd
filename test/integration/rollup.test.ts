import { execFileSync } from 'node:child_process';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DateTime } from 'luxon';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import type { ReportV1 } from '../../functions/analysis/report-model.js';
import { dailyBundlePath } from '../../functions/archive/layout.js';
import type { Attestation } from '../../functions/attest/model.js';
import { ensureAttestationStream } from '../../functions/attest/stream.js';
import { localArchive } from '../../functions/archive/local.js';
import { verifyArchive } from '../../functions/archive/verify.js';
import { demoConfig } from '../../functions/cli/demo.js';
import { terminalPorts } from '../../functions/cli/ports.js';
import { loadConfigFile } from '../../functions/config/load.js';
import { dailyPeriod } from '../../functions/config/period.js';
import type { Config } from '../../functions/config/schema.js';
import { NATS_VERSIONS } from '../../functions/local/nats-binaries.js';
import { runReport } from '../../functions/pipeline/run-report.js';
import { sha256 } from '../../functions/seal/manifest.js';
import { connectSource } from '../../functions/source/connect.js';
import { formatInstant } from '../../functions/time/nanos.js';
import { soxReport } from '../support/cli.js';
import { startTestBed, type TestBed, addTransactionsStream } from '../support/hub.js';

const VERSION = NATS_VERSIONS[NATS_VERSIONS.length - 1]!;
const quiet = () => undefined;
const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as ReportV1;
const sum = (reports: ReportV1[], figure: (r: ReportV1) => number) => reports.reduce((n, r) => n + figure(r), 0);

/** The application's TRANSACTIONS stream, which the configuration reads, made as the application makes it. */
/**
 * The demo's daily series (calendar days before today in the configured zone, run for real against a fresh
 * nats-server), rolled up by the CLI from the sealed bundles alone; then a copy with one day edited, and a span with
 * a day missing.
 */
describe(`sox-report rollup over a daily series on nats-server ${VERSION}`, () => {
  let bed: TestBed;
  let config: Config;
  let configFile: string;
  let archive: string;
  let days: string[];
  let dailies: ReportV1[];
  let manifests: string[];
  let rolled: { code: number; stdout: string; stderr: string };
  let rollupDir: string;

  beforeAll(async () => {
    bed = await startTestBed(VERSION);
    await addTransactionsStream(bed);
    archive = path.join(bed.dir, 'archive');
    configFile = path.join(bed.dir, 'sox-report.json');
    await writeFile(configFile, JSON.stringify(demoConfig(bed.hub.url, bed.hub.passwords, archive)));
    config = await loadConfigFile(configFile);
    const today = DateTime.now().setZone(config.timezone);
    days = [4, 3, 2].map((back) => today.minus({ days: back }).toISODate()!);
    const ports = { ...(await terminalPorts(config, { log: quiet })), alerts: null };
    for (const date of days) await runReport(config, dailyPeriod(date, config.timezone), ports);
    const folders = days.map((d) => path.join(archive, dailyBundlePath(d)));
    dailies = await Promise.all(folders.map((f) => readJson(path.join(f, 'report.json'))));
    manifests = await Promise.all(folders.map(async (f) => sha256(await readFile(path.join(f, 'manifest.json')))));
    rolled = await soxReport(['rollup', '--config', configFile, '--from', days[0]!, '--to', days[2]!, '--json']);
    rollupDir = path.join(archive, 'rollup', `${days[0]}_${days[2]}`);
  }, 180_000);

  afterAll(async () => {
    await bed?.close();
  });

  it('exits 0, prints what run prints and emails the rollup', async () => {
    expect(rolled.stderr).toContain(`${days[1]}: verified`);
    expect(rolled.code).toBe(0);
    const { email, ...paths } = JSON.parse(rolled.stdout) as Record<string, unknown>;
    expect(paths).toEqual({
      reportDir: rollupDir,
      reportJson: path.join(rollupDir, 'report.json'),
      reportPdf: path.join(rollupDir, 'report.pdf'),
      reportHtml: path.join(rollupDir, 'report.html'),
      manifest: path.join(rollupDir, 'manifest.json'),
      existed: false,
    });
    // Emailed like a daily, into the configured outbox: a rollup of its days, every day verified.
    expect(path.dirname(email as string)).toBe(path.join(bed.dir, 'outbox'));
    const message = await simpleParser(await readFile(email as string));
    expect(message.subject).toContain(`— rollup of ${days[0]} to ${days[2]} (${config.timezone}) —`);
    expect(message.text).toContain(
      'DAYS MISSING OR FAILING VERIFICATION\n  None: every day rests on a verified daily bundle.\n',
    );
  });

  it('rests on every daily bundle by its manifest SHA-256, with the sums of the dailies', async () => {
    const report = await readJson(path.join(rollupDir, 'report.json'));
    const first = dailyPeriod(days[0]!, config.timezone);
    expect(report.period).toEqual({
      from: dailies[0]!.period.from,
      to: dailies[2]!.period.to,
      timezone: config.timezone,
      kind: 'rollup',
    });
    expect(report.period.from).toBe(formatInstant(first.from));
    expect(report.rollup!.days).toEqual(
      days.map((date, i) => ({
        date,
        bundle: dailyBundlePath(date),
        status: 'verified',
        manifestSha256: manifests[i],
        problems: [],
        figures: {
          messages: sum([dailies[i]!], (r) => r.streams.reduce((n, s) => n + s.messages, 0)),
          transactions: dailies[i]!.transactions.total,
          connects: dailies[i]!.connections.connects,
          authFailures: dailies[i]!.authFailures.total,
          changes: dailies[i]!.jetstreamSummary.changes,
          incidentsOpened: 0,
          incidentsResolved: 0,
          failingControls: dailies[i]!.controls.filter((c) => c.status === 'fail').map((c) => c.id),
        },
      })),
    );
    expect(report.rollup).toMatchObject({ first: days[0], last: days[2], verified: 3, failed: 0, missing: 0 });
    expect(report.transactions.total).toBe(sum(dailies, (r) => r.transactions.total));
    expect(report.connections.connects).toBe(sum(dailies, (r) => r.connections.connects));
    expect(report.authFailures.total).toBe(sum(dailies, (r) => r.authFailures.total));
    expect(report.streams.map((s) => [s.stream, s.messages])).toEqual(
      dailies[0]!.streams.map((s) => [
        s.stream,
        sum(dailies, (r) => r.streams.find((x) => x.stream === s.stream)!.messages),
      ]),
    );
    expect(report.controls[0]).toEqual({
      id: 'rollup-coverage',
      title: 'Every day of the rollup rests on a verified daily bundle',
      status: 'pass',
      detail: 'all 3 days rest on a verified daily bundle',
    });
    const ids = dailies[2]!.controls.map((c) => c.id);
    expect(report.controls.map((c) => c.id)).toEqual(['rollup-coverage', ...ids]);
  });

  it('shows the days and the bundles in the HTML, and the PDF is signed', async () => {
    const html = await readFile(path.join(rollupDir, 'report.html'), 'utf8');
    expect(html).toContain('Rollup: the days and the daily bundles');
    expect(html).toContain(`Rollup report for ${days[0]} to ${days[2]}`);
    for (const sha of manifests) expect(html).toContain(sha);
    expect((await stat(path.join(rollupDir, 'report.pdf'))).size).toBeGreaterThan(1000);
  });

  it('verify --recompute passes on the archive with the rollup in it', async () => {
    const verified = await verifyArchive(localArchive(archive), { recompute: true });
    expect(verified.problems).toEqual([]);
    expect(verified.entries.filter((e) => !e.ok)).toEqual([]);
    expect(verified.entries.find((e) => e.kind === 'rollup')).toEqual({
      bundle: `rollup/${days[0]}_${days[2]}`,
      date: null,
      kind: 'rollup',
      status: 'ok',
      ok: true,
      problems: [],
      notes: ['rests on 3 daily manifests, each the one archived'],
    });
    expect(verified.summary.rollupVerified).toBe(1);
    expect(verified.ok).toBe(true);
    const cli = await soxReport(['verify', archive, '--recompute']);
    expect(cli.code).toBe(0);
  });

  it('leaves an archived rollup as it is', async () => {
    const again = await soxReport(['rollup', '--config', configFile, '--from', days[0]!, '--to', days[2]!]);
    expect(again).toMatchObject({ code: 0, stdout: `already archived: ${rollupDir}\n` });
  });

  it('names a tampered day as failing verification, fails coverage, and still produces the rollup', async () => {
    const copy = path.join(bed.dir, 'archive-tampered');
    execFileSync('cp', ['-a', archive, copy]);
    execFileSync('rm', ['-rf', path.join(copy, 'rollup')]);
    const folder = path.join(copy, dailyBundlePath(days[1]!));
    const file = path.join(folder, 'report.json');
    const edited = await readJson(file);
    edited.transactions.total += 7;
    const bytes = `${JSON.stringify(edited, null, 2)}\n`;
    await chmod(folder, 0o755);
    await chmod(file, 0o644);
    await writeFile(file, bytes);
    await chmod(file, 0o444);
    await chmod(folder, 0o555);
    const manifest = JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8')) as {
      artifacts: { path: string; sha256: string }[];
    };
    const listed = manifest.artifacts.find((a) => a.path === 'report.json')!.sha256;

    const result = await soxReport([
      'rollup',
      '--config',
      configFile,
      '--archive',
      copy,
      '--from',
      days[0]!,
      '--to',
      days[2]!,
    ]);
    const dir = path.join(copy, 'rollup', `${days[0]}_${days[2]}`);
    expect(result).toMatchObject({ code: 0, stdout: `archived: ${dir}\n` });
    const report = await readJson(path.join(dir, 'report.json'));
    const day = report.rollup!.days[1]!;
    expect(day).toMatchObject({ date: days[1], status: 'failed', manifestSha256: manifests[1], figures: null });
    expect(day.problems).toContain(`report.json: SHA-256 is ${sha256(bytes)}, the manifest says ${listed}`);
    expect(report.rollup).toMatchObject({ verified: 2, failed: 1, missing: 0 });
    expect(report.controls[0]).toEqual({
      id: 'rollup-coverage',
      title: 'Every day of the rollup rests on a verified daily bundle',
      status: 'fail',
      detail: `1 day failed verification (${days[1]}); 2 of 3 days counted in the figures`,
    });
    expect(report.transactions.total).toBe(dailies[0]!.transactions.total + dailies[2]!.transactions.total);
    // verify itself names the next day too: its recorded previous report is no longer the one archived.
    const verified = await verifyArchive(localArchive(copy), { recompute: true });
    expect(verified.entries.filter((e) => !e.ok).map((e) => [e.bundle, e.problems.length])).toEqual([
      [dailyBundlePath(days[1]!), 2],
      [dailyBundlePath(days[2]!), 1],
    ]);
    expect(result.stderr).toContain(
      `${days[2]}: its only problem is the report of ${days[1]}, which failed verification itself: counted`,
    );
    expect(verified.entries.find((e) => e.kind === 'rollup')?.ok).toBe(true);
  });

  it('names a missing day, fails coverage, and still produces the rollup', async () => {
    const before = DateTime.fromISO(days[0]!).minus({ days: 1 }).toISODate()!;
    const result = await soxReport(['rollup', '--config', configFile, '--from', before, '--to', days[2]!, '--json']);
    expect(result.code).toBe(0);
    const report = await readJson(JSON.parse(result.stdout).reportJson as string);
    expect(report.rollup!.days[0]).toEqual({
      date: before,
      bundle: dailyBundlePath(before),
      status: 'missing',
      manifestSha256: null,
      problems: ['no daily bundle for the day'],
      figures: null,
    });
    expect(report.rollup).toMatchObject({ verified: 3, failed: 0, missing: 1 });
    expect(report.controls[0]).toMatchObject({
      status: 'fail',
      detail: `1 day missing (${before}); 3 of 4 days counted in the figures`,
    });
  });

  describe('sign-offs', () => {
    const attestCli = (which: string[], by: string, decision: string, note?: string) =>
      soxReport([
        'attest',
        ...which,
        '--by',
        by,
        '--decision',
        decision,
        ...(note ? ['--note', note] : []),
        '--config',
        configFile,
        '--json',
      ]);
    const recorded = (result: { code: number; stdout: string }) => {
      expect(result.code).toBe(0);
      return JSON.parse(result.stdout) as Attestation;
    };
    const reviewOf = (i: number, a: Attestation) => ({
      by: a.by,
      decision: a.decision,
      note: a.note,
      at: a.at,
      manifestSha256: manifests[i],
      identity: { nats: { account: 'AUDIT', user: 'audit' }, iamPrincipal: null },
    });
    let ann: Attestation;

    beforeAll(async () => {
      const audit = config.sources[0]!;
      const nc = await connectSource(audit.name, audit.nats);
      await ensureAttestationStream(await jetstreamManager(nc), config);
      await nc.close();
    });

    it('attest --rollup signs off the rollup bundle by its manifest SHA-256', async () => {
      const rollupSha = sha256(await readFile(path.join(rollupDir, 'manifest.json')));
      const a = recorded(await attestCli(['--rollup', `${days[0]}_${days[2]}`], 'Rita', 'approved', 'trend fine'));
      expect(a).toMatchObject({
        bundle: `rollup/${days[0]}_${days[2]}`,
        decision: 'approved',
        note: 'trend fine',
        by: 'Rita',
        manifestSha256: rollupSha,
        identity: { nats: { account: 'AUDIT', user: 'audit' }, iamPrincipal: null },
      });
      const listed = await soxReport(['attestations', 'list', '--config', configFile, '--json']);
      const record = JSON.parse(listed.stdout) as { attestations: { attestation: Attestation }[] };
      expect(record.attestations.map((s) => s.attestation)).toEqual([a]);
    });

    it.each([
      [
        '2020-01-01_2020-01-31',
        '--rollup: the rollup of 2020-01-01 to 2020-01-31 (rollup/2020-01-01_2020-01-31) is not in the archive ' +
          '(no manifest.json): nothing to attest',
      ],
      [
        '2026-11',
        '--rollup: "2026-11" is not a rollup\'s FROM_TO (two calendar days YYYY-MM-DD_YYYY-MM-DD, the first ' +
          'not after the last, as in rollup/<from>_<to>)',
      ],
      [
        '2026-11-30_2026-11-01',
        '--rollup: "2026-11-30_2026-11-01" is not a rollup\'s FROM_TO (two calendar days ' +
          'YYYY-MM-DD_YYYY-MM-DD, the first not after the last, as in rollup/<from>_<to>)',
      ],
    ])('attest --rollup %s exits 2, naming it', async (fromTo, message) => {
      const result = await soxReport([
        'attest',
        '--rollup',
        fromTo,
        '--by',
        'Rita',
        '--decision',
        'approved',
        '--config',
        configFile,
      ]);
      expect(result).toEqual({ code: 2, stdout: '', stderr: `sox-report: ${message}\n` });
    });

    it('lists a signed-off day and an overdue one, and reports-reviewed fails naming the overdue day', async () => {
      ann = recorded(await attestCli(['--date', days[1]!], 'Ann', 'approved'));
      const result = await soxReport([
        'rollup',
        '--config',
        configFile,
        '--from',
        days[0]!,
        '--to',
        days[1]!,
        '--json',
      ]);
      expect(result.code).toBe(0);
      const report = await readJson(JSON.parse(result.stdout).reportJson as string);
      const asOf = DateTime.now().setZone(config.timezone).toISODate()!;
      expect(report.rollup!.reviews).toEqual({
        deadlineDays: 3,
        lookbackDays: 14,
        asOf,
        recordError: null,
        bundles: [
          { bundle: dailyBundlePath(days[0]!), date: days[0], manifestSha256: manifests[0], attestations: [] },
          {
            bundle: dailyBundlePath(days[1]!),
            date: days[1],
            manifestSha256: manifests[1],
            attestations: [reviewOf(1, ann)],
          },
        ],
      });
      expect(report.reviews).toEqual({
        deadlineDays: 3,
        lookbackDays: 14,
        asOf,
        recordError: null,
        bundles: [
          {
            bundle: dailyBundlePath(days[0]!),
            date: days[0],
            ageDays: 4,
            status: 'overdue',
            manifestSha256: manifests[0],
            attestations: [],
          },
          {
            bundle: dailyBundlePath(days[1]!),
            date: days[1],
            ageDays: 3,
            status: 'reviewed',
            manifestSha256: manifests[1],
            attestations: [reviewOf(1, ann)],
          },
        ],
        notReviewed: [dailyBundlePath(days[0]!)],
      });
      expect(report.controls.filter((c) => c.id === 'reports-reviewed')).toEqual([
        {
          id: 'reports-reviewed',
          title: 'Earlier reports were reviewed and signed off',
          status: 'fail',
          detail: `${dailyBundlePath(days[0]!)} was not reviewed within 3 days (4 days old)`,
        },
      ]);
      const html = await readFile(JSON.parse(result.stdout).reportHtml as string, 'utf8');
      expect(html).toContain(`Sign-offs of the daily reports of this rollup (deadline 3 days, judged on ${asOf})`);
      expect(html).toContain('not reviewed (overdue)');
      expect(html).toContain('Ann');
    });

    it('passes reports-reviewed when every day of the rollup is signed off, an exception with its note', async () => {
      const eve = recorded(await attestCli(['--date', days[0]!], 'Eve', 'exception', 'late ticket CHG-7'));
      const bob = recorded(await attestCli(['--bundle', dailyBundlePath(days[2]!)], 'Bob', 'approved'));
      const copy = path.join(bed.dir, 'archive-signed');
      execFileSync('cp', ['-a', archive, copy]);
      execFileSync('rm', ['-rf', path.join(copy, 'rollup')]);
      const args = ['rollup', '--config', configFile, '--archive', copy, '--from', days[0]!, '--to', days[2]!];
      const result = await soxReport([...args, '--json']);
      expect(result.code).toBe(0);
      const report = await readJson(JSON.parse(result.stdout).reportJson as string);
      expect(report.reviews!.bundles.map((b) => [b.bundle, b.ageDays, b.status, b.attestations])).toEqual([
        [dailyBundlePath(days[0]!), 4, 'reviewed', [reviewOf(0, eve)]],
        [dailyBundlePath(days[1]!), 3, 'reviewed', [reviewOf(1, ann)]],
        [dailyBundlePath(days[2]!), 2, 'reviewed', [reviewOf(2, bob)]],
      ]);
      expect(report.reviews!.notReviewed).toEqual([]);
      expect(report.controls.filter((c) => c.id === 'reports-reviewed')).toEqual([
        {
          id: 'reports-reviewed',
          title: 'Earlier reports were reviewed and signed off',
          status: 'pass',
          detail: '3 of 3 earlier daily bundles signed off',
        },
      ]);
      const html = await readFile(JSON.parse(result.stdout).reportHtml as string, 'utf8');
      expect(html).toContain('late ticket CHG-7');
    });
  });

  it.each([
    [['--month', '2026-13'], '--month: "2026-13" is not a month of the form YYYY-MM (for example 2026-11)'],
    [['--quarter', '2026-Q5'], '--quarter: "2026-Q5" is not a quarter of the form YYYY-Qn (for example 2026-Q4)'],
    [['--year', '26'], '--year: "26" is not a year of the form YYYY (for example 2026)'],
    [['--month', '2026-11', '--year', '2026'], 'use either --month or --year, not both'],
  ])('exits 2 on bad input %j, naming the option', async (args, message) => {
    const result = await soxReport(['rollup', '--config', configFile, ...args]);
    expect(result).toEqual({ code: 2, stdout: '', stderr: `sox-report: ${message}\n` });
  });
});
