/**
 * Incident notifications to a webhook, end to end: real report runs on a real nats-server, with a local HTTP
 * server standing in for the tool. The run's clock is injected (ports.now) so backoff and age are exact.
 */
import { createHmac } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportV1 } from '../../functions/analysis/report-model.js';
import { localArchive } from '../../functions/archive/local.js';
import { verifyArchive } from '../../functions/archive/verify.js';
import { demoConfig } from '../../functions/cli/demo.js';
import { terminalPorts } from '../../functions/cli/ports.js';
import { parseConfig } from '../../functions/config/load.js';
import type { Period } from '../../functions/config/period.js';
import type { Config } from '../../functions/config/schema.js';
import type { IncidentState } from '../../functions/incidents/model.js';
import { incidentLog, readIncidents } from '../../functions/incidents/stream.js';
import { generateActivity } from '../../functions/local/activity.js';
import { listen } from '../../functions/local/tool-stand-ins.js';
import { runReport } from '../../functions/pipeline/run-report.js';
import { connectSource } from '../../functions/source/connect.js';
import { nanosFromMillis, nowNanos } from '../../functions/time/nanos.js';
import { soxReport } from '../support/cli.js';
import { startTestBed, type TestBed } from '../support/hub.js';

const SECRET = 'whsec-test-3f9c1e27a8b64d05';
const SECRET_ENV = 'SOX_TEST_WEBHOOK_SECRET';
const MINUTE = 60_000;

/** A webhook receiver on 127.0.0.1: answers with the next queued status (200 when none is queued). */
async function receiver() {
  const statuses: number[] = [];
  const stand = await listen(() => ({ status: statuses.shift() ?? 200 }));
  return { ...stand, url: `${stand.url}/hooks/sox`, received: stand.requests, statuses };
}

const hmac = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const control = (r: ReportV1) => r.controls.find((c) => c.id === 'incident-notifications-delivered')!;

describe('incident notifications to a webhook', () => {
  let bed: TestBed;
  let hook: Awaited<ReturnType<typeof receiver>>;
  let late: Awaited<ReturnType<typeof receiver>>;
  let config: Config;
  let configFile: string;
  let period: Period;
  let t0 = 0;
  let runs = 0;
  let incidents: string[] = [];

  const webhook = (name: string, url: string) => ({ type: 'webhook', name, url, secretEnv: SECRET_ENV });
  const configWith = (hooks: object[]) =>
    parseConfig({
      ...(demoConfig(bed.hub.url, bed.hub.passwords, path.join(bed.dir, 'reports')) as object),
      incidents: { integrations: hooks },
    });
  /** A report run of the same period into a fresh archive, its clock at t0 + offset. */
  const run = async (offsetMs: number, cfg = config) => {
    const lines: string[] = [];
    const ports = {
      ...(await terminalPorts(cfg, { archive: path.join(bed.dir, `archive-${++runs}`), log: (l) => lines.push(l) })),
      alerts: null,
      now: () => nanosFromMillis(t0 + offsetMs),
    };
    const result = await runReport(cfg, period, ports);
    return { report: result.report!, lines, archive: path.join(bed.dir, `archive-${runs}`) };
  };
  const record = async (): Promise<Map<string, IncidentState>> => {
    const audit = bed.config.sources[0]!;
    const nc = await connectSource(audit.name, audit.nats);
    try {
      return (await readIncidents(await incidentLog(nc)))!.incidents;
    } finally {
      await nc.close();
    }
  };

  beforeAll(async () => {
    process.env[SECRET_ENV] = SECRET;
    bed = await startTestBed('2.10.27');
    hook = await receiver();
    late = await receiver();
    config = configWith([webhook('soc-hook', hook.url)]);
    configFile = path.join(bed.dir, 'config.json');
    await writeFile(
      configFile,
      JSON.stringify({
        ...(demoConfig(bed.hub.url, bed.hub.passwords, path.join(bed.dir, 'reports')) as object),
        incidents: { integrations: [webhook('soc-hook', hook.url)] },
      }),
    );
    const from = nowNanos();
    await generateActivity(bed.hub, { transactions: 4 });
    await new Promise((r) => setTimeout(r, 20));
    period = { from, to: nowNanos(), timezone: 'UTC', kind: 'adhoc' };
    t0 = Date.now();
  });
  afterAll(async () => {
    delete process.env[SECRET_ENV];
    await hook?.close();
    await late?.close();
    await bed?.close();
  });

  it('refuses an inline secret and names only an environment variable', () => {
    expect(() => configWith([{ ...webhook('x', hook.url), secret: SECRET }])).toThrow(/secret/);
    expect(() => configWith([webhook('x', hook.url), webhook('x', hook.url)])).toThrow(/twice/);
    expect(() => configWith([{ ...webhook('x', hook.url), secretEnv: 'lower case' }])).toThrow(/secretEnv/);
  });

  it('sends each opened incident at once, signed, with its idempotency key; a 500 is recorded, not fatal', async () => {
    hook.statuses.push(500);
    const { report, lines } = await run(0);
    incidents = report.incidents.map((i) => i.id).sort();
    expect(incidents.length).toBeGreaterThanOrEqual(5);
    expect(hook.received).toHaveLength(incidents.length);
    const states = await record();
    for (const request of hook.received) {
      const body = JSON.parse(request.body) as { type: string; incident: { id: string } };
      const state = states.get(body.incident.id)!;
      // The exact bytes: the receiver can verify the signature over them with the shared secret.
      expect(request.body).toBe(
        JSON.stringify({
          type: 'incident.opened',
          incident: {
            id: state.id,
            rule: state.rule,
            severity: state.severity,
            status: 'open',
            summary: state.summary,
            period: { day: state.day },
            subject: state.subject,
            openedAt: state.openedAt,
            evidence: state.evidence,
            links: [],
            change: null,
          },
        }),
      );
      expect(request.path).toBe('/hooks/sox');
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['x-sox-report-signature']).toBe(hmac(request.body));
      expect(request.headers['x-sox-report-signature']).not.toBe(hmac(request.body, 'another secret'));
      expect(request.headers['idempotency-key']).toBe(`${state.id}:opened`);
    }
    expect(hook.received.map((r) => r.headers['idempotency-key']).sort()).toEqual(incidents.map((i) => `${i}:opened`));
    const failed = JSON.parse(hook.received[0]!.body).incident.id as string;
    expect(report.notifications).toEqual({
      integrations: ['soc-hook'],
      recordError: null,
      undelivered: [
        {
          incident: failed,
          integration: 'soc-hook',
          change: 'opened',
          queuedAt: new Date(t0).toISOString(),
          attempts: 1,
          lastError: 'HTTP 500',
          nextAttemptAt: new Date(t0 + 5 * MINUTE).toISOString(),
          ageSeconds: 0,
        },
      ],
    });
    expect(report.inputs!.notifications).toEqual(report.notifications);
    expect(control(report)).toMatchObject({ status: 'warn' });
    expect(control(report).detail).toBe(
      `1 notification awaiting a retry: opened of ${failed} to soc-hook (queued ${new Date(t0).toISOString()}, ` +
        '1 failed try, last: HTTP 500)',
    );
    expect(lines).toContain(`NOTIFICATION NOT DELIVERED: opened of ${failed} to soc-hook (try 1): HTTP 500`);
    expect(lines).toContain(`notifications: ${incidents.length} queued, ${incidents.length - 1} delivered, 1 failed`);
    // The secret is in no log line and nowhere in the report.
    expect(lines.join('\n')).not.toContain(SECRET);
    expect(JSON.stringify(report)).not.toContain(SECRET);
  });

  it('waits out the backoff, then retries the failed one once with the same bytes; a rerun sends nothing', async () => {
    const before = hook.received.length;
    const early = await run(2 * MINUTE);
    expect(hook.received).toHaveLength(before);
    expect(early.report.notifications!.undelivered).toMatchObject([{ attempts: 1, ageSeconds: 120 }]);

    const retried = await run(6 * MINUTE);
    expect(hook.received).toHaveLength(before + 1);
    const [first, retry] = [hook.received[0]!, hook.received[before]!];
    expect(retry.body).toBe(first.body);
    expect(retry.headers['x-sox-report-signature']).toBe(first.headers['x-sox-report-signature']);
    expect(retry.headers['idempotency-key']).toBe(first.headers['idempotency-key']);
    expect(retry.status).toBe(200);
    expect(retried.report.notifications).toEqual({ integrations: ['soc-hook'], recordError: null, undelivered: [] });
    expect(control(retried.report)).toEqual({
      id: 'incident-notifications-delivered',
      title: 'Incidents reached the incident management tools',
      status: 'pass',
      detail: 'every notification to soc-hook was delivered',
    });

    await run(60 * MINUTE);
    expect(hook.received).toHaveLength(before + 1);
    // Delivered exactly once per incident.
    const delivered = hook.received.filter((r) => r.status === 200).map((r) => r.headers['idempotency-key']);
    expect(delivered.sort()).toEqual(incidents.map((i) => `${i}:opened`));

    // verify --recompute re-performs the report, its notifications section and control included.
    const verified = await verifyArchive(localArchive(retried.archive), { recompute: true });
    expect(verified.entries.map((e) => e.problems)).toEqual([[]]);
  });

  it('sends ack and resolve from the CLI at once; an integration added later hears of all open incidents', async () => {
    const [acked, resolved] = [incidents[0]!, incidents[1]!];
    const before = hook.received.length;
    const ack = await soxReport([
      'incidents',
      'ack',
      acked,
      '--by',
      'Jane Roe',
      '--note',
      'on it',
      '--config',
      configFile,
    ]);
    expect(ack.code).toBe(0);
    expect(ack.stdout).toContain('notifications delivered: 1');
    const res = await soxReport([
      'incidents',
      'resolve',
      resolved,
      '--by',
      'Jane Roe',
      '--note',
      'reset',
      '--config',
      configFile,
    ]);
    expect(res.code).toBe(0);
    expect(hook.received.slice(before).map((r) => r.headers['idempotency-key'])).toEqual([
      `${acked}:acknowledged`,
      `${resolved}:resolved`,
    ]);
    const ackBody = JSON.parse(hook.received[before]!.body);
    expect(ackBody.type).toBe('incident.acknowledged');
    expect(ackBody.incident.status).toBe('acknowledged');
    expect(ackBody.incident.change).toMatchObject({ by: { name: 'Jane Roe' }, note: 'on it' });
    expect(JSON.parse(hook.received[before + 1]!.body).incident).toMatchObject({
      status: 'resolved',
      change: { note: 'reset' },
    });
    for (const r of hook.received.slice(before)) expect(r.headers['x-sox-report-signature']).toBe(hmac(r.body));

    // A second webhook configured now: every incident still open, with its acknowledgement; not the resolved one.
    const both = configWith([webhook('soc-hook', hook.url), webhook('late-hook', late.url)]);
    const { report } = await run(70 * MINUTE, both);
    expect(hook.received).toHaveLength(before + 2);
    const open = incidents.filter((i) => i !== resolved);
    expect(late.received.map((r) => r.headers['idempotency-key']).sort()).toEqual(
      [...open.map((i) => `${i}:opened`), `${acked}:acknowledged`].sort(),
    );
    // Within one incident, the opened goes before the acknowledgement.
    const keys = late.received.map((r) => r.headers['idempotency-key']);
    expect(keys.indexOf(`${acked}:opened`)).toBeLessThan(keys.indexOf(`${acked}:acknowledged`));
    expect(control(report).status).toBe('pass');
  });

  it('fails the control when a notification has been undelivered for more than a day', async () => {
    const before = hook.received.length;
    hook.statuses.push(503, 503);
    const target = incidents[2]!;
    const res = await soxReport([
      'incidents',
      'resolve',
      target,
      '--by',
      'Jo Poe',
      '--note',
      'fixed',
      '--config',
      configFile,
    ]);
    expect(res.code).toBe(0);
    expect(res.stderr).toContain(`NOTIFICATION NOT DELIVERED: resolved of ${target} to soc-hook (try 1): HTTP 503`);
    expect(hook.received).toHaveLength(before + 1);

    const { report } = await run(25 * 60 * MINUTE);
    expect(hook.received).toHaveLength(before + 2);
    const undelivered = report.notifications!.undelivered;
    expect(undelivered).toHaveLength(1);
    expect(undelivered[0]).toMatchObject({
      incident: target,
      integration: 'soc-hook',
      change: 'resolved',
      attempts: 2,
      lastError: 'HTTP 503',
      nextAttemptAt: new Date(t0 + 25 * 60 * MINUTE + 10 * MINUTE).toISOString(),
    });
    const queuedAt = Date.parse(undelivered[0]!.queuedAt);
    expect(queuedAt).toBeGreaterThanOrEqual(t0);
    expect(undelivered[0]!.ageSeconds).toBe(Math.floor((t0 + 25 * 60 * MINUTE - queuedAt) / 1000));
    expect(undelivered[0]!.ageSeconds).toBeGreaterThan(86_400);
    expect(control(report).status).toBe('fail');
    expect(control(report).detail).toBe(
      `1 notification undelivered for more than a day: resolved of ${target} to soc-hook ` +
        `(queued ${undelivered[0]!.queuedAt}, 2 failed tries, last: HTTP 503)`,
    );
  });
});
