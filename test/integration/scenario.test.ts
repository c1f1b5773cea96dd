import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { ReportV1 } from '../../functions/analysis/report-model.js';
import { terminalPorts } from '../../functions/cli/ports.js';
import type { Period } from '../../functions/config/period.js';
import { generateActivity, type ActivityLedger } from '../../functions/local/activity.js';
import { NATS_VERSIONS } from '../../functions/local/nats-binaries.js';
import type { Ports, RunResult } from '../../functions/pipeline/contracts.js';
import { runReport } from '../../functions/pipeline/run-report.js';
import { verifyArchive } from '../../functions/archive/verify.js';
import { CONTROLS } from '../../functions/analysis/controls/catalogue.js';
import { connectionIdentity } from '../../functions/incidents/identity.js';
import { incidentLog, resolve } from '../../functions/incidents/stream.js';
import { localArchive } from '../../functions/archive/local.js';
import { connectSource } from '../../functions/source/connect.js';
import { provisionSource } from '../../functions/source/provision.js';
import { nowNanos } from '../../functions/time/nanos.js';
import { startTestBed, type TestBed } from '../support/hub.js';

function ports(bed: TestBed, archiveDir = bed.config.archive): Promise<Ports> {
  return terminalPorts(bed.config, { archive: archiveDir, log: () => undefined });
}

describe.each(NATS_VERSIONS)('a known day of activity on nats-server %s', (version) => {
  let bed: TestBed;
  let ledger: ActivityLedger;
  let period: Period;
  let report: ReportV1;
  let result: RunResult;
  const attributed = version !== '2.9.10';

  beforeAll(async () => {
    bed = await startTestBed(version, { provision: false });
    const from = nowNanos();
    const audit = bed.config.sources[0]!;
    const nc = await connectSource(audit.name, audit.nats);
    await provisionSource(bed.config, audit, nc, false);
    await nc.close();
    ledger = await generateActivity(bed.hub, {
      transactions: 6,
      leafBinary: bed.binary,
      leafDir: path.join(bed.dir, 'leaf'),
    });
    // Hostile and malformed messages land in the record too: they must be counted and listed.
    const app = await connect({
      servers: bed.hub.url,
      name: 'hostile-publisher',
      user: 'app',
      pass: bed.hub.passwords.app,
    });
    await jetstream(app).publish('tx.created', '{"id": 99, "amount": ');
    await jetstream(app).publish('tx.created', '[1,2,3]');
    await app.close();
    await new Promise((r) => setTimeout(r, 50));
    period = { from, to: nowNanos(), timezone: 'UTC', kind: 'adhoc' };
    result = await runReport(bed.config, period, await ports(bed));
    report = result.report!;
    expect(JSON.parse(await readFile(result.reportJson, 'utf8'))).toEqual(JSON.parse(JSON.stringify(report)));
  });
  afterAll(async () => bed?.close());

  it('counts every message of every stream, with the gaps the deletions left', () => {
    const tx = report.streams.find((s) => s.stream === 'TRANSACTIONS')!;
    // 6 transactions, the 2nd deleted and the 6th purged, then 2 malformed messages (seq 7 and 8).
    expect(ledger.deletedTransactionSeqs).toEqual([2, 6]);
    expect(tx).toMatchObject({
      firstSeq: 1,
      lastSeq: 8,
      messages: 6,
      gaps: [
        [2, 2],
        [6, 6],
      ],
      missing: 2,
    });
    for (const name of ['SYS_EVENTS', 'APP_JS_ADVISORIES', 'AUDIT_JS_ADVISORIES']) {
      const s = report.streams.find((x) => x.stream === name)!;
      expect(s.gaps).toEqual([]);
      expect(s.firstSeq).toBe(1);
      expect(s.messages).toBe(s.lastSeq);
    }
    const control = (id: string) => report.controls.find((c) => c.id === id)!;
    expect(control('financial-records-complete')).toMatchObject({
      status: 'fail',
      detail: 'financial records were deleted: TRANSACTIONS: 2 records missing (seq 2, 6)',
    });
    expect(control('audit-completeness').status).toBe('pass');
  });

  it('evaluates the whole control catalogue on what the server holds', () => {
    const byId = Object.fromEntries(report.controls.map((c) => [c.id, c]));
    expect(report.controls.map((c) => c.id)).toEqual(CONTROLS.map((c) => c.id));
    expect(byId['capture-configured']).toMatchObject({
      status: 'pass',
      detail: '4 streams capture every required subject',
    });
    // The application's TRANSACTIONS stream was made by the application, without deny_delete/deny_purge.
    expect(byId['capture-tamper-resistant']).toMatchObject({
      status: 'fail',
      detail:
        'TRANSACTIONS: deny_delete is off (messages can be deleted), deny_purge is off (the stream can be purged)',
    });
    expect(byId['no-tampering-attempts']!.status).toBe('fail');
    expect(byId['no-tampering-attempts']!.detail).toMatch(
      new RegExp(
        /^2 attempts against the audit record: msg\.delete SYS_EVENTS .*\(refused\); stream\.purge /.source +
          /SYS_EVENTS .*\(refused\)$/.source,
      ),
    );
    expect(byId['changes-attributed']!.status).toBe(attributed ? 'pass' : 'warn');
    expect(byId['events-understood']).toMatchObject({ status: 'warn' }); // two malformed transactions, none forged
    expect(byId['previous-report-in-chain']!.status).toBe('not-applicable');
    expect(byId['archive-lock']!.status).toBe('not-applicable');
  });

  it('counts logins by account and user with the client names and hosts they used', () => {
    const app = report.connections.byUser.find((u) => u.account === 'APP' && u.user === 'app')!;
    expect(app).toMatchObject({
      connects: 4,
      disconnects: 4,
      clients: ['hostile-publisher', 'ops-admin', 'payments-svc', 'setup-app'],
      hosts: ['127.0.0.1'],
    });
    expect(app.totalDurationSeconds).toBeGreaterThan(0);
    const audit = report.connections.byUser.find((u) => u.account === 'AUDIT' && u.user === 'audit')!;
    // tamper-test connects in the period; the provisioning connection started before SYS_EVENTS existed.
    expect(audit).toMatchObject({ connects: 1, disconnects: 2, clients: ['sox-report', 'tamper-test'] });
    expect(report.connections).toMatchObject({ connects: 5, disconnects: 6, users: 2 });
    expect(report.connections.leafnodes).toMatchObject({
      connects: 1,
      disconnects: 1,
      remotes: [{ account: 'APP', user: 'leaf', name: 'leaf1', connects: 1, disconnects: 1, hosts: ['127.0.0.1'] }],
    });
  });

  it('counts authentication failures by the user tried and by host', () => {
    expect(report.authFailures).toEqual({
      total: 2,
      byUser: [
        { user: 'app', count: 1 },
        { user: 'mallory', count: 1 },
      ],
      byHost: [{ host: '127.0.0.1', count: 2 }],
    });
  });

  it('lists every JetStream change with who made it, or null where the server does not say', () => {
    const rows = report.jetstreamChanges.map((c) => [c.account, c.operation, c.target, c.success, c.detail]);
    expect(rows).toEqual([
      ['AUDIT', 'stream.create', 'AUDIT_JS_ADVISORIES', true, null],
      ['APP', 'stream.create', 'TRANSACTIONS', true, null],
      ['APP', 'stream.create', 'TEMP', true, null],
      ['APP', 'stream.update', 'TEMP', true, null],
      ['APP', 'consumer.create', 'TEMP/C1', true, null],
      ['APP', 'consumer.delete', 'TEMP/C1', true, null],
      ['APP', 'stream.delete', 'TEMP', true, null],
      ['APP', 'msg.delete', 'TRANSACTIONS', true, 'seq 2'],
      ['APP', 'stream.purge', 'TRANSACTIONS', true, 'filter tx.purgeme; purged 1'],
      ['AUDIT', 'msg.delete', 'SYS_EVENTS', false, 'seq 1; refused: message delete not permitted (10057)'],
      ['AUDIT', 'stream.purge', 'SYS_EVENTS', false, 'refused: stream purge not permitted (10110)'],
    ]);
    const who = report.jetstreamChanges.map((c) => [c.user, c.client]);
    if (attributed) {
      expect(who).toEqual([
        ['audit', 'sox-report'],
        ['app', 'setup-app'],
        ...Array(7).fill(['app', 'ops-admin']),
        ['audit', 'tamper-test'],
        ['audit', 'tamper-test'],
      ]);
    } else {
      expect(who.every(([user, client]) => user === null && client === null)).toBe(true);
    }
    // Changes announced by an advisory carry both records as evidence; deletes and purges only the audit record.
    expect(report.jetstreamChanges[2]!.evidence).toHaveLength(2);
    expect(report.jetstreamChanges[7]!.evidence).toHaveLength(1);
    expect(report.jetstreamSummary).toMatchObject({ changes: 11, listed: 11, refused: 2, ownReads: 0 });
  });

  it('counts transactions by subject and lists the messages it could not understand', () => {
    expect(report.transactions).toMatchObject({
      total: 4,
      bySubject: [
        { subject: 'tx.created', count: 3 },
        { subject: 'tx.settled', count: 1 },
      ],
    });
    expect(report.unparseable).toBe(2);
    expect(report.unparseableEvents).toEqual([
      {
        stream: 'TRANSACTIONS',
        seq: 7,
        subject: 'tx.created',
        reason: expect.stringContaining('not valid JSON'),
        kind: 'malformed',
      },
      {
        stream: 'TRANSACTIONS',
        seq: 8,
        subject: 'tx.created',
        reason: 'a transaction must be a JSON object',
        kind: 'malformed',
      },
    ]);
  });

  it('recognises its own reads in a later period and does not count them as activity', async () => {
    const later: Period = { from: period.from, to: nowNanos(), timezone: 'UTC', kind: 'adhoc' };
    const again = await runReport(bed.config, later, await ports(bed, path.join(bed.dir, 'reports-2')));
    // The first report read four streams: its consumers show up in AUDIT's advisories, recognised as its own.
    expect(again.report!.jetstreamSummary.ownReads).toBeGreaterThanOrEqual(3 * 2);
    expect(again.report!.jetstreamChanges.filter((c) => c.target.includes('sox-report'))).toEqual([]);
    // The eleven of the scenario, and the incident stream the first report created in the audit account.
    expect(again.report!.jetstreamSummary.changes).toBe(12);
    expect(again.report!.jetstreamChanges.filter((c) => c.target === 'INCIDENTS').map((c) => c.operation)).toEqual([
      'stream.create',
    ]);
  });

  it('records the incidents it detects, and the next report shows one resolved with who and why', async () => {
    const unknown = report.incidents.find((i) => i.rule === 'unknown-user')!;
    expect(unknown).toMatchObject({ status: 'open', subject: 'mallory', openedInPeriod: true, resolved: null });
    expect(report.incidents.map((i) => i.rule)).toEqual(
      expect.arrayContaining(['message-deleted', 'stream-purged', 'audit-stream-attempt', 'gap']),
    );

    const audit = bed.config.sources[0]!;
    const nc = await connectSource(audit.name, audit.nats);
    const log = await incidentLog(nc, { consumerPrefix: bed.config.report.consumerPrefix });
    const identity = await connectionIdentity(nc, {
      source: audit.name,
      account: audit.account,
      user: audit.nats.user,
    });
    await resolve(log, unknown.id, { identity, name: 'Jane Roe' }, 'mallory is the penetration-test account');
    await nc.close();

    // nowNanos() is whole milliseconds: end a millisecond later (and wait it out) so the resolution, stored just now,
    // is inside.
    const next: Period = { from: period.to, to: nowNanos() + 1_000_000n, timezone: 'UTC', kind: 'adhoc' };
    await new Promise((r) => setTimeout(r, 5));
    const after = (await runReport(bed.config, next, await ports(bed, path.join(bed.dir, 'reports-next')))).report!;
    expect(after.incidents.find((i) => i.id === unknown.id)).toMatchObject({
      status: 'resolved',
      openedInPeriod: false,
      resolvedInPeriod: true,
      resolved: {
        by: 'Jane Roe (AUDIT/audit)',
        note: 'mallory is the penetration-test account',
      },
    });
    // The others stay open, listed with their age, until someone resolves them; nothing was opened twice.
    const stillOpen = after.incidents.filter((i) => i.status === 'open').map((i) => i.id);
    expect(stillOpen).toEqual(
      expect.arrayContaining(report.incidents.filter((i) => i.id !== unknown.id).map((i) => i.id)),
    );
    expect(after.controls.find((c) => c.id === 'incident-deadline')!.status).toBe('pass');
  });

  it('seals a bundle that verify accepts, with a PDF signature pdfsig calls valid', async () => {
    const verified = await verifyArchive(localArchive(bed.config.archive));
    expect(verified.entries.map((e) => [e.kind, e.status])).toEqual([['adhoc', 'ok']]);
    expect(verified.ok).toBe(true);
    expect(execFileSync('pdfsig', [result.reportPdf], { encoding: 'utf8' })).toContain('Signature is Valid.');
  });

  it('writes the figures and names of the scenario into the PDF, the HTML and the email', async () => {
    const pdfText = execFileSync('pdftotext', ['-layout', result.reportPdf, '-'], { encoding: 'utf8' });
    const html = await readFile(result.reportHtml, 'utf8');
    const email = await simpleParser(await readFile(result.email!));
    // Table cells wrap in the PDF: compare without whitespace.
    const squeeze = (text: string) => text.replace(/\s+/g, '');
    for (const text of [pdfText, html].map(squeeze)) {
      for (const expected of ['mallory', 'stream.purge', 'REFUSED', '(10057)', 'hostile-publisher']) {
        expect(text).toContain(squeeze(expected));
      }
    }
    expect(pdfText).toMatch(/TRANSACTIONS\s+2, 6\s+2\n/); // the deleted records, by sequence
    expect(html).toMatch(/<td[^>]*>\s*<code>TRANSACTIONS<\/code>\s*<\/td>\s*<td[^>]*>\s*<code>2, 6<\/code>/);
    expect(email.subject).toMatch(/^\[FAIL\] NATS SOX control report/);
    expect(email.attachments.map((a) => a.filename)).toEqual(['report.pdf']);
    expect(Buffer.from(email.attachments[0]!.content).equals(await readFile(result.reportPdf))).toBe(true);
  });

  it('leaves an archived period byte for byte as it is when run again, and sends nothing', async () => {
    const snapshot = async () => {
      const files = await readdir(bed.config.archive, { recursive: true, withFileTypes: true });
      const out: Record<string, string> = {};
      for (const f of files.filter((x) => x.isFile())) {
        const file = path.join(f.parentPath, f.name);
        const info = await stat(file);
        out[path.relative(bed.config.archive, file)] = `${createHash('sha256')
          .update(await readFile(file))
          .digest('hex')} ${info.mtimeMs} ${info.mode}`;
      }
      return out;
    };
    const outbox = path.join(bed.dir, 'outbox');
    const before = await snapshot();
    const mailsBefore = await readdir(outbox);
    const rerun = await runReport(bed.config, period, await ports(bed));
    expect(rerun.existed).toBe(true);
    expect(rerun.report).toBeUndefined();
    expect((await stat(rerun.reportJson)).mode & 0o222).toBe(0);
    expect(Object.keys(before).length).toBeGreaterThanOrEqual(6);
    expect(await snapshot()).toEqual(before);
    expect(await readdir(outbox)).toEqual(mailsBefore);
  });

  it(
    'sends a link to the archived PDF instead of the ' + 'PDF when the email would be too large for the mailer',
    async () => {
      const archive = path.join(bed.dir, 'reports-limited');
      const expiresAt = new Date('2026-12-01T12:00:00Z');
      const asked: string[] = [];
      const limited: Ports = {
        ...(await ports(bed, archive)),
        mailLimit: {
          maxBytes: 30_000,
          pdfLink: async (pdfPath) => {
            asked.push(pdfPath);
            return { url: `https://archive.example/${pdfPath}?X-Amz-Expires=3600&sig=a&b=c`, expiresAt };
          },
        },
      };
      const sent = await runReport(bed.config, period, limited);
      const bundle = path.relative(archive, sent.reportDir);
      expect(asked).toEqual([`${bundle}/report.pdf`]);
      const raw = await readFile(sent.email!);
      expect(raw.length).toBeLessThanOrEqual(30_000);
      const email = await simpleParser(raw);
      expect(email.attachments).toEqual([]);
      expect(email.text).toContain(`https://archive.example/${bundle}/report.pdf?X-Amz-Expires=3600&sig=a&b=c`);
      expect(email.text).toContain('too large to attach');
      expect(email.html).toContain(
        `href="https://archive.example/${bundle}/report.pdf?X-Amz-Expires&#x3D;3600&amp;sig&#x3D;a&amp;b&#x3D;c"`,
      );
    },
  );

  it('sends the email of an archived bundle once more only when no receipt says it went out', async () => {
    const outbox = path.join(bed.dir, 'outbox');
    const bundle = path.relative(bed.config.archive, result.reportDir);
    const receipts = path.join(bed.config.archive, 'receipts', bundle);
    const [receipt] = await readdir(receipts);
    const sent = JSON.parse(await readFile(path.join(receipts, receipt!), 'utf8'));
    expect(sent).toMatchObject({
      schema: 'sox-report-delivery/v1',
      bundle,
      recipients: bed.config.email!.to,
      location: result.email,
    });

    // A run that died after writing the email but before its receipt: the next run finds the message in the
    // outbox, writes no second one, and writes the receipt (the outbox delivers exactly once).
    await rm(path.join(receipts, receipt!));
    const mails = await readdir(outbox);
    const before = await readFile(result.email!);
    const resent = await runReport(bed.config, period, await ports(bed));
    expect([resent.existed, resent.email]).toEqual([true, result.email]);
    expect(await readdir(outbox)).toEqual(mails);
    expect(Buffer.compare(await readFile(result.email!), before)).toBe(0);
    expect(await readdir(receipts)).toEqual([receipt]);

    // An on-demand run for other recipients sends to them, once.
    const other = await runReport(bed.config, period, await ports(bed), {
      recipients: ['internal-audit@demo.example'],
    });
    expect(other.email).toBeDefined();
    const again = await runReport(bed.config, period, await ports(bed), {
      recipients: ['internal-audit@demo.example'],
    });
    expect(again.email).toBeUndefined();
    expect(await readdir(outbox)).toHaveLength(mails.length + 1);
    const email = await simpleParser(await readFile(other.email!));
    expect((email.to as { text: string }).text).toBe('internal-audit@demo.example');
  });
});
