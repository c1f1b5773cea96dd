import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportV1 } from '../../functions/analysis/report-model.js';
import { localArchive } from '../../functions/archive/local.js';
import { attest } from '../../functions/attest/attest.js';
import { readAttestations } from '../../functions/attest/stream.js';
import { demoConfig } from '../../functions/cli/demo.js';
import { terminalPorts } from '../../functions/cli/ports.js';
import { loadConfigFile } from '../../functions/config/load.js';
import { dailyPeriod } from '../../functions/config/period.js';
import { runReport } from '../../functions/pipeline/run-report.js';
import { connectSource } from '../../functions/source/connect.js';
import { parseInstant } from '../../functions/time/nanos.js';
import { soxReport } from '../support/cli.js';
import { startTestBed, type TestBed, addTransactionsStream } from '../support/hub.js';

describe('attestations on nats-server 2.10.27', () => {
  let bed: TestBed;
  let dir: string;
  let configFile: string;
  const manifest = '{"bundle":"daily/2026/11/24"}\n';

  beforeAll(async () => {
    bed = await startTestBed('2.10.27', { provision: false });
    dir = await mkdtemp(path.join(tmpdir(), 'sox-attest-'));
    configFile = path.join(dir, 'config.json');
    const archive = path.join(dir, 'archive');
    await writeFile(configFile, JSON.stringify(demoConfig(bed.hub.url, bed.hub.passwords, archive)));
    await mkdir(path.join(archive, 'daily/2026/11/24'), { recursive: true });
    await writeFile(path.join(archive, 'daily/2026/11/24/manifest.json'), manifest);
    await addTransactionsStream(bed);
  }, 60_000);
  afterAll(async () => bed?.close());

  it('provision creates the attestation stream with deny delete and purge', async () => {
    const result = await soxReport(['provision', '--config', configFile]);
    expect(result.stdout).toContain(
      'created attestation stream SOX_ATTESTATIONS: subjects sox.attestations.>; file storage, deny_delete, ' +
        'deny_purge, no roll-ups, discard old, no max_age',
    );
    const audit = bed.config.sources[0]!;
    const nc = await connectSource(audit.name, audit.nats);
    const { config } = await (await jetstreamManager(nc)).streams.info('SOX_ATTESTATIONS');
    await nc.close();
    expect([config.subjects, config.deny_delete, config.deny_purge, config.max_age]).toEqual([
      ['sox.attestations.>'],
      true,
      true,
      0,
    ]);
  });

  it('refuses an exception without a note and a bundle the archive lacks (exit 2)', async () => {
    const noNote = await soxReport([
      'attest',
      '--date',
      '2026-11-24',
      '--by',
      'Ann',
      '--decision',
      'exception',
      '--config',
      configFile,
    ]);
    expect(noNote).toMatchObject({
      code: 2,
      stderr: 'sox-report: --note: an exception needs a note saying what is wrong\n',
    });
    const missing = await soxReport([
      'attest',
      '--date',
      '2026-11-23',
      '--by',
      'Ann',
      '--decision',
      'approved',
      '--config',
      configFile,
    ]);
    expect(missing).toMatchObject({
      code: 2,
      stderr:
        'sox-report: --date: the daily bundle of 2026-11-23 (daily/2026/11/23) is not in the archive ' +
        '(no manifest.json): nothing to attest\n',
    });
  });

  it('records two reviewers of one bundle, keeps both, and lists them', async () => {
    const sha = createHash('sha256').update(manifest).digest('hex');
    const cli = await soxReport([
      'attest',
      '--date',
      '2026-11-24',
      '--by',
      'Ann\u001b[31m',
      '--decision',
      'approved',
      '--config',
      configFile,
    ]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(
      new RegExp(
        `^recorded: \\S+ daily/2026/11/24 approved by Ann\\\\u001B\\[31m \\[NATS AUDIT/audit\\] manifest ${sha}\\n$`,
      ),
    );
    const config = bed.config;
    const ports = {
      archive: localArchive(path.join(dir, 'archive')),
      connect: (s: (typeof config.sources)[number]) => connectSource(s.name, s.nats),
      now: () => parseInstant('2026-11-25T08:00:00Z')!,
    };
    const second = await attest(
      config,
      ports,
      { bundle: 'daily/2026/11/24', decision: 'exception', note: 'gap on 24th explained', by: 'Bob' },
      { iamPrincipal: 'arn:aws:iam::123456789012:user/bob' },
    );
    expect(second).toEqual({
      schema: 'sox-report-attestation/v1',
      bundle: 'daily/2026/11/24',
      decision: 'exception',
      note: 'gap on 24th explained',
      by: 'Bob',
      manifestSha256: sha,
      at: '2026-11-25T08:00:00.000000000Z',
      identity: { nats: { account: 'AUDIT', user: 'audit' }, iamPrincipal: 'arn:aws:iam::123456789012:user/bob' },
    });
    const audit = config.sources[0]!;
    const nc = await connectSource(audit.name, audit.nats);
    const record = await readAttestations(nc, config);
    await nc.close();
    expect(record!.attestations.map((s) => [s.seq, s.attestation.by, s.attestation.decision])).toEqual([
      [1, 'Ann\u001b[31m', 'approved'],
      [2, 'Bob', 'exception'],
    ]);
    const list = await soxReport([
      'attestations',
      'list',
      '--from',
      '2026-11-24',
      '--to',
      '2026-11-24',
      '--config',
      configFile,
    ]);
    expect(list.code).toBe(0);
    expect(
      list.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ').slice(1, 5).join(' ')),
    ).toEqual(['daily/2026/11/24 approved by Ann\\u001B[31m', 'daily/2026/11/24 exception by Bob']);
  });

  it('a daily run shows earlier sign-offs; a bundle past the deadline without one fails the control', async () => {
    const config = await loadConfigFile(configFile);
    const run = async (date: string) => {
      const ports = { ...(await terminalPorts(config, { log: () => undefined })), alerts: null };
      const result = await runReport(config, dailyPeriod(date, config.timezone), ports);
      return result.report!;
    };
    const reviewed = (r: ReportV1) => r.controls.find((c) => c.id === 'reports-reviewed')!;
    await run('2026-11-10');
    const late = await run('2026-11-14');
    expect(reviewed(late)).toMatchObject({
      status: 'fail',
      detail: 'daily/2026/11/10 was not reviewed within 3 days (4 days old)',
    });
    expect(late.reviews!.notReviewed).toEqual(['daily/2026/11/10']);

    const signed = await soxReport([
      'attest',
      '--date',
      '2026-11-10',
      '--by',
      'Carol',
      '--decision',
      'approved',
      '--config',
      configFile,
    ]);
    expect(signed.code).toBe(0);
    const next = await run('2026-11-15');
    expect(reviewed(next)).toMatchObject({
      status: 'pass',
      detail: '1 of 2 earlier daily bundles signed off; not yet due (deadline 3 days): daily/2026/11/14',
    });
    expect(next.reviews!.bundles.map((b) => [b.bundle, b.ageDays, b.status, b.attestations.map((a) => a.by)])).toEqual([
      ['daily/2026/11/14', 1, 'not-yet-due', []],
      ['daily/2026/11/10', 5, 'reviewed', ['Carol']],
    ]);
    expect(next.inputs!.reviews!.bundles[1]!.attestations[0]).toMatchObject({
      by: 'Carol',
      decision: 'approved',
      note: null,
      identity: { nats: { account: 'AUDIT', user: 'audit' }, iamPrincipal: null },
    });
    const html = await readFile(path.join(dir, 'archive/daily/2026/11/15/report.html'), 'utf8');
    expect(html).toContain('Sign-offs of earlier daily reports (deadline 3 days)');
    expect(html).toContain('Carol');
    // verify --recompute re-performs the control from the recorded inputs: no figure differs.
    const verified = await soxReport(['verify', path.join(dir, 'archive'), '--recompute', '--json']);
    const days = (JSON.parse(verified.stdout) as { entries: { bundle: string; problems: string[]; notes: string[] }[] })
      .entries;
    const sealed = ['daily/2026/11/10', 'daily/2026/11/14', 'daily/2026/11/15'];
    const recomputed = days
      .filter((d) => sealed.includes(d.bundle))
      .map((d) => [
        d.bundle,
        d.problems.filter((p) => p.startsWith('recompute')),
        d.notes.some((n) => n.startsWith('re-performed from evidence.jsonl.gz')),
      ]);
    expect(recomputed).toEqual(sealed.map((b) => [b, [], true]));
  }, 120_000);
});
