import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { detect, detectionContext } from '../../functions/analysis/detection/detect.js';
import { buildReport } from '../../functions/analysis/finalize.js';
import type { ReportV1 } from '../../functions/analysis/report-model.js';
import type { Period } from '../../functions/config/period.js';
import { WEEKDAYS, type DetectionConfig } from '../../functions/config/schema.js';
import type { Detection } from '../../functions/incidents/model.js';
import { openedEvent } from '../../functions/incidents/model.js';
import { generateActivity, type ActivityLedger } from '../../functions/local/activity.js';
import { NATS_VERSIONS } from '../../functions/local/nats-binaries.js';
import { reportParameters } from '../../functions/analysis/parameters.js';
import { replayAndAggregate } from '../../functions/pipeline/replay-aggregate.js';
import { connectSource } from '../../functions/source/connect.js';
import { provisionSource } from '../../functions/source/provision.js';
import { nowNanos, parseInstant, type Nanos } from '../../functions/time/nanos.js';
import { loginFrom } from '../support/raw-login.js';
import { startTestBed, type TestBed } from '../support/hub.js';

/** Every hour of every day is business hours: off-hours-change stays out of the way. */
const ALWAYS_OPEN: DetectionConfig = {
  bruteForce: { failures: 5, windowMinutes: 10 },
  businessHours: { start: '00:00', end: '24:00', days: [...WEEKDAYS] },
};

/** Business hours only on a weekday three days away (in UTC): whenever the test runs, now is outside them. */
function neverNow(): DetectionConfig {
  const day = WEEKDAYS[(new Date().getUTCDay() + 6 + 3) % 7]!;
  return { ...ALWAYS_OPEN, businessHours: { start: '00:00', end: '24:00', days: [day] } };
}

const rulesOf = (ds: Detection[]) => ds.map((d) => `${d.rule} ${d.subject}`).sort();
const settle = () => new Promise((r) => setTimeout(r, 300));

describe.each(NATS_VERSIONS)('detection rules on nats-server %s', (version) => {
  let bed: TestBed;
  const attributed = version !== '2.9.10';
  const reports: ReportV1[] = [];

  beforeAll(async () => {
    bed = await startTestBed(version);
  });
  afterAll(async () => bed?.close());

  /**
   * Runs `activity`, then reports its period, carrying the previous report's baseline. Periods follow each
   * other without a hole, like days: each holds the reads of the report before it.
   */
  async function period(activity: () => Promise<void>): Promise<ReportV1> {
    const from: Nanos = reports.length ? parseInstant(reports.at(-1)!.period.to)! : nowNanos();
    await activity();
    await settle();
    const p: Period = { from, to: nowNanos(), timezone: 'UTC', kind: 'adhoc' };
    const { state, streams } = await replayAndAggregate(bed.config, p, {
      connect: (s) => connectSource(s.name, s.nats),
      log: () => undefined,
    });
    const report = buildReport(p, streams, state, nowNanos(), { topN: 50 }, reports.at(-1) ?? null);
    reports.push(report);
    return report;
  }

  function detections(
    report: ReportV1,
    detection: DetectionConfig = ALWAYS_OPEN,
    drift?: { stream: string; findings: string[] }[],
  ): Detection[] {
    const previous = reports[reports.indexOf(report) - 1] ?? null;
    const found = detect(
      report,
      detectionContext(reportParameters({ ...bed.config, timezone: 'UTC', detection }), previous, drift),
    );
    for (const d of found) expect(() => openedEvent(d)).not.toThrow();
    return found;
  }

  it('(a) stays quiet on ordinary traffic: known users connecting, transactions, a stream set up', async () => {
    const report = await period(async () => {
      const app = await connect({
        servers: bed.hub.url,
        name: 'payments-svc',
        user: 'app',
        pass: bed.hub.passwords.app,
      });
      await (await jetstreamManager(app)).streams.add({
        name: 'TRANSACTIONS',
        subjects: ['tx.>'],
        storage: 'file' as never,
      });
      for (let i = 0; i < 5; i++) await jetstream(app).publish('tx.created', JSON.stringify({ id: i, amount: 10 * i }));
      await app.close();
      const audit = await connect({
        servers: bed.hub.url,
        name: 'auditor',
        user: 'audit',
        pass: bed.hub.passwords.audit,
      });
      await audit.close();
    });
    expect(report.transactions.total).toBe(5);
    expect(report.baseline!.users).toEqual(['APP/app', 'AUDIT/audit']);
    // The first day: every host is new to the baseline, and that is why new-host waits for a previous report.
    expect(report.baseline!.newHosts.map((l) => l.user).sort()).toEqual(['APP/app', 'AUDIT/audit']);
    expect(detections(report)).toEqual([]);
  });

  it('(b) fires on the burst of activity a SOX report exists for', async () => {
    let ledger: ActivityLedger | undefined;
    const report = await period(async () => {
      ledger = await generateActivity(bed.hub, {
        transactions: 6,
        leafBinary: bed.binary,
        leafDir: path.join(bed.dir, 'leaf'),
      });
    });
    const found = detections(report);
    expect(rulesOf(found)).toEqual([
      'audit-stream-attempt SYS_EVENTS',
      'consumer-deleted TEMP/C1',
      'gap TRANSACTIONS',
      'message-deleted TRANSACTIONS',
      'stream-deleted TEMP',
      'stream-purged TRANSACTIONS',
      'unknown-user mallory',
    ]);
    const by = (rule: string) => found.find((d) => d.rule === rule)!;
    expect(by('audit-stream-attempt')).toMatchObject({
      severity: 'critical',
      evidence: [{ stream: 'AUDIT_JS_ADVISORIES' }, { stream: 'AUDIT_JS_ADVISORIES' }],
    });
    expect(by('audit-stream-attempt').summary).toMatch(
      new RegExp(
        /^2 attempts against audit stream SYS_EVENTS, all refused: msg\.delete refused at .* by /.source +
          /AUDIT.*stream\.purge refused/.source,
      ),
    );
    const [deleted, purged] = ledger!.deletedTransactionSeqs;
    expect(by('gap')).toMatchObject({
      severity: 'high',
      evidence: [
        { stream: 'TRANSACTIONS', seq: deleted },
        { stream: 'TRANSACTIONS', seq: purged },
      ],
    });
    expect(by('message-deleted').summary).toContain(`seq ${deleted} at`);
    expect(by('unknown-user')).toMatchObject({ severity: 'medium', evidence: [{ stream: 'SYS_EVENTS' }] });
    // The wrong password of "app" is not an unknown user: app logged in the period before (and in this one).
    expect(found.some((d) => d.subject === 'app')).toBe(false);
    // Who acted: the server names the user from 2.10.10 on; 2.9 names only the account.
    expect(by('stream-deleted').summary).toContain(attributed ? 'by APP/app' : 'by APP (user not recorded)');

    const offHours = detections(report, neverNow()).filter((d) => d.rule === 'off-hours-change');
    expect(offHours.map((d) => d.subject).sort()).toEqual(
      attributed ? ['APP/app', 'AUDIT/audit'] : ['APP (user not recorded)', 'AUDIT (user not recorded)'],
    );
    const app = offHours.find((d) => d.subject.startsWith('APP'))!;
    // TRANSACTIONS set up again (the same settings), TEMP created, updated, deleted, C1 deleted (creating it only
    // reads), a message deleted, a purge. The report's own reads never count.
    expect(app.summary).toMatch(/made 7 JetStream changes outside business hours/);
  });

  it('(c) fires brute-force-user and brute-force-host on six failed logins within seconds', async () => {
    const report = await period(async () => {
      for (let i = 0; i < 6; i++) {
        const refused = await connect({
          servers: bed.hub.url,
          name: 'guesser',
          user: 'app',
          pass: `guess-${i}`,
          reconnect: false,
        }).then(
          async (nc) => {
            await nc.close();
            return false;
          },
          () => true,
        );
        expect(refused).toBe(true);
      }
    });
    expect(report.authFailures.total).toBe(6);
    const found = detections(report);
    expect(rulesOf(found)).toEqual(['brute-force-host 127.0.0.1', 'brute-force-user app']);
    expect(found.find((d) => d.rule === 'brute-force-user')!.summary).toMatch(
      new RegExp(
        /^6 failed logins for user app within 10 minutes \(from .* to .*; threshold 5 in 10 min\), 6 in /.source +
          /the period; from hosts: 127\.0\.0\.1$/.source,
      ),
    );
    expect(found.every((d) => d.evidence.length === 6)).toBe(true);
  });

  it(
    '(d) fires new-host when a known user logs in from another address, ' + 'with the baseline of the period before',
    async () => {
      const report = await period(() => loginFrom('127.0.0.2', bed.hub.ports.client, 'app', bed.hub.passwords.app));
      const previous = reports.at(-2)!;
      expect(previous.baseline!.userHosts.find((u) => u.user === 'APP/app')!.hosts).toEqual(['127.0.0.1']);
      expect(report.baseline!.userHosts.find((u) => u.user === 'APP/app')!.hosts).toEqual(['127.0.0.1', '127.0.0.2']);
      const found = detections(report);
      // The reports' own reads in this period (consumers created and deleted on every stream) raise nothing.
      expect(report.jetstreamSummary.ownReads).toBeGreaterThan(0);
      expect(rulesOf(found)).toEqual(['new-host APP/app']);
      expect(found[0]!.summary).toMatch(
        new RegExp(
          /^APP\/app logged in from a host not seen for this user before: 127\.0\.0\.2 \(first at .*\); /.source +
            /known hosts: 127\.0\.0\.1$/.source,
        ),
      );

      // The next period knows the host.
      const again = await period(() => loginFrom('127.0.0.2', bed.hub.ports.client, 'app', bed.hub.passwords.app));
      expect(detections(again)).toEqual([]);
    },
  );

  it('(e) fires on malformed and forged events, and on a capture stream weakened in place', async () => {
    const audit = bed.config.sources[0]!;
    const report = await period(async () => {
      // A client of AUDIT publishes into the subjects SYS_EVENTS captures: a broken event, and a connect "for APP"
      // that names AUDIT. (Nothing goes to TRANSACTIONS: its first message after the purge would make the replay
      // report the purged sequence a second time, as a leading gap; see the report of this work.)
      const forger = await connect({
        servers: bed.hub.url,
        name: 'forger',
        user: 'audit',
        pass: bed.hub.passwords.audit,
      });
      forger.publish('$SYS.ACCOUNT.APP.DISCONNECT', '{"type": "io.nats.server.advisory.v1.client_disconnect", ');
      forger.publish(
        '$SYS.ACCOUNT.APP.CONNECT',
        JSON.stringify({
          type: 'io.nats.server.advisory.v1.client_connect',
          client: { acc: 'AUDIT', user: 'ghost', host: '10.6.6.6' },
        }),
      );
      await forger.flush();
      // deny_delete cannot be switched off, but limits can be lowered: the oldest events would go silently.
      const jsm = await jetstreamManager(forger);
      const info = await jsm.streams.info('SYS_EVENTS');
      await jsm.streams.update('SYS_EVENTS', { ...info.config, max_msgs: 1_000_000 });
      await forger.close();
    });
    const nc = await connectSource(audit.name, audit.nats);
    const plans = await provisionSource(bed.config, audit, nc, true);
    await nc.close();
    const drift = plans.flatMap(({ plan }) =>
      plan.action === 'drift' ? [{ stream: plan.spec.name, findings: plan.findings }] : [],
    );
    expect(drift).toEqual([{ stream: 'SYS_EVENTS', findings: [expect.stringMatching(/^max_msgs is 1000000/)] }]);

    const found = detections(report, ALWAYS_OPEN, drift);
    expect(found.map((d) => `${d.rule} ${d.severity} ${d.subject}`).sort()).toEqual([
      'audit-stream-attempt critical SYS_EVENTS',
      'forged-event critical SYS_EVENTS',
      'malformed-event medium SYS_EVENTS',
      'stream-settings-weakened critical SYS_EVENTS',
    ]);
    expect(found.find((d) => d.rule === 'forged-event')!.summary).toContain(
      'subject is for account APP but the payload names account AUDIT',
    );
    expect(found.find((d) => d.rule === 'audit-stream-attempt')!.summary).toMatch(
      /^1 attempt against audit stream SYS_EVENTS \(1 ALLOWED\): stream\.update ALLOWED/,
    );
  });
});
