import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportV1 } from '../../functions/analysis/report-model.js';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../..');
/** A key as the documents show it beside a name: its first four characters (the first is its kind, A or U). */
const KEY = /[A-Z2-7]{3}…/.source;
const ACCOUNT_KEY = /A[A-Z2-7]{55}/.source;

// One server version (the demo runs the newest): the operator layout on both is operator-mode.test.ts's work.
describe('sox-report demo --operator: the whole flow in operator (JWT) mode', () => {
  let dir: string;
  let stdout: string;
  let report: ReportV1;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sox-demo-op-'));
    const result = await run(
      'node',
      ['--import', 'tsx', 'functions/cli/entry.ts', 'demo', '--operator', '--dir', path.join(dir, 'demo')],
      { cwd: repo, timeout: 120_000 },
    );
    stdout = result.stdout;
    const json = stdout.match(/^report\.json: (\S+)$/m)![1]!;
    report = JSON.parse(await readFile(json, 'utf8')) as ReportV1;
  }, 150_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('configures the sources with creds files and the accounts by name, and says which key each name is', async () => {
    expect(stdout).toMatch(/^operator \(JWT\) mode: accounts and users as JWTs, logins with creds files$/m);
    const config = JSON.parse(await readFile(stdout.match(/^configuration: (\S+)$/m)![1]!, 'utf8')) as {
      sources: { account: string; nats: Record<string, unknown>; streams: { account?: string }[] }[];
    };
    expect(config.sources.map((s) => [s.account, Object.keys(s.nats), s.streams.map((r) => r.account)])).toEqual([
      ['AUDIT', ['servers', 'creds'], [undefined, 'APP', 'AUDIT']],
      ['APP', ['servers', 'creds'], [undefined]],
    ]);
    for (const [where, name] of [
      ['sources\\[0\\]\\.account', 'AUDIT'],
      ['sources\\[0\\]\\.streams\\[1\\]\\.account', 'APP'],
      ['sources\\[1\\]\\.account', 'APP'],
    ]) {
      expect(stdout).toMatch(new RegExp(`^ {2}${where}: ${name} is account ${ACCOUNT_KEY}$`, 'm'));
    }
    // APP's advisories are captured on the subject AUDIT's JWT imports them on.
    expect(stdout).toMatch(/^ {2}created audit\/APP_JS_ADVISORIES: subjects APP\.\$JS\.EVENT\.ADVISORY\.>; /m);
  });

  it('reports every user and account by name beside its key', () => {
    expect(stdout).toContain('connections: 7 connects, 8 disconnects, 4 users; leaf nodes: 0');
    expect(stdout).toMatch(new RegExp(`^ {2}auth failures: 5 \\(alice \\(U${KEY}\\): 5\\)$`, 'm'));
    expect(stdout).toMatch(
      new RegExp(`^ {4}\\S+ APP \\(A${KEY}\\)/alice \\(U${KEY}\\) stream\\.delete SCRATCH ok$`, 'm'),
    );
    expect(stdout).toMatch(
      new RegExp(`^ {4}\\S+ AUDIT \\(A${KEY}\\)/admin \\(U${KEY}\\) stream\\.delete AUDIT_TMP ok$`, 'm'),
    );
    expect(report.connections.byUser.map((u) => [u.accountName, u.userName, u.connects])).toEqual([
      ['APP', 'alice', 3],
      ['AUDIT', 'admin', 2],
      ...[
        ['APP', 'app', 1],
        ['APP', 'bob', 1],
      ].sort((a, b) => {
        const key = (name: unknown) => report.connections.byUser.find((u) => u.userName === name)!.user!;
        return key(a[1]) < key(b[1]) ? -1 : 1;
      }),
    ]);
    expect(report.inputs!.accountNames!.map((a) => a.name).sort()).toEqual(['APP', 'AUDIT']);
  });

  it('opens the incidents by name, resolves one, and verifies every bundle it sealed', async () => {
    for (const rule of [
      'brute-force-user: U[A-Z2-7]{55}',
      'brute-force-host: 127\\.0\\.0\\.1',
      'stream-deleted: SCRATCH',
      'stream-deleted: AUDIT_TMP',
      'stream-settings-weakened: TRANSACTIONS',
    ]) {
      expect(stdout).toMatch(new RegExp(`^ {2}INC-\\d{8}-[a-z-]+-[0-9a-f]{8} {2}[A-Z]+ {2}${rule}$`, 'm'));
    }
    const bruteForce = report.incidents.find((i) => i.rule === 'brute-force-user')!;
    expect(bruteForce.summary).toMatch(new RegExp(`^5 failed logins for user alice \\(U${KEY}\\) within 10 minutes`));
    const html = await readFile(stdout.match(/^report\.html: (\S+)$/m)![1]!, 'utf8');
    expect(html).toMatch(new RegExp(`alice \\(U${KEY}\\)`));
    expect(html).toMatch(new RegExp(`AUDIT \\(A${KEY}\\)`));
    // Who resolved it, as the server and the creds file name the connection: names beside the keys.
    expect(stdout).toMatch(
      new RegExp(
        `^ {2}INC-\\d{8}-[a-z-]+-[0-9a-f]{8} resolved by Demo Security Officer ` +
          `\\(AUDIT \\(A${KEY}\\)/audit \\(U${KEY}\\)\\): `,
        'm',
      ),
    );
    expect(stdout).toContain('4 bundles, 2 days verified, 2 ad-hoc verified, 0 failed, 0 missing');
  });
});
