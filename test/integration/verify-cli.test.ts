import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyPathOf } from '../../functions/archive/layout.js';
import { loadOrCreateLocalSigner } from '../../functions/seal/local-signer.js';
import { certificateSha256 } from '../../functions/seal/manifest.js';
import type { Signer } from '../../functions/seal/signer.js';
import { soxReport } from '../support/cli.js';
import { buildDailyArchive, dayFolder, writableCopy } from '../support/verify-archive.js';

describe('sox-report verify', () => {
  let dir: string;
  let good: string;
  let signer: Signer;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sox-verify-cli-'));
    signer = await loadOrCreateLocalSigner({ dir: path.join(dir, 'signer') });
    good = path.join(dir, 'archive');
    await buildDailyArchive(good, ['2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24'], signer);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints one line per day and the summary, and exits 0 on a good archive', async () => {
    const { code, stdout, stderr } = await soxReport(['verify', good]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.slice(0, 5)).toEqual([
      '2026-11-21  OK',
      '2026-11-22  OK',
      '2026-11-23  OK',
      '2026-11-24  OK',
      '4 bundles, 4 days verified, 0 failed, 0 missing',
    ]);
    expect(stdout).toMatch(/^note: .*--trust/m);
  });

  it('accepts the signing certificate with --trust, and --from/--to', async () => {
    const certificate = path.join(dir, 'signer', 'signing-cert.pem');
    const { code, stdout } = await soxReport([
      'verify',
      good,
      '--trust',
      certificate,
      '--from',
      '2026-11-22',
      '--to',
      '2026-11-23',
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain('2 bundles, 2 days verified, 0 failed, 0 missing');
    expect(stdout).not.toContain('--trust');
  });

  it('prints the day and the problem, and exits 1 on a tampered archive', async () => {
    const tampered = await writableCopy(good, path.join(dir, 'tampered'));
    appendFileSync(path.join(dayFolder(tampered, '2026-11-23'), 'report.html'), '<p>edited</p>');
    const { code, stdout } = await soxReport(['verify', tampered]);
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^2026-11-23 {2}FAIL {2}report\.html: \d+ bytes with SHA-256 [0-9a-f]{64}, the manifest says \d+ bytes/m,
    );
    expect(stdout).toContain('2026-11-22  OK');
    expect(stdout).toContain('4 bundles, 3 days verified, 1 failed, 0 missing');
  });

  it('prints a stray folder centuries back as one line for the missing run, and exits 1', async () => {
    const stray = await writableCopy(good, path.join(dir, 'stray'));
    mkdirSync(path.join(stray, 'daily/0001/01/01'), { recursive: true });
    writeFileSync(path.join(stray, 'daily/0001/01/01/report.json'), '{}');
    const { code, stdout } = await soxReport(['verify', stray]);
    expect(code).toBe(1);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.length).toBeLessThan(15);
    expect(lines.slice(0, 2)).toEqual([
      '0001-01-01  FAIL  manifest.json: missing, so nothing in the bundle can be checked',
      '0001-01-02  MISSING  0001-01-02 … 2026-11-20: 739,939 days missing',
    ]);
    expect(stdout).toContain('5 bundles, 4 days verified, 1 failed, 739,939 missing');
  });

  it('fails, without hanging, on a key file that is a FIFO', { timeout: 30_000 }, async () => {
    const fifo = await writableCopy(good, path.join(dir, 'fifo'));
    const keyFile = path.join(fifo, keyPathOf(signer.publicKeySha256, certificateSha256(signer.certificatePem)));
    rmSync(keyFile);
    execFileSync('mkfifo', [keyFile]);
    const { code, stdout } = await soxReport(['verify', fifo]);
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^2026-11-21 {2}FAIL {2}keys\/[0-9a-f]{64}-[0-9a-f]{64}\.pem: is a FIFO \(named pipe\), not a regular file$/m,
    );
    expect(stdout).toContain('4 bundles, 0 days verified, 4 failed, 0 missing');
  });

  it('prints the whole result as JSON with --json', async () => {
    const { code, stdout } = await soxReport(['verify', good, '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { ok: boolean; entries: { date: string; ok: boolean }[] };
    expect(report.ok).toBe(true);
    expect(report.entries.map((e) => e.date)).toEqual(['2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24']);
  });

  it('exits 2 with a clear message for bad input', async () => {
    const badDate = await soxReport(['verify', good, '--from', '2026-13-01']);
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toContain('--from: "2026-13-01" is not a calendar date of the form YYYY-MM-DD');
    expect(badDate.stdout).toBe('');

    const noTrustFile = await soxReport(['verify', good, '--trust', path.join(dir, 'nope.pem')]);
    expect(noTrustFile.code).toBe(2);
    expect(noTrustFile.stderr).toContain(`--trust: cannot read ${path.join(dir, 'nope.pem')} (ENOENT)`);

    const notPem = path.join(dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    const notAKey = await soxReport(['verify', good, '--trust', notPem]);
    expect(notAKey.code).toBe(2);
    expect(notAKey.stderr).toContain('holds no PEM certificate or public key');

    const badS3 = await soxReport(['verify', 's3://Not_A_Bucket/x']);
    expect(badS3.code).toBe(2);
    expect(badS3.stderr).toContain('is not a valid S3 location');
  });
});
