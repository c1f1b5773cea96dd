import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { simpleParser } from 'mailparser';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportV1 } from '../../functions/analysis/report-model.js';
import { localArchive } from '../../functions/archive/local.js';
import { verifyArchive } from '../../functions/archive/verify.js';
import { terminalPorts } from '../../functions/cli/ports.js';
import type { Period } from '../../functions/config/period.js';
import { NATS_VERSIONS } from '../../functions/local/nats-binaries.js';
import { generateOperatorActivity } from '../../functions/local/operator-activity.js';
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
  // Before 2.10.10 an API audit record names only the account.
  const attributed = version !== '2.9.10';

  beforeAll(async () => {
    bed = await startOperatorTestBed(version);
    provisioned = await bed.provision();
    // The provisioning connection's disconnect lands before the period.
    await new Promise((r) => setTimeout(r, 300));
    const from = nowNanos();
    await generateOperatorActivity(bed.hub, { transactions: 5 });
    const period: Period = { from, to: nowNanos(), timezone: 'UTC', kind: 'adhoc' };
    result = await runReport(bed.config, period, await terminalPorts(bed.config, { log: () => undefined }));
    report = result.report!;
  });
  afterAll(async () => bed?.close());

  it('provisions the capture streams as the administrator; the reporting user may not change them', async () => {
    expect(provisioned).toBe(0);
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
    // 5 connects and 5 disconnects; the provisioning connection's events are before the period.
    expect(stream('SYS_EVENTS')).toMatchObject({ messages: 10, gaps: [], missing: 0 });
    expect(report.transactions).toMatchObject({
      total: 5,
      bySubject: [
        { subject: 'tx.created', count: 3 },
        { subject: 'tx.settled', count: 2 },
      ],
    });
    expect(report.connections).toMatchObject({ connects: 5, disconnects: 5, users: 3 });
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
      // app and bob: one login each, ordered by key.
      ...[
        [accounts.APP, 'APP', users.app, 'app', 1, 1, ['payments-svc']],
        [accounts.APP, 'APP', users.bob, 'bob', 1, 1, ['bob-cli']],
      ].sort((a, b) => ((a[2] as string) < (b[2] as string) ? -1 : 1)),
    ]);
    const alice = attributed ? { user: users.alice, userName: 'alice' } : { user: null };
    expect(report.jetstreamChanges).toEqual([
      expect.objectContaining({ account: accounts.APP, accountName: 'APP', ...alice, operation: 'stream.create' }),
      expect.objectContaining({ account: accounts.APP, accountName: 'APP', ...alice, operation: 'stream.create' }),
      expect.objectContaining({ account: accounts.APP, accountName: 'APP', ...alice, operation: 'stream.delete' }),
    ]);
    expect(report.jetstreamChanges.map((c) => [c.target, c.success, 'userName' in c])).toEqual([
      ['TRANSACTIONS', true, attributed],
      ['SCRATCH', true, attributed],
      ['SCRATCH', true, attributed],
    ]);
    expect(report.jetstreamSummary).toMatchObject({ changes: 3, refused: 0 });
    expect(report.authFailures.total).toBe(0);
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
    expect(report.incidents.map((i) => [i.rule, i.subject]).sort()).toEqual([
      ['stream-deleted', 'SCRATCH'],
      ['stream-settings-weakened', 'TRANSACTIONS'],
    ]);

    const html = await readFile(result.reportHtml, 'utf8');
    const pdfText = execFileSync('pdftotext', ['-layout', result.reportPdf, '-'], { encoding: 'utf8' });
    const email = await simpleParser(await readFile(result.email!));
    const squeeze = (text: string) => text.replace(/\s+/g, '');
    const shown = [app, alice, `bob (${short(users.bob)})`, `app (${short(users.app)})`];
    for (const text of [html, pdfText].map(squeeze)) {
      for (const expected of shown) expect(text).toContain(squeeze(expected));
      expect(text).toContain(squeeze(deleted.summary));
    }
    expect(squeeze(email.text ?? '')).toContain(squeeze(deleted.summary));
    // The keys themselves are in report.json, not spelled out in the documents' tables.
    expect(html).not.toContain(users.alice);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
