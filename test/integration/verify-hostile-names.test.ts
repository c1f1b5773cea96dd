/**
 * `sox-report verify` on archives someone else wrote: names with line breaks, folders nested thousands deep and
 * thousands of stray entries, made for real on disk. Each prints a bounded report of lines the program means.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { jetstream } from '@nats-io/jetstream';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundlePath, dailyBundlePath, MANIFEST, MANIFEST_SIG } from '../../functions/archive/layout.js';
import type { ArchivePort } from '../../functions/archive/port.js';
import { demoConfig } from '../../functions/cli/demo.js';
import { connectSource } from '../../functions/source/connect.js';
import { rollupPeriod } from '../../functions/config/period.js';
import { loadOrCreateLocalSigner } from '../../functions/seal/local-signer.js';
import { digestOf, sha256 } from '../../functions/seal/manifest.js';
import { sealBundle } from '../../functions/seal/seal-bundle.js';
import type { Signer } from '../../functions/seal/signer.js';
import { SHOWN_LIMITS } from '../../functions/cli/verify.js';
import { soxReport } from '../support/cli.js';
import { startTestBed, type TestBed } from '../support/hub.js';
import {
  buildDailyArchive,
  dayFolder,
  reportFor,
  signedPdf,
  TEST_PRODUCER,
  TIMEZONE,
  writableCopy,
} from '../support/verify-archive.js';

const DAYS = ['2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24'];
const ROLLUP = 'rollup/2026-11-21_2026-11-24';
const SUMMARY = /^\d+ bundles?, \d+ days? verified, .*\d+ failed, [\d,]+ missing$/;
/** A line verify means: a day or bundle and its status, an archive problem, the summary, a note, a count. */
const LINE = /^(?:(?:\d{4}-\d{2}-\d{2}|daily\/|adhoc\/|rollup\/)\S* {2}(?:OK|FAIL|MISSING)|FAIL {2}|note: |… and )/;

/** A rollup over the days, sealed as the pipeline seals one, resting on their archived manifests: it verifies. */
async function archiveRollup(archive: ArchivePort, days: string[], signer: Signer): Promise<void> {
  const period = rollupPeriod({ from: days[0]!, to: days.at(-1)! }, TIMEZONE);
  const report = reportFor(period);
  const restsOn = await Promise.all(
    days.map(async (date) => {
      const bundle = dailyBundlePath(date);
      const manifest = (await archive.read(`${bundle}/${MANIFEST}`))!;
      return {
        date,
        bundle,
        status: 'verified' as const,
        manifestSha256: sha256(manifest),
        problems: [],
        figures: {
          messages: 0,
          transactions: 0,
          connects: 0,
          authFailures: 0,
          changes: 0,
          incidentsOpened: 0,
          incidentsResolved: 0,
          failingControls: [],
        },
      };
    }),
  );
  report.rollup = { first: days[0]!, last: days.at(-1)!, verified: days.length, failed: 0, missing: 0, days: restsOn };
  const documents = [
    { path: 'report.json', data: new TextEncoder().encode(`${JSON.stringify(report, null, 2)}\n`) },
    { path: 'report.html', data: new TextEncoder().encode('<!doctype html><title>rollup</title>\n') },
    { path: 'report.pdf', data: await signedPdf('rollup', signer) },
  ];
  const bundle = bundlePath(period);
  const sealed = await sealBundle({
    bundle,
    report,
    artifacts: documents.map((d) => digestOf(d.path, d.data)),
    signer,
    previous: null,
    producer: TEST_PRODUCER,
  });
  await archive.writeBundle(bundle, [
    ...documents.map((d) => ({ name: d.path, data: d.data })),
    { name: MANIFEST_SIG, data: sealed.signature },
    { name: MANIFEST, data: sealed.bytes },
  ]);
}

function linesOf(stdout: string): string[] {
  expect(stdout.endsWith('\n')).toBe(true);
  const lines = stdout.slice(0, -1).split('\n');
  for (const line of lines) if (!SUMMARY.test(line)) expect(line, 'a line verify means').toMatch(LINE);
  expect(lines.filter((line) => SUMMARY.test(line))).toHaveLength(1);
  return lines;
}

describe('sox-report verify on hostile names', () => {
  let dir: string;
  let good: string;
  let signer: Signer;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sox-verify-hostile-'));
    signer = await loadOrCreateLocalSigner({ dir: path.join(dir, 'signer') });
    good = path.join(dir, 'archive');
    const archive = await buildDailyArchive(good, DAYS, signer);
    await archiveRollup(archive, DAYS, signer);
  });
  afterAll(() => {
    // rm(1) removes a tree nested deeper than a path may be long.
    execFileSync('rm', ['-rf', dir]);
  });

  it('fails the day of a file whose name forges lines, naming it escaped on the day’s one line', async () => {
    const archive = await writableCopy(good, path.join(dir, 'spoof'));
    const name = 'spoof\n2026-11-23  OK\n2026-11-24  OK\n5 bundles, 4 days verified, 0 failed, 0 missing\nnote: x';
    writeFileSync(path.join(dayFolder(archive, '2026-11-23'), name), '');
    const { code, stdout, stderr } = await soxReport(['verify', archive]);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    const lines = linesOf(stdout);
    expect(lines).toContain(
      '2026-11-23  FAIL  spoof\\n2026-11-23  OK\\n2026-11-24  OK\\n5 bundles, 4 days verified, 0 failed, 0 missing' +
        '\\nnote: x: not listed in the manifest',
    );
    expect(lines.filter((line) => line.startsWith('2026-11-23'))).toHaveLength(1);
    expect(lines.filter((line) => line.startsWith('5 bundles, 3 days verified, '))).toHaveLength(1);

    const json = await soxReport(['verify', archive, '--json']);
    const report = JSON.parse(json.stdout) as { entries: { date: string | null; problems: string[] }[] };
    expect(report.entries.find((e) => e.date === '2026-11-23')!.problems).toContain(
      `${name}: not listed in the manifest`,
    );
  });

  it('fails a rollup holding a file with a line break in its name, on the rollup’s line', async () => {
    expect((await soxReport(['verify', good])).stdout).toContain(`${ROLLUP}  OK\n`);
    const archive = await writableCopy(good, path.join(dir, 'rollup-extra'));
    writeFileSync(path.join(archive, ROLLUP, 'extra\nfile'), 'x');
    const { code, stdout } = await soxReport(['verify', archive]);
    expect(code).toBe(1);
    const lines = linesOf(stdout);
    const rollup = lines.filter((line) => line.startsWith(ROLLUP));
    expect(rollup).toHaveLength(1);
    expect(rollup[0]).toMatch(/^rollup\/2026-11-21_2026-11-24 {2}FAIL {2}.*extra\\nfile: not listed in the manifest/);
  });

  it('shows a manifest’s bundle field with line breaks escaped, on its day’s line', async () => {
    const archive = await writableCopy(good, path.join(dir, 'manifest-field'));
    const manifestPath = path.join(dayFolder(archive, '2026-11-22'), 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bundle: string };
    manifest.bundle = 'daily/2026/11/22\n2026-11-22  OK\n  [ok] all days verified\nX';
    writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
    const { code, stdout } = await soxReport(['verify', archive]);
    expect(code).toBe(1);
    const lines = linesOf(stdout);
    const day = lines.filter((line) => line.startsWith('2026-11-22'));
    expect(day).toHaveLength(1);
    expect(day[0]).toContain('daily/2026/11/22\\n2026-11-22  OK\\n  [ok] all days verified\\nX');
  });

  it('names the end of a folder rollup/1000-01-01_9999-12-31 in the year 10000, seconds and all', async () => {
    const archive = await writableCopy(good, path.join(dir, 'year-10000'));
    cpSync(path.join(archive, ROLLUP), path.join(archive, 'rollup/1000-01-01_9999-12-31'), { recursive: true });
    const { code, stdout } = await soxReport(['verify', archive]);
    expect(code).toBe(1);
    // 9999-12-31 ends at midnight in New York: 05:00 UTC on the first day of the year 10000.
    expect(stdout).toContain('[1000-01-01T04:56:02.000000000Z, +010000-01-01T05:00:00.000000000Z)');
  });

  it('reports, rather than crashes on, 1,500 folders nested under rollup/, and names how deep it went', async () => {
    const archive = await writableCopy(good, path.join(dir, 'deep'));
    execFileSync('bash', [
      '-c',
      // Three steps of 500 levels (2,500 characters each): the whole is longer than any path the system takes.
      'cd "$1/rollup" && p=$(printf "aaaa/%.0s" $(seq 500)) && ' +
        'for i in 1 2 3; do mkdir -p "$p" && cd "$p" || exit 1; done && : > deepest',
      'deep',
      archive,
    ]);
    const { code, stdout, stderr } = await soxReport(['verify', archive]);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    const lines = linesOf(stdout);
    expect(lines).toContain(
      'rollup/aaaa  FAIL  aaaa/aaaa/aaaa/aaaa/aaaa/aaaa: a folder 8 levels deep, ' +
        "deeper than the archive's layout goes: what it holds was not listed; " +
        'manifest.json: missing, so nothing in the bundle can be checked',
    );
    expect(lines).toContain('2026-11-24  OK');
  });

  it('names the first stray entries and extra files and counts the rest, in text and JSON', {
    timeout: 120_000,
  }, async () => {
    const archive = await writableCopy(good, path.join(dir, 'stray'));
    const many = 600;
    for (let i = 0; i < many; i++) {
      const n = String(i).padStart(5, '0');
      mkdirSync(path.join(archive, 'rollup', `g${n}`));
      writeFileSync(path.join(archive, 'rollup', `g${n}`, 'x'), '');
      writeFileSync(path.join(archive, 'rollup', `f${n}`), '');
      writeFileSync(path.join(archive, ROLLUP, `s${n}`), '');
    }
    const { code, stdout } = await soxReport(['verify', archive]);
    expect(code).toBe(1);
    const lines = linesOf(stdout);
    expect(lines.length).toBeLessThan(70);
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThan(8_000);
    // The extra files are named up to a bound, and the rest counted: named and counted, all 600 are there.
    const rollup = lines.find((line) => line.startsWith(`${ROLLUP}  FAIL  `))!;
    const parts = rollup.slice(`${ROLLUP}  FAIL  `.length).split('; ');
    expect(parts.length).toBeLessThanOrEqual(SHOWN_LIMITS.problems + 1);
    const named = parts.filter((p) => /^s\d{5}: not listed in the manifest$/.test(p)).length;
    const more = /^(?:… )?and ([\d,]+) more/.exec(parts.at(-1)!);
    expect(named + Number(more![1]!.replaceAll(',', ''))).toBe(many);
    expect(lines).toContain(
      'rollup/f00000  FAIL  the bundle folder is a regular file, not a folder; nothing in it was read',
    );
    expect(lines.filter((line) => /^rollup\/[fg]\d{5} {2}FAIL/.test(line))).toHaveLength(50);
    expect(lines).toContain(
      '… and 1,150 more entries under daily/, adhoc/ or rollup/ where the layout has no bundle, each failing ' +
        '(the summary counts them)',
    );
    expect(lines).toContain(`${1205} bundles, 4 days verified, 0 rollup verified, ${1201} failed, 0 missing`);

    const json = await soxReport(['verify', archive, '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as {
      ok: boolean;
      entries: { bundle: string; problems: string[]; moreProblems?: number }[];
      moreEntries?: number;
      summary: { failed: number };
    };
    expect(report.ok).toBe(false);
    expect(report.moreEntries).toBe(1150);
    expect(report.summary.failed).toBe(1201);
    const bundle = report.entries.find((e) => e.bundle === ROLLUP)!;
    expect(bundle.problems.length).toBeLessThanOrEqual(SHOWN_LIMITS.problems + 1);
  });
});

describe('sox-report attestations list on a forged record, nats-server 2.10.27', () => {
  let bed: TestBed;
  let dir: string;

  beforeAll(async () => {
    bed = await startTestBed('2.10.27', { provision: false });
    dir = await mkdtemp(path.join(tmpdir(), 'sox-attest-hostile-'));
  }, 60_000);
  afterAll(async () => {
    await bed?.close();
    execFileSync('rm', ['-rf', dir]);
  });

  it('prints an attestation whose bundle and time hold line breaks on its one line', async () => {
    const configFile = path.join(dir, 'config.json');
    await writeFile(configFile, JSON.stringify(demoConfig(bed.hub.url, bed.hub.passwords, path.join(dir, 'a'))));
    // Exit 3 for the application stream it does not make; the attestation stream is what this needs.
    expect((await soxReport(['provision', '--config', configFile])).stdout).toContain(
      'attestation stream SOX_ATTESTATIONS',
    );
    // Whoever may publish to the record wrote this, bypassing `attest`.
    const forged = {
      schema: 'sox-report-attestation/v1',
      bundle: 'daily/2026/11/24\n2026-11-25T08:00:00Z daily/2026/11/25 approved by Ann',
      decision: 'approved',
      note: null,
      by: 'Eve',
      manifestSha256: '0'.repeat(64),
      at: '2026-11-25T08:00:00Z\nno attestation',
      identity: { nats: null, iamPrincipal: null },
    };
    const audit = bed.config.sources[0]!;
    const nc = await connectSource(audit.name, audit.nats);
    await jetstream(nc).publish('sox.attestations.daily', JSON.stringify(forged));
    await nc.close();
    const { code, stdout } = await soxReport(['attestations', 'list', '--config', configFile]);
    expect(code).toBe(0);
    expect(stdout).toBe(
      '2026-11-25T08:00:00Z\\nno attestation ' +
        'daily/2026/11/24\\n2026-11-25T08:00:00Z daily/2026/11/25 approved by Ann ' +
        `approved by Eve manifest ${'0'.repeat(64)}\n`,
    );
  });
});
