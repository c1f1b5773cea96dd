import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoConfig } from '../../functions/cli/demo.js';
import { terminalPorts } from '../../functions/cli/ports.js';
import { parseConfig } from '../../functions/config/load.js';
import type { Config } from '../../functions/config/schema.js';
import type { Period } from '../../functions/config/period.js';
import { generateActivity } from '../../functions/local/activity.js';
import { runReport } from '../../functions/pipeline/run-report.js';
import { nowNanos } from '../../functions/time/nanos.js';
import { startTestBed, type TestBed } from '../support/hub.js';

describe('alerts on the configured NATS subject: once per newly opened incident', () => {
  let bed: TestBed;
  let config: Config;
  let period: Period;

  beforeAll(async () => {
    bed = await startTestBed('2.10.27');
    config = parseConfig({
      ...(demoConfig(bed.hub.url, bed.hub.passwords, path.join(bed.dir, 'reports')) as object),
      incidents: { alertSubject: 'sox.alerts' },
    });
    const from = nowNanos();
    await generateActivity(bed.hub, { transactions: 4 });
    await new Promise((r) => setTimeout(r, 20));
    period = { from, to: nowNanos(), timezone: 'UTC', kind: 'adhoc' };
  });
  afterAll(async () => bed?.close());

  it('publishes each new incident once, and nothing when the same period runs again', async () => {
    const listener = await connect({ servers: bed.hub.url, user: 'audit', pass: bed.hub.passwords.audit });
    const alerts: { id: string; rule: string; severity: string }[] = [];
    const sub = listener.subscribe('sox.alerts', { callback: (_err, m) => void alerts.push(m.json()) });
    await listener.flush();
    const ports = async (archive: string) => ({
      ...(await terminalPorts(config, { archive: path.join(bed.dir, archive), log: () => undefined })),
      alerts: null,
    });

    const first = await runReport(config, period, await ports('a'));
    await listener.flush();
    await new Promise((r) => setTimeout(r, 100));
    const opened = first.report!.incidents.map((i) => i.id).sort();
    expect(opened.length).toBeGreaterThanOrEqual(5);
    expect(alerts.map((a) => a.id).sort()).toEqual(opened);
    expect(alerts.find((a) => a.rule === 'audit-stream-attempt')).toMatchObject({ severity: 'critical' });

    // A retry of the same period (here into another archive, so it really runs) finds every incident recorded.
    await runReport(config, period, await ports('b'));
    await listener.flush();
    await new Promise((r) => setTimeout(r, 100));
    expect(alerts).toHaveLength(opened.length);
    sub.unsubscribe();
    await listener.close();
  });
});
