import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoConfig } from '../../functions/cli/demo.js';
import { freePort } from '../../functions/local/free-port.js';
import { soxReport } from '../support/cli.js';
import { startTestBed, type TestBed } from '../support/hub.js';

describe('sox-report CLI against nats-server 2.10.27', () => {
  let bed: TestBed;
  let dir: string;
  let configFile: string;

  beforeAll(async () => {
    bed = await startTestBed('2.10.27', { provision: false });
    dir = await mkdtemp(path.join(tmpdir(), 'sox-cli-'));
    configFile = path.join(dir, 'config.json');
    await writeFile(configFile, JSON.stringify(demoConfig(bed.hub.url, bed.hub.passwords, path.join(dir, 'archive'))));
  });
  afterAll(async () => {
    await bed?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('provisions with --dry-run first, then for real, then finds everything in place', async () => {
    const dry = await soxReport(['provision', '--config', configFile, '--dry-run']);
    expect(dry.stdout).toContain('would create audit/SYS_EVENTS');
    // The application's own stream is not there yet and has no subjects in the configuration to create it with.
    expect(dry.stdout).toContain('MISSING app/TRANSACTIONS');
    expect(dry.stdout).toMatch(
      /^would create incident stream INCIDENTS: subjects sox\.incidents\.>; .*deny_delete, deny_purge/m,
    );
    expect(dry.code).toBe(3);
    const nc = await connect({ servers: bed.hub.url, user: 'audit', pass: bed.hub.passwords.audit });
    const jsm = await jetstreamManager(nc);
    await expect(jsm.streams.info('SYS_EVENTS')).rejects.toThrow(/not found/);
    await expect(jsm.streams.info('INCIDENTS')).rejects.toThrow(/not found/);

    const real = await soxReport(['provision', '--config', configFile]);
    expect(real.stdout).toMatch(/^created audit\/SYS_EVENTS: .*no_ack$/m);
    const sys = await jsm.streams.info('SYS_EVENTS');
    expect(sys.config).toMatchObject({
      storage: 'file',
      deny_delete: true,
      deny_purge: true,
      allow_rollup_hdrs: false,
      discard: 'old',
      no_ack: true,
    });
    expect((await jsm.streams.info('APP_JS_ADVISORIES')).config.subjects).toEqual(['APP.$JS.EVENT.ADVISORY.>']);
    expect((await jsm.streams.info('AUDIT_JS_ADVISORIES')).config.subjects).toEqual(['$JS.EVENT.ADVISORY.>']);
    expect(real.stdout).toMatch(/^created incident stream INCIDENTS/m);
    expect((await jsm.streams.info('INCIDENTS')).config).toMatchObject({
      subjects: ['sox.incidents.>'],
      deny_delete: true,
      deny_purge: true,
    });

    const app = await connect({ servers: bed.hub.url, user: 'app', pass: bed.hub.passwords.app });
    const appJsm = await jetstreamManager(app);
    await appJsm.streams.add({ name: 'TRANSACTIONS', subjects: ['tx.>'] });
    const again = await soxReport(['provision', '--config', configFile]);
    expect(again.stdout).toContain('ok audit/SYS_EVENTS: already tamper-resistant');
    // The application created its stream without protection: reported, never changed behind its back.
    expect(again.stdout).toMatch(/DRIFT app\/TRANSACTIONS: .*deny_delete is off.*deny_purge is off/);
    expect(again.code).toBe(3);
    expect((await appJsm.streams.info('TRANSACTIONS')).config.deny_delete).toBe(false);
    await app.close();
    await nc.close();
  });

  it('runs a period and prints where the bundle was archived, then says it exists on a rerun', async () => {
    const from = new Date(Date.now() - 60_000).toISOString();
    const to = new Date().toISOString();
    const first = await soxReport(['run', '--config', configFile, '--from', from, '--to', to, '--json']);
    expect(first.stderr).not.toContain(bed.hub.passwords.audit);
    expect(first.code).toBe(0);
    const out = JSON.parse(first.stdout.trim()) as Record<string, string | boolean> & {
      reportDir: string;
      reportJson: string;
      email: string;
    };
    expect(out.existed).toBe(false);
    expect(out.reportJson).toBe(path.join(out.reportDir, 'report.json'));
    for (const [key, file] of [
      ['reportHtml', 'report.html'],
      ['reportPdf', 'report.pdf'],
      ['manifest', 'manifest.json'],
    ] as const) {
      expect(out[key]).toBe(path.join(out.reportDir, file));
      expect((await stat(out[key] as string)).size).toBeGreaterThan(100);
    }
    expect(out.email.startsWith(path.join(dir, 'outbox'))).toBe(true);
    expect((await readFile(out.email, 'utf8')).slice(0, 20000)).toContain('Content-Type: application/pdf');
    expect(out.reportDir.startsWith(path.join(dir, 'archive', 'adhoc'))).toBe(true);
    const report = JSON.parse(await readFile(out.reportJson, 'utf8'));
    expect(report.schema).toBe('sox-report/v1');
    expect(report.period).toMatchObject({ kind: 'adhoc', timezone: 'America/New_York' });
    const second = await soxReport(['run', '--config', configFile, '--from', from, '--to', to, '--json']);
    expect(second.code).toBe(0);
    // A rerun reads nothing, writes nothing and sends nothing: it points at what is archived.
    const { email: _sent, ...where } = out;
    expect(JSON.parse(second.stdout.trim())).toEqual({ ...where, existed: true });
  });

  it('writes a daily report into daily/YYYY/MM/DD of the archive given on the command line', async () => {
    const archive = path.join(dir, 'other-archive');
    const result = await soxReport([
      'run',
      '--config',
      configFile,
      '--date',
      '2026-01-15',
      '--archive',
      archive,
      '--json',
    ]);
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout.trim());
    expect(out.reportDir).toBe(path.join(archive, 'daily/2026/01/15'));
    const report = JSON.parse(await readFile(out.reportJson, 'utf8'));
    // 2026-01-15 in New York is 05:00Z to 05:00Z the next day.
    expect(report.period).toMatchObject({
      from: '2026-01-15T05:00:00.000000000Z',
      to: '2026-01-16T05:00:00.000000000Z',
      kind: 'daily',
      date: '2026-01-15',
    });
    expect(report.streams.every((s: { messages: number }) => s.messages === 0)).toBe(true);
  });

  it.each([
    [['--date', '2026-02-30'], /--date: "2026-02-30" is not a calendar date/],
    [
      ['--from', '2026-01-02T00:00:00Z', '--to', '2026-01-01T00:00:00Z'],
      /from \(2026-01-02T00:00:00.000000000Z\) must be before to/,
    ],
    [['--from', '2026-01-01T00:00:00Z', '--to', '2999-01-01T00:00:00Z'], /in the future/],
    [['--from', 'yesterday', '--to', '2026-01-01T00:00:00Z'], /--from: "yesterday" is not an ISO 8601 instant/],
    [
      ['--date', '2026-01-01', '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-02T00:00:00Z'],
      /either --date or --from\/--to/,
    ],
    [['--from', '2026-01-01T00:00:00Z'], /--from needs --to/],
  ])('refuses a bad period %j with exit 2 and a message saying what is wrong', async (args, message) => {
    const result = await soxReport(['run', '--config', configFile, ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('refuses a bad configuration with exit 2, naming the key, without printing secrets', async () => {
    const document = demoConfig(bed.hub.url, bed.hub.passwords, dir) as {
      timezone: string;
      sources: { nats: { servers: string[] } }[];
    };
    document.timezone = 'Mars/Olympus_Mons';
    document.sources[1]!.nats.servers = ['not a url'];
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify(document));
    const result = await soxReport(['run', '--config', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('timezone: is not a known IANA time zone');
    expect(result.stderr).toContain('sources[1].nats.servers[0]: must be a NATS URL');
    expect(result.stderr).not.toContain(bed.hub.passwords.audit);
    expect(result.stderr).not.toContain(bed.hub.passwords.app);
    const missing = await soxReport(['run', '--config', path.join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read configuration file');
  });

  it('fails with exit 1 and names the source when its server cannot be reached', async () => {
    const port = await freePort();
    const unreachable = path.join(dir, 'unreachable.json');
    const document = demoConfig(`nats://127.0.0.1:${port}`, bed.hub.passwords, path.join(dir, 'archive-x')) as {
      sources: { nats: { connectTimeoutSeconds?: number } }[];
    };
    document.sources[0]!.nats.connectTimeoutSeconds = 2;
    await writeFile(unreachable, JSON.stringify(document));
    const result = await soxReport(['run', '--config', unreachable, '--date', '2026-01-15']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot connect to NATS for source "audit" at nats://127.0.0.1:${port}`);
    expect(result.stderr).not.toContain(bed.hub.passwords.audit);
  });

  it('refuses wrong credentials with exit 1 and a hint, without echoing the password', async () => {
    const wrong = path.join(dir, 'wrong.json');
    const passwords = { ...bed.hub.passwords, audit: 'definitely-wrong-Secret-123' };
    await writeFile(wrong, JSON.stringify(demoConfig(bed.hub.url, passwords, path.join(dir, 'archive-y'))));
    const result = await soxReport(['run', '--config', wrong, '--date', '2026-01-15']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/source "audit".*check the user, password, token or creds/);
    expect(result.stderr).not.toContain('definitely-wrong-Secret-123');
  });
});
