import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import type { AccessSection } from '../../functions/access/model.js';
import type { ReportV1 } from '../../functions/analysis/report-model.js';
import { terminalPorts } from '../../functions/cli/ports.js';
import type { Period } from '../../functions/config/period.js';
import type { Config } from '../../functions/config/schema.js';
import { NATS_VERSIONS } from '../../functions/local/nats-binaries.js';
import { AUDIT_READ_PERMISSIONS } from '../../functions/local/operator-hub.js';
import type { Ports } from '../../functions/pipeline/contracts.js';
import { runReport } from '../../functions/pipeline/run-report.js';
import { verifyArchive } from '../../functions/archive/verify.js';
import { localArchive } from '../../functions/archive/local.js';
import { nowNanos, type Nanos } from '../../functions/time/nanos.js';
import { startTestBed, type TestBed } from '../support/hub.js';
import { startOperatorTestBed, type OperatorTestBed } from '../support/operator-hub.js';

const quiet = () => undefined;
const settle = () => new Promise((r) => setTimeout(r, 300));

async function ports(config: Config, archive: string): Promise<Ports> {
  return { ...(await terminalPorts(config, { archive, log: quiet })), alerts: null };
}

function day(date: string, from: Nanos, to: Nanos): Period {
  return { from, to, timezone: 'UTC', kind: 'daily', date };
}

/** The documents of a sealed bundle as a person reads them: the PDF's text and the HTML. */
const documents = new Map<ReportV1, { pdf: string; html: string }>();

async function dailyReport(config: Config, period: Period): Promise<ReportV1> {
  const result = await runReport(config, period, await ports(config, config.archive));
  expect(result.existed).toBe(false);
  const report = JSON.parse(await readFile(result.reportJson, 'utf8')) as ReportV1;
  documents.set(report, {
    pdf: execFileSync('pdftotext', ['-layout', result.reportPdf, '-'], { encoding: 'utf8' }),
    // The HTML's text as a reader sees it: entities decoded.
    html: (await readFile(result.reportHtml, 'utf8'))
      .replaceAll('&gt;', '>')
      .replaceAll('&lt;', '<')
      .replaceAll('&#x27;', "'")
      .replaceAll('&quot;', '"')
      .replaceAll('&amp;', '&'),
  });
  return report;
}

const control = (report: ReportV1, id: string) => report.controls.find((c) => c.id === id)!;
const kinds = (access: AccessSection | undefined) =>
  (access?.changes ?? []).map((c) => `${c.kind} ${c.subject}`).sort();

describe.each(NATS_VERSIONS)('access evidence of a configuration-file layout on nats-server %s', (version) => {
  let bed: TestBed;
  let first: ReportV1;
  let second: ReportV1;

  beforeAll(async () => {
    bed = await startTestBed(version);
    const t0 = nowNanos();
    const app = await connect({ servers: bed.hub.url, name: 'payments', user: 'app', pass: bed.hub.passwords.app });
    await (await jetstreamManager(app)).streams.add({ name: 'TRANSACTIONS', subjects: ['tx.>'] });
    await app.close();
    await settle();
    const t1 = nowNanos();
    first = await dailyReport(bed.config, day('2026-11-01', t0, t1));
    // An operator edits the configuration file: APP now also exports its transactions to AUDIT. Then SIGHUP.
    const file = path.join(bed.hub.dir, 'hub.conf');
    const conf = await readFile(file, 'utf8');
    const edited = conf.replace(
      '{ stream: "$JS.EVENT.ADVISORY.>", accounts: [AUDIT] }',
      '{ stream: "$JS.EVENT.ADVISORY.>", accounts: [AUDIT] }\n      { stream: "tx.>", accounts: [AUDIT] }',
    );
    expect(edited).not.toBe(conf);
    await new Promise((r) => setTimeout(r, 1100)); // the load time is the reload's, to the second at least
    await writeFile(file, edited);
    bed.hub.reload();
    await settle();
    await settle();
    second = await dailyReport(bed.config, day('2026-11-02', t1, nowNanos()));
  }, 120_000);
  afterAll(async () => bed?.close());

  it('states the server, the accounts with their imports and exports, and the streams', () => {
    const access = first.access!;
    expect(access.mode).toBe('configuration-file');
    expect(access.servers.map((s) => [s.name, s.version, s.authRequired, s.systemAccount])).toEqual([
      ['hub1', version, true, 'SYS'],
    ]);
    expect(access.accounts.map((a) => a.account)).toEqual(['APP', 'AUDIT', 'SYS']);
    const app = access.accounts.find((a) => a.account === 'APP')!;
    expect(app.exports).toEqual([
      { subject: '$JS.EVENT.ADVISORY.>', type: 'stream', approvedAccounts: ['AUDIT'], tokenRequired: false },
    ]);
    const audit = access.accounts.find((a) => a.account === 'AUDIT')!;
    expect(
      audit.imports.filter((i) => !i.automatic).map((i) => `${i.type} ${i.account} ${i.subject} → ${i.localSubject}`),
    ).toEqual([
      'service SYS $SYS.REQ.ACCOUNT.*.INFO → $SYS.REQ.ACCOUNT.*.INFO',
      'service SYS $SYS.REQ.SERVER.PING.ACCOUNTZ → $SYS.REQ.SERVER.PING.ACCOUNTZ',
      'service SYS $SYS.REQ.SERVER.PING.JSZ → $SYS.REQ.SERVER.PING.JSZ',
      'service SYS $SYS.REQ.SERVER.PING.VARZ → $SYS.REQ.SERVER.PING.VARZ',
      'stream APP $JS.EVENT.ADVISORY.> → APP.$JS.EVENT.ADVISORY.>',
      'stream SYS $SYS.ACCOUNT.*.CONNECT → $SYS.ACCOUNT.*.CONNECT',
      'stream SYS $SYS.ACCOUNT.*.DISCONNECT → $SYS.ACCOUNT.*.DISCONNECT',
      'stream SYS $SYS.ACCOUNT.*.LEAFNODE.CONNECT → $SYS.ACCOUNT.*.LEAFNODE.CONNECT',
      'stream SYS $SYS.SERVER.*.CLIENT.AUTH.ERR → $SYS.SERVER.*.CLIENT.AUTH.ERR',
    ]);
    const sysEvents = access.streams.find((s) => s.stream === 'SYS_EVENTS')!;
    expect(sysEvents).toMatchObject({ account: 'AUDIT', denyDelete: true, denyPurge: true, storage: 'file' });
    expect(access.users.map((u) => `${u.account}/${u.user} ${u.permissionsFrom}`)).toContain('APP/app unknown');
    expect(access.limits).toContain(
      'users: in configuration-file mode no endpoint lists users or their permissions; the users shown are those ' +
        "seen connecting, and only the reporting user's own permissions are known",
    );
    expect(access.limits).toContain('changes: no earlier daily report with access evidence to compare with');
    expect(access.changes).toEqual([]);
  });

  it("judges the reporting user's permissions, or says why it cannot", () => {
    const c = control(first, 'reporting-user-read-only');
    if (version === '2.9.10') {
      expect(first.access!.reportingUser).toBeNull();
      expect(c.status).toBe('warn');
      expect(c.detail).toContain('$SYS.REQ.USER.INFO: no responders');
    } else {
      // The hub's `audit` user has no permissions block: unrestricted, and the control says what to do.
      expect(first.access!.reportingUser).toMatchObject({ user: 'audit', account: 'AUDIT', permissions: null });
      expect(first.access!.reportingUser!.privileges).toEqual([
        'all-subjects',
        'jetstream-api',
        'system',
        'jetstream-destructive',
      ]);
      expect(c).toMatchObject({ status: 'fail' });
      expect(c.detail).toBe(
        'the reporting user audit of account AUDIT may publish to every subject: ' +
          "give it the README's read-only permissions",
      );
    }
  });

  it('shows the reload that added an export as changes of the next daily report, each opening an incident', () => {
    expect(kinds(second.access)).toEqual(['configuration-reloaded server hub1', 'export-added account APP']);
    const added = second.access!.changes.find((c) => c.kind === 'export-added')!;
    expect(added.after).toBe('stream tx.> to AUDIT');
    expect(added.detail).toBe('account APP exports stream tx.> to AUDIT');
    const reload = second.access!.changes.find((c) => c.kind === 'configuration-reloaded')!;
    expect(reload.at).toBe(second.access!.servers[0]!.configLoadTime);
    expect(reload.before).toBe(first.access!.servers[0]!.configLoadTime);
    const opened = (second.detections ?? []).filter((d) => d.rule === 'access-change');
    expect(opened.map((d) => [d.severity, d.subject])).toEqual([
      ['medium', 'configuration-reloaded: server hub1'],
      ['high', 'export-added: account APP: stream tx.> to AUDIT'],
    ]);
    expect(
      second.incidents
        .filter((i) => i.rule === 'access-change')
        .map((i) => i.subject)
        .sort(),
    ).toEqual(['configuration-reloaded: server hub1', 'export-added: account APP: stream tx.> to AUDIT']);
  });

  it('shows the access review in the PDF and the HTML: accounts, exports, the reporting user, the changes', () => {
    for (const text of [documents.get(second)!.pdf, documents.get(second)!.html]) {
      expect(text).toContain('Access review');
      // nats-server 2.9 answers no USER.INFO: the section says so instead of judging the user.
      if (version === '2.10.27') expect(text).toContain('NOT READ-ONLY');
      else expect(text).toContain('$SYS.REQ.USER.INFO');
      expect(text).toContain('$JS.EVENT.ADVISORY.>');
      expect(text).toContain('account APP exports stream tx.> to AUDIT');
      expect(text).toContain('server hub1 reloaded its configuration');
    }
    expect(documents.get(first)!.pdf).toMatch(/no earlier daily report with access evidence/);
  });

  it('re-performs the access section from the archived answers (verify --recompute)', async () => {
    const verified = await verifyArchive(localArchive(bed.config.archive), { recompute: true });
    // The days are cut around now (the server's clock cannot be set), which plain verify rightly names.
    const recompute = (problems: string[]) => problems.filter((p) => !p.startsWith('manifest.json: period'));
    expect(verified.entries.map((e) => [e.bundle, recompute(e.problems)])).toEqual([
      ['daily/2026/11/01', []],
      ['daily/2026/11/02', []],
    ]);
  });
});

describe.each(NATS_VERSIONS)('access evidence of an operator-mode layout on nats-server %s', (version) => {
  let bed: OperatorTestBed;
  let first: ReportV1;
  let second: ReportV1;

  beforeAll(async () => {
    bed = await startOperatorTestBed(version);
    expect(await bed.provision()).toBe(0);
    const t0 = nowNanos();
    for (const user of ['alice', 'admin'] as const) {
      const nc = await connect({
        servers: bed.hub.url,
        authenticator: credsAuthenticator(await readFile(bed.hub.layout.creds[user])),
      });
      if (user === 'alice')
        await (await jetstreamManager(nc)).streams.add({ name: 'TRANSACTIONS', subjects: ['tx.>'] });
      await nc.close();
    }
    await settle();
    const t1 = nowNanos();
    first = await dailyReport(bed.config, day('2026-11-01', t0, t1));
    // `nsc edit account APP --…` and `nsc push`: the APP account JWT gains an export, pushed as a claims update.
    const jwt = await bed.hub.layout.reissueAccount('APP', (claims) => ({
      ...claims,
      exports: [...(claims.exports ?? []), { name: 'transactions', subject: 'tx.>', type: 'stream' }],
    }));
    const sys = await connect({
      servers: bed.hub.url,
      authenticator: credsAuthenticator(await readFile(bed.hub.layout.creds.sys)),
    });
    const reply = await sys.request('$SYS.REQ.CLAIMS.UPDATE', jwt, { timeout: 2000 });
    expect(JSON.stringify(reply.json())).toContain('jwt updated');
    await sys.close();
    await settle();
    second = await dailyReport(bed.config, day('2026-11-02', t1, nowNanos()));
  }, 120_000);
  afterAll(async () => bed?.close());

  it('names the accounts and shows every user with the permissions their JWT granted, administrators marked', () => {
    const access = first.access!;
    const { accounts, users } = bed.hub.layout;
    expect(access.mode).toBe('operator');
    expect(access.accounts.map((a) => [a.account, a.accountName, a.isSystem])).toEqual(
      [
        [accounts.SYS, 'SYS', true],
        [accounts.APP, 'APP', false],
        [accounts.AUDIT, 'AUDIT', false],
      ].sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1)),
    );
    const app = access.accounts.find((a) => a.account === accounts.APP)!;
    expect(app.jetstreamLimits).toEqual({ memory: -1, storage: -1, streams: -1, consumers: -1 });
    expect(app.jwt).toMatchObject({ issuer: bed.hub.layout.operatorKey, expires: null });
    const shown = (key: string) => access.users.find((u) => u.user === key)!;
    expect(shown(users.alice)).toMatchObject({
      account: accounts.APP,
      accountName: 'APP',
      userName: 'alice',
      permissions: null,
      permissionsFrom: 'user-jwt',
      privileges: ['all-subjects', 'jetstream-api', 'system', 'jetstream-destructive'],
      flags: ['no-expiry'],
    });
    expect(shown(users.admin)).toMatchObject({
      userName: 'admin',
      privileges: ['all-subjects', 'jetstream-api', 'system', 'jetstream-destructive'],
    });
    expect(shown(users.alice).jwt).toMatchObject({ issuer: accounts.APP, signatureValid: true, expires: null });
  });

  it("passes the read-only control for the JWT's scoped reporting user, read from USER.INFO or its own JWT", () => {
    const c = control(first, 'reporting-user-read-only');
    expect(first.access!.reportingUser).toMatchObject({
      account: bed.hub.layout.accounts.AUDIT,
      user: bed.hub.layout.users.audit,
      // nats-server 2.9 answers no USER.INFO: the JWT its own connection logged in with (CONNZ) states them.
      permissionsFrom: version === '2.9.10' ? 'user-jwt' : 'user-info',
      beyondReadOnly: [],
      privileges: [],
    });
    expect([...first.access!.reportingUser!.permissions!.publish.allow!].sort()).toEqual(
      [...AUDIT_READ_PERMISSIONS.pub.allow].sort(),
    );
    expect(c.status).toBe('pass');
    expect(c.detail).toMatch(
      /^the reporting user audit \(U.{3}…\) of account AUDIT \(A.{3}…\) may publish only within the read-only list/,
    );
  });

  it('shows the access review in the PDF and the HTML: named accounts and users, administrators, the change', () => {
    const { users, accounts } = bed.hub.layout;
    const short = (key: string) => `${key.slice(0, 4)}…`;
    for (const text of [documents.get(second)!.pdf, documents.get(second)!.html]) {
      expect(text).toContain('Access review');
      expect(text).toContain('READ-ONLY');
      expect(text).toContain('ADMIN');
      expect(text).toContain(`APP (${short(accounts.APP)})`);
      expect(text).toContain(`account APP (${short(accounts.APP)}) exports stream tx.> to every account`);
    }
    expect(documents.get(first)!.pdf).toContain(`alice (${short(users.alice)})`);
    expect(documents.get(first)!.pdf).toContain(`admin (${short(users.admin)})`);
  });

  it('shows the account JWT update as a change of the next daily report, opening an incident', () => {
    const app = `account APP (${bed.hub.layout.accounts.APP.slice(0, 4)}…)`;
    expect(kinds(second.access)).toEqual([`export-added ${app}`]);
    expect(second.access!.accounts.find((a) => a.accountName === 'APP')!.exports.map((e) => e.subject)).toEqual([
      '$JS.EVENT.ADVISORY.>',
      'tx.>',
    ]);
    expect((second.detections ?? []).filter((d) => d.rule === 'access-change').map((d) => d.subject)).toEqual([
      `export-added: ${app}: stream tx.> to every account`,
    ]);
  });
});
