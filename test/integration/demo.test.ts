import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../..');

describe('sox-report demo: the whole flow from an empty folder', () => {
  let dir: string;
  let stdout: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sox-demo-'));
    const result = await run(
      'node',
      ['--import', 'tsx', 'functions/cli/entry.ts', 'demo', '--dir', path.join(dir, 'demo')],
      { cwd: repo, timeout: 120_000 },
    );
    stdout = result.stdout;
  }, 150_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const printed = (label: string) => {
    const line = stdout.split('\n').find((l) => l.startsWith(`${label}:`));
    if (!line) throw new Error(`the demo printed no "${label}:" line:\n${stdout}`);
    return line.slice(label.length + 1).trim();
  };

  it('prints the bundle, the documents and the email, and they exist', async () => {
    for (const label of ['report.json', 'report.html', 'report.pdf', 'manifest', 'email']) {
      expect((await readFile(printed(label))).length).toBeGreaterThan(100);
    }
    expect(printed('report.pdf').startsWith(path.join(dir, 'demo', 'reports', 'adhoc'))).toBe(true);
    expect(await readdir(path.join(dir, 'demo', 'outbox'))).toHaveLength(4);
  });

  it('reports the activity it generated', () => {
    expect(stdout).toContain('auth failures: 2 (app: 1, mallory: 1)');
    expect(stdout).toMatch(/AUDIT\/audit msg\.delete SYS_EVENTS REFUSED/);
    expect(stdout).toContain(
      'control financial-records-complete: FAIL financial records were deleted: TRANSACTIONS: ' +
        '2 records missing (seq 2, 12)',
    );
    expect(stdout).toMatch(/control no-tampering-attempts: FAIL 2 attempts against the audit record/);
  });

  it('shows the access review: servers, accounts, exports, the reporting user, what was not seen', async () => {
    expect(stdout).toMatch(/^ {2}access: configuration-file mode; servers hub1 2\.\d+\.\d+; 3 accounts$/m);
    expect(stdout).toContain('\n    account APP: exports stream $JS.EVENT.ADVISORY.>; 0 imports\n');
    expect(stdout).toContain(
      '\n  control reporting-user-read-only: FAIL the reporting user audit of account AUDIT may publish to every ' +
        "subject: give it the README's read-only permissions\n",
    );
    expect(stdout).toContain(
      '\n    not seen: encryption at rest: no endpoint states whether JetStream encrypts what it stores\n',
    );
    const html = await readFile(printed('report.html'), 'utf8');
    expect(html).toContain('Access review');
    expect(html).toContain('NOT READ-ONLY');
  });

  it('shows the incidents the activity opened, resolves one, and the next report shows who resolved it and why', () => {
    for (const rule of [
      'unknown-user: mallory',
      'message-deleted: TRANSACTIONS',
      'stream-purged: TRANSACTIONS',
      'audit-stream-attempt: SYS_EVENTS',
      'gap: TRANSACTIONS',
    ]) {
      expect(stdout).toMatch(new RegExp(`^ {2}INC-\\d{8}-[a-z-]+-[0-9a-f]{8} {2}[A-Z]+ {2}${rule}$`, 'm'));
    }
    expect(stdout).toMatch(
      new RegExp(
        /npx sox-report incidents resolve INC-\d{8}-unknown-user-[0-9a-f]{8} --config .* --by "Demo /.source +
          /Security Officer" --note/.source,
      ),
    );
    expect(stdout).toMatch(
      new RegExp(
        /^ {2}INC-\d{8}-unknown-user-[0-9a-f]{8} resolved by Demo Security Officer \(AUDIT\/audit\): /.source +
          /mallory is the penetration-test account/.source,
        'm',
      ),
    );
  });

  it('sends every incident it opened to its webhook receiver, each signed with the secret it set', async () => {
    const opened = [...stdout.matchAll(/^ {2}(INC-\d{8}-[a-z-]+-[0-9a-f]{8}) {2}[A-Z]+ {2}/gm)].map((m) => m[1]!);
    // The five rules the previous test names, and whatever else the activity opened: all of them reach the hook.
    expect(opened.length).toBeGreaterThanOrEqual(5);
    const received = [...stdout.matchAll(/^ {2}webhook received (\S+) (\S+) \(signature (\w+)\)$/gm)].map(
      (m) => `${m[1]} ${m[2]} ${m[3]}`,
    );
    for (const id of opened) expect(received).toContain(`incident.opened ${id} valid`);
    expect(received.filter((r) => !r.endsWith(' valid'))).toEqual([]);
    expect(stdout).toMatch(/^webhook receiver at http:\/\/127\.0\.0\.1:\d+, secret in SOX_DEMO_WEBHOOK_SECRET$/m);
    const config = stdout.match(/^configuration: (\S+)$/m)![1]!;
    const text = await readFile(config, 'utf8');
    const { integrations } = (JSON.parse(text) as { incidents: { integrations: Record<string, unknown>[] } }).incidents;
    expect(integrations.map((i) => [i.type, i.name, i.secretEnv])).toEqual([
      ['webhook', 'hook', 'SOX_DEMO_WEBHOOK_SECRET'],
      ['jira', 'jira', 'SOX_DEMO_JIRA_AUTH'],
    ]);
  });

  it('marks a Jira issue done in the stand-in, and the next report records it resolved by jira:<assignee>', () => {
    const done = stdout.match(
      new RegExp(
        /^(SEC-\d+) \((INC-\d{8}-message-deleted-[0-9a-f]{8})\) /.source +
          /marked Done in the Jira stand-in, assigned to Dana Analyst$/.source,
        'm',
      ),
    );
    expect(done).not.toBeNull();
    const [, key, id] = done!;
    const jira = stdout.match(/^Jira stand-in at (http:\/\/127\.0\.0\.1:\d+), email:apiToken in SOX_DEMO_JIRA_AUTH$/m);
    expect(jira).not.toBeNull();
    expect(stdout).toContain(
      `\n  ${id} resolved by jira:Dana Analyst: resolved in Jira: ${key} is Done (${jira![1]}/browse/${key})\n`,
    );
    expect(stdout).toContain(`\nthe resolution flowed back from Jira: ${id} resolved by jira:Dana Analyst (${key})\n`);
    expect(stdout).toContain(`\n  webhook received incident.resolved ${id} (signature valid)\n`);
  });

  it('ends by verifying the archive and re-performing every report from its evidence, every bundle OK', () => {
    expect(stdout).toMatch(/^sox-report verify \S+ --trust \S+ --recompute$/m);
    expect(stdout).toMatch(/^ {2}\d{4}-\d{2}-\d{2} {2}OK$/m);
    expect(stdout).toContain('4 bundles, 2 days verified, 2 ad-hoc verified, 0 failed, 0 missing');
  });

  it('prints how to read the evidence with zcat and jq, and that command works', async () => {
    const line = stdout
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.startsWith('zcat '))!;
    const { stdout: rows } = await run('bash', ['-c', line], { maxBuffer: 64 * 1024 * 1024 });
    const first = JSON.parse(rows.split('\n')[0]!) as Record<string, unknown>;
    expect(Object.keys(first)).toEqual(['stream', 'seq', 'time', 'subject']);
    const report = JSON.parse(await readFile(printed('report.json'), 'utf8')) as { streams: { messages: number }[] };
    expect(rows.trim().split('\n')).toHaveLength(report.streams.reduce((n, s) => n + s.messages, 0));
  });

  it('fails verify --recompute once a figure is edited and the manifest re-signed with the real key', async () => {
    const forged = path.join(dir, 'forged');
    await run('cp', ['-a', path.join(dir, 'demo', 'reports'), forged]);
    await run('chmod', ['-R', 'u+w', forged]);
    const bundle = path.join(
      forged,
      path.relative(path.join(dir, 'demo', 'reports'), path.dirname(printed('report.json'))),
    );
    const report = JSON.parse(await readFile(path.join(bundle, 'report.json'), 'utf8')) as {
      transactions: { total: number };
    };
    const real = report.transactions.total;
    report.transactions.total = real - 1;
    const json = Buffer.from(`${JSON.stringify(report, null, 2)}\n`);
    await writeFile(path.join(bundle, 'report.json'), json);
    const manifest = JSON.parse(await readFile(path.join(bundle, 'manifest.json'), 'utf8')) as {
      artifacts: { path: string; bytes: number; sha256: string }[];
    };
    for (const a of manifest.artifacts)
      if (a.path === 'report.json')
        Object.assign(a, { bytes: json.length, sha256: createHash('sha256').update(json).digest('hex') });
    const bytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    await writeFile(path.join(bundle, 'manifest.json'), bytes);
    // Re-signed with the demo's own key, as its holder could.
    const key = path.join(dir, 'demo', 'signing', 'signing-key.pem');
    await run('bash', [
      '-c',
      `openssl dgst -sha256 -sign ${key} -out ${path.join(bundle, 'manifest.json.sig')} ` +
        `${path.join(bundle, 'manifest.json')}`,
    ]);
    const cli = (args: string[]) =>
      run('node', ['--import', 'tsx', 'functions/cli/entry.ts', 'verify', forged, ...args], { cwd: repo }).then(
        (r) => ({ code: 0, stdout: r.stdout }),
        (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
      );
    const plain = await cli([]);
    expect(plain.stdout).not.toMatch(/FAIL/);
    const recomputed = await cli(['--recompute']);
    expect(recomputed.code).toBe(1);
    expect(recomputed.stdout).toContain(`recompute: transactions.total: report ${real - 1}, evidence ${real}`);
  });

  it('prints openssl and pdfsig commands that verify it without this software', async () => {
    const lines = stdout.split('\n').map((l) => l.trim());
    const openssl = lines.find((l) => l.startsWith('openssl dgst'))!.split(' ');
    const verified = await run(openssl[0]!, openssl.slice(1));
    expect(verified.stdout.trim()).toBe('Verified OK');
    const pdfsig = lines.find((l) => l.startsWith('pdfsig'))!.split(' ');
    const checked = await run(pdfsig[0]!, pdfsig.slice(1));
    expect(checked.stdout).toContain('Signature is Valid.');
  });
});
