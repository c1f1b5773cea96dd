import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { natsIdentity } from '../../functions/attest/attest.js';
import type { ReportV1 } from '../../functions/analysis/report-model.js';
import { localArchive } from '../../functions/archive/local.js';
import { verifyArchive } from '../../functions/archive/verify.js';
import { terminalPorts } from '../../functions/cli/ports.js';
import type { Period } from '../../functions/config/period.js';
import { InputError } from '../../functions/errors.js';
import type { SourceConfig } from '../../functions/config/schema.js';
import { parseNatsSecret } from '../../functions/handlers/nats-secret.js';
import { resolveConfiguredAccounts } from '../../functions/source/account-directory.js';
import { connectSource } from '../../functions/source/connect.js';
import { connectionIdentity } from '../../functions/incidents/identity.js';
import { NATS_VERSIONS } from '../../functions/local/nats-binaries.js';
import { generateOperatorActivity, type OperatorLedger } from '../../functions/local/operator-activity.js';
import type { RunResult } from '../../functions/pipeline/contracts.js';
import { runReport } from '../../functions/pipeline/run-report.js';
import { nowNanos } from '../../functions/time/nanos.js';
import { startOperatorTestBed, type OperatorTestBed } from '../support/operator-hub.js';

/** How documents show a key beside its name: `alice (UC4Y…)`. */
const short = (key: string) => `${key.slice(0, 4)}…`;

describe.each(NATS_VERSIONS)('operator (JWT) mode on nats-server %s', (version) => {
  let bed: OperatorTestBed;
  let report: ReportV1;
  let result: RunResult;
  let provisioned: number;
  let provisionOutput = '';
  let ledger: OperatorLedger;
  // Before 2.10.10 an API audit record names only the account.
  const attributed = version !== '2.9.10';

  beforeAll(async () => {
    bed = await startOperatorTestBed(version);
    // What `sox-report provision` prints: the accounts it resolved, then each stream.
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      provisionOutput += String(chunk);
      return true;
    });
    try {
      provisioned = await bed.provision();
    } finally {
      write.mockRestore();
    }
    // The provisioning connection's disconnect lands before the period.
    await new Promise((r) => setTimeout(r, 300));
    const from = nowNanos();
    ledger = await generateOperatorActivity(bed.hub, { transactions: 5 });
    const period: Period = { from, to: nowNanos(), timezone: 'UTC', kind: 'adhoc' };
    result = await runReport(bed.config, period, await terminalPorts(bed.config, { log: () => undefined }));
    report = result.report!;
  });
  afterAll(async () => bed?.close());

  it('provisions the capture streams as the administrator; the reporting user may not change them', async () => {
    expect(provisioned).toBe(0);
    const { accounts } = bed.hub.layout;
    expect(provisionOutput.split('\n').slice(0, 4)).toEqual([
      `sources[0].account: AUDIT is account ${accounts.AUDIT}`,
      `sources[0].streams[1].account: APP is account ${accounts.APP}`,
      `sources[0].streams[2].account: AUDIT is account ${accounts.AUDIT}`,
      expect.stringMatching(/^created audit\/SYS_EVENTS: subjects \$SYS\.ACCOUNT\.\*\.CONNECT /),
    ]);
    expect(provisionOutput).toContain('created audit/APP_JS_ADVISORIES: subjects APP.$JS.EVENT.ADVISORY.>; ');
    const nc = await connect({
      servers: bed.hub.url,
      authenticator: credsAuthenticator(await readFile(bed.hub.layout.creds.audit)),
    });
    const jsm = await jetstreamManager(nc);
    await expect(jsm.streams.delete('SYS_EVENTS')).rejects.toThrow(/permission|timeout/i);
    await nc.close();
  });

  it('counts every message, login and change exactly, with the keys as identifiers', () => {
    const { accounts, users } = bed.hub.layout;
    const stream = (name: string) => report.streams.find((s) => s.stream === name)!;
    expect(stream('TRANSACTIONS')).toMatchObject({ firstSeq: 1, lastSeq: 5, messages: 5, gaps: [], missing: 0 });
    // 7 connects, 7 disconnects and 5 refused logins; the provisioning connection's events are before the period.
    expect(stream('SYS_EVENTS')).toMatchObject({ messages: 19, gaps: [], missing: 0 });
    expect(report.transactions).toMatchObject({
      total: 5,
      bySubject: [
        { subject: 'tx.created', count: 3 },
        { subject: 'tx.settled', count: 2 },
      ],
    });
    expect(report.connections).toMatchObject({ connects: 7, disconnects: 7, users: 4 });
    expect(
      report.connections.byUser.map((u) => [
        u.account,
        u.accountName,
        u.user,
        u.userName,
        u.connects,
        u.disconnects,
        u.clients,
      ]),
    ).toEqual([
      [accounts.APP, 'APP', users.alice, 'alice', 3, 3, ['alice-cli', 'alice-setup']],
      [accounts.AUDIT, 'AUDIT', users.admin, 'admin', 2, 2, ['admin-cli']],
      // app and bob: one login each, ordered by key.
      ...[
        [accounts.APP, 'APP', users.app, 'app', 1, 1, ['payments-svc']],
        [accounts.APP, 'APP', users.bob, 'bob', 1, 1, ['bob-cli']],
      ].sort((a, b) => ((a[2] as string) < (b[2] as string) ? -1 : 1)),
    ]);
    const alice = attributed ? { user: users.alice, userName: 'alice' } : { user: null };
    const admin = attributed ? { user: users.admin, userName: 'admin' } : { user: null };
    const app = { account: accounts.APP, accountName: 'APP', ...alice };
    const audit = { account: accounts.AUDIT, accountName: 'AUDIT', ...admin };
    expect(report.jetstreamChanges).toEqual([
      expect.objectContaining({ ...app, operation: 'stream.create', target: 'TRANSACTIONS', success: true }),
      expect.objectContaining({ ...app, operation: 'stream.create', target: 'SCRATCH', success: true }),
      expect.objectContaining({ ...app, operation: 'stream.delete', target: 'SCRATCH', success: true }),
      expect.objectContaining({ ...audit, operation: 'stream.create', target: 'AUDIT_TMP', success: true }),
      expect.objectContaining({ ...audit, operation: 'stream.delete', target: 'AUDIT_TMP', success: true }),
    ]);
    expect(report.jetstreamChanges.map((c) => 'userName' in c)).toEqual(Array(5).fill(attributed));
    expect(report.jetstreamSummary).toMatchObject({ changes: 5, refused: 0 });
  });

  it("counts the refused logins with alice's copied JWT against her key and name, and finds the brute force", () => {
    const { users } = bed.hub.layout;
    expect(ledger.failedLogins).toBe(5);
    expect(report.authFailures).toEqual({
      total: 5,
      byUser: [{ user: users.alice, userName: 'alice', count: 5 }],
      byHost: [{ host: '127.0.0.1', count: 5 }],
    });
    expect(report.authFailureEvents!.map((f) => [f.user, f.userName, f.host, f.stream])).toEqual(
      Array(5).fill([users.alice, 'alice', '127.0.0.1', 'SYS_EVENTS']),
    );
    const alice = `alice (${short(users.alice)})`;
    const byUser = report.incidents.find((i) => i.rule === 'brute-force-user')!;
    expect(byUser.subject).toBe(users.alice);
    expect(byUser.summary).toMatch(new RegExp(`^5 failed logins for user ${escapeRegExp(alice)} within 10 minutes `));
    const byHost = report.incidents.find((i) => i.rule === 'brute-force-host')!;
    expect(byHost.summary).toMatch(new RegExp(`; user names tried: ${escapeRegExp(alice)}$`));
    // Logins by a user the baseline knows: alice is no stranger, so no unknown-user incident.
    expect(report.incidents.filter((i) => i.rule === 'unknown-user')).toEqual([]);
    expect(report.baseline!.users).toEqual(
      [
        `${bed.hub.layout.accounts.APP}/${users.alice}`,
        `${bed.hub.layout.accounts.APP}/${users.app}`,
        `${bed.hub.layout.accounts.APP}/${users.bob}`,
        `${bed.hub.layout.accounts.AUDIT}/${users.admin}`,
      ].sort(),
    );
  });

  it('judges the controls on the names and keys: captured, complete, changes attributed where the server says', () => {
    const control = (id: string) => report.controls.find((c) => c.id === id)!;
    expect(control('capture-configured')).toMatchObject({
      status: 'pass',
      detail: '4 streams capture every required subject',
    });
    expect(control('audit-completeness').status).toBe('pass');
    expect(control('financial-records-complete')).toMatchObject({
      status: 'pass',
      detail: 'every record is there: TRANSACTIONS 5 records',
    });
    expect(control('changes-attributed').status).toBe(attributed ? 'pass' : 'warn');
    if (attributed) expect(control('changes-attributed').detail).toBe('all 5 changes name the user who made them');
    expect(control('auth-failures-investigated').detail).toMatch(/^2 login incidents not yet acknowledged: /);
  });

  it('resolves the accounts configured by name through the server, and records the key used for each', () => {
    const { accounts } = bed.hub.layout;
    const resolved = (path: string, configured: 'APP' | 'AUDIT') => ({
      path,
      configured,
      key: accounts[configured],
      via: 'account-info',
    });
    expect(
      report.inputs!.streamPlans!.map(({ source, stream, action, sourceAccount, account }) => ({
        source,
        stream,
        action,
        sourceAccount,
        account,
      })),
    ).toEqual([
      { source: 'audit', stream: 'SYS_EVENTS', action: 'ok', sourceAccount: resolved('sources[0].account', 'AUDIT') },
      {
        source: 'audit',
        stream: 'APP_JS_ADVISORIES',
        action: 'ok',
        sourceAccount: resolved('sources[0].account', 'AUDIT'),
        account: resolved('sources[0].streams[1].account', 'APP'),
      },
      {
        source: 'audit',
        stream: 'AUDIT_JS_ADVISORIES',
        action: 'ok',
        sourceAccount: resolved('sources[0].account', 'AUDIT'),
        account: resolved('sources[0].streams[2].account', 'AUDIT'),
      },
      // TRANSACTIONS was created by the application, not to the capture spec: what it lacks is drift.
      {
        source: 'app',
        stream: 'TRANSACTIONS',
        action: 'drift',
        sourceAccount: resolved('sources[1].account', 'APP'),
      },
    ]);
    // The evidence is attributed to the key: the streams' accounts as the run used them.
    expect(report.streams.map((s) => [s.stream, s.account])).toEqual([
      ['SYS_EVENTS', undefined],
      ['APP_JS_ADVISORIES', accounts.APP],
      ['AUDIT_JS_ADVISORIES', accounts.AUDIT],
      ['TRANSACTIONS', undefined],
    ]);
  });

  it("provisions APP's advisories on the subject AUDIT imports them on, found in AUDIT's JWT", async () => {
    const nc = await connect({
      servers: bed.hub.url,
      authenticator: credsAuthenticator(await readFile(bed.hub.layout.creds.audit)),
    });
    try {
      const jsm = await jetstreamManager(nc);
      const subjects = async (name: string) => (await jsm.streams.info(name)).config.subjects;
      expect(await subjects('APP_JS_ADVISORIES')).toEqual(['APP.$JS.EVENT.ADVISORY.>']);
      expect(await subjects('AUDIT_JS_ADVISORIES')).toEqual(['$JS.EVENT.ADVISORY.>']);
      expect((await jsm.streams.info('INCIDENTS')).config.deny_delete).toBe(true);
      expect((await jsm.streams.info('SOX_ATTESTATIONS')).config.deny_purge).toBe(true);
    } finally {
      await nc.close();
    }
  });

  it('logs in with creds from the Secrets Manager secret and resolves the names the same way', async () => {
    const { accounts, creds } = bed.hub.layout;
    // What `jq -n --rawfile audit audit.creds --rawfile app app.creds '{audit: {creds: $audit}, app: …}'` writes.
    const secretString = JSON.stringify({
      audit: { creds: await readFile(creds.audit, 'utf8') },
      app: { creds: await readFile(creds.app, 'utf8') },
    });
    // The configuration as stored in SSM: no credentials at all.
    const config = structuredClone(bed.config);
    for (const source of config.sources) delete source.nats.creds;
    const secrets = parseNatsSecret(secretString, config, 'secret X');
    const connectWithSecret = (source: SourceConfig) =>
      connectSource(source.name, source.nats, secrets.get(source.name));
    const nc = await connectWithSecret(config.sources[0]!);
    try {
      // Logged in as a user of AUDIT: its own account's statistics name the account (both server versions).
      const statz = (await nc.request('$SYS.REQ.ACCOUNT.PING.STATZ', '{}')).json<{
        data?: { account_statz?: { acc?: string }[] };
      }>();
      expect(statz.data?.account_statz?.map((a) => a.acc)).toEqual([accounts.AUDIT]);
    } finally {
      await nc.close();
    }
    const resolved = await resolveConfiguredAccounts(config, connectWithSecret);
    expect(resolved.accounts!.map((a) => [a.path, a.key])).toEqual([
      ['sources[0].account', accounts.AUDIT],
      ['sources[0].streams[1].account', accounts.APP],
      ['sources[0].streams[2].account', accounts.AUDIT],
      ['sources[1].account', accounts.APP],
    ]);
    expect(resolved.config.sources[0]!.streams[1]!.subjects).toEqual(['APP.$JS.EVENT.ADVISORY.>']);

    // Given by its subjects under the operator's prefix alone, the stream is found to hold APP's advisories.
    const bySubjects = structuredClone(config);
    const advisories = bySubjects.sources[0]!.streams[1]!;
    delete advisories.account;
    advisories.subjects = ['APP.$JS.EVENT.ADVISORY.>'];
    const found = await resolveConfiguredAccounts(bySubjects, connectWithSecret);
    expect(found.accounts!.find((a) => a.path === 'sources[0].streams[1].account')).toEqual({
      path: 'sources[0].streams[1].account',
      configured: null,
      key: accounts.APP,
      via: 'import',
    });
    expect(found.config.sources[0]!.streams[1]!.account).toBe(accounts.APP);
  });

  it('records who resolves an incident by the names of the account and the creds file user', async () => {
    const { accounts, users } = bed.hub.layout;
    const audit = bed.config.sources[0]!;
    const nc = await connectSource(audit.name, audit.nats);
    try {
      const identity = await connectionIdentity(nc, {
        source: audit.name,
        account: audit.account,
        user: audit.nats.user,
        creds: audit.nats.creds,
      });
      // nats-server 2.9 answers no USER.INFO in operator mode: the connection's own CONNZ entry vouches for it.
      expect(identity).toBe(`AUDIT (${short(accounts.AUDIT)})/audit (${short(users.audit)})`);
    } finally {
      await nc.close();
    }
  });

  it("records who signs a bundle off by the keys the server vouches for, with the JWTs' names", async () => {
    const { accounts, users } = bed.hub.layout;
    const audit = bed.config.sources[0]!;
    const nc = await connectSource(audit.name, audit.nats);
    try {
      // On 2.9 too: the connection's own CONNZ entry stands in for the USER.INFO it does not answer.
      expect(await natsIdentity(nc, audit)).toEqual({
        account: accounts.AUDIT,
        user: users.audit,
        accountName: 'AUDIT',
        userName: 'audit',
      });
    } finally {
      await nc.close();
    }
  });

  it('stops before reading anything when a configured account name is not on the server, naming it', async () => {
    const archive = path.join(bed.dir, 'unresolved-archive');
    const config = structuredClone(bed.config);
    config.archive = archive;
    config.sources[0]!.streams[1]!.account = 'PAYMENTS';
    const period: Period = { from: 0n, to: 1_000_000n, timezone: 'UTC', kind: 'adhoc' };
    const failed = await runReport(config, period, await terminalPorts(config, { log: () => undefined })).then(
      () => null,
      (err: Error) => err,
    );
    expect(failed).toBeInstanceOf(InputError);
    const { accounts } = bed.hub.layout;
    expect(failed!.message).toBe(
      'sources[0].streams[1].account: no account named "PAYMENTS" is known to the server (the accounts the ' +
        `sources' users are in and import from are ${[
          `APP (${accounts.APP})`,
          `AUDIT (${accounts.AUDIT})`,
          `SYS (${accounts.SYS})`,
        ]
          .sort()
          .join(', ')}); give the account's name as its JWT has it, or its public key`,
    );
    // Nothing staged, sealed or sent: only the signing key's file, written before the bundle's place is opened.
    const left = (await readdir(archive, { recursive: true })).map(String);
    expect(left.filter((e) => !e.startsWith('keys') && e !== 'adhoc')).toEqual([]);
  });

  it('records the account names it read from the server, so verify --recompute re-performs them', async () => {
    const { accounts } = bed.hub.layout;
    expect(report.inputs!.accountNames).toEqual(
      [
        { account: accounts.APP, name: 'APP', reason: null },
        { account: accounts.AUDIT, name: 'AUDIT', reason: null },
      ].sort((a, b) => (a.account < b.account ? -1 : 1)),
    );
    const verified = await verifyArchive(localArchive(bed.config.archive), { recompute: true });
    expect(verified.entries.map((e) => [e.kind, e.status, e.problems])).toEqual([['adhoc', 'ok', []]]);
  });

  it('names users and accounts in the incidents, the HTML, the PDF and the email', async () => {
    const { accounts, users } = bed.hub.layout;
    const app = `APP (${short(accounts.APP)})`;
    const alice = `alice (${short(users.alice)})`;
    const deleted = report.incidents.find((i) => i.rule === 'stream-deleted')!;
    expect(deleted.summary).toMatch(
      new RegExp(
        `^stream SCRATCH deleted by ${escapeRegExp(attributed ? `${app}/${alice}` : `${app} (user not recorded)`)} at `,
      ),
    );
    // Changes outside business hours depend on when the test runs: left out.
    const byClock = (rule: string | undefined) => rule === 'off-hours-change';
    expect(
      report.incidents
        .map((i) => [i.rule, i.subject])
        .filter(([rule]) => !byClock(rule))
        .sort(),
    ).toEqual([
      ['brute-force-host', '127.0.0.1'],
      ['brute-force-user', users.alice],
      ['stream-deleted', 'AUDIT_TMP'],
      ['stream-deleted', 'SCRATCH'],
      ['stream-settings-weakened', 'TRANSACTIONS'],
    ]);

    const html = await readFile(result.reportHtml, 'utf8');
    const pdfText = execFileSync('pdftotext', ['-layout', result.reportPdf, '-'], { encoding: 'utf8' });
    const email = await simpleParser(await readFile(result.email!));
    const squeeze = (text: string) => text.replace(/\s+/g, '');
    const audit = `AUDIT (${short(accounts.AUDIT)})`;
    const admin = `admin (${short(users.admin)})`;
    const removed = report.incidents.find((i) => i.rule === 'stream-deleted' && i.subject === 'AUDIT_TMP')!;
    expect(removed.summary).toMatch(
      new RegExp(
        `^stream AUDIT_TMP deleted by ` +
          `${escapeRegExp(attributed ? `${audit}/${admin}` : `${audit} (user not recorded)`)} at `,
      ),
    );
    const bruteForce = report.incidents.find((i) => i.rule === 'brute-force-user')!;
    const shown = [app, alice, audit, admin, `bob (${short(users.bob)})`, `app (${short(users.app)})`];
    for (const text of [html, pdfText].map(squeeze)) {
      for (const expected of shown) expect(text).toContain(squeeze(expected));
      for (const incident of [deleted, removed, bruteForce]) expect(text).toContain(squeeze(incident.summary));
      // The streams read: APP's advisories by the account's name.
      expect(text).toContain(squeeze(`APP_JS_ADVISORIES (${app})`));
    }
    for (const incident of [deleted, removed, bruteForce])
      expect(squeeze(email.text ?? '')).toContain(squeeze(incident.summary));
    // The keys themselves are in report.json, not spelled out in the documents' tables.
    expect(html).not.toContain(users.alice);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
