import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportV1 } from '../../functions/analysis/report-model.js';
import { demoConfig } from '../../functions/cli/demo.js';
import { terminalPorts } from '../../functions/cli/ports.js';
import { parseConfig } from '../../functions/config/load.js';
import type { Period } from '../../functions/config/period.js';
import { runReport } from '../../functions/pipeline/run-report.js';
import { connectSource } from '../../functions/source/connect.js';
import { nowNanos } from '../../functions/time/nanos.js';
import { startTestBed, type TestBed } from '../support/hub.js';

describe('the remote-mirror control on a real server', () => {
  let bed: TestBed;

  beforeAll(async () => {
    bed = await startTestBed('2.10.27');
    const audit = bed.config.sources[0]!;
    const nc = await connectSource(audit.name, audit.nats);
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'SYS_EVENTS_DR', mirror: { name: 'SYS_EVENTS' }, storage: 'file' as never });
    await nc.close();
    const app = bed.config.sources[1]!;
    const appNc = await connectSource(app.name, app.nats);
    await (await jetstreamManager(appNc)).streams.add({
      name: 'TRANSACTIONS',
      subjects: ['tx.>'],
      storage: 'file' as never,
    });
    await appNc.close();
  });
  afterAll(async () => bed?.close());

  async function reportWith(mirror: string, archive: string): Promise<ReportV1> {
    const document = {
      ...(demoConfig(bed.hub.url, bed.hub.passwords, path.join(bed.dir, archive)) as object),
      mirrors: [{ source: 'audit', stream: mirror, of: 'SYS_EVENTS' }],
    };
    const config = parseConfig(document);
    const from = nowNanos() - 60_000_000_000n;
    // Connections of the test produce SYS_EVENTS traffic; give the mirror a moment to copy it.
    const probe = await connectSource('audit', config.sources[0]!.nats);
    await probe.close();
    await new Promise((r) => setTimeout(r, 300));
    const period: Period = { from, to: nowNanos(), timezone: 'UTC', kind: 'adhoc' };
    return (await runReport(config, period, await terminalPorts(config, { log: () => undefined }))).report!;
  }

  it("passes when the mirror holds everything up to the period's last message", async () => {
    const report = await reportWith('SYS_EVENTS_DR', 'reports-a');
    const control = report.controls.find((c) => c.id === 'remote-mirror')!;
    const last = report.streams.find((s) => s.stream === 'SYS_EVENTS')!.lastSeq!;
    expect(last).toBeGreaterThan(0);
    expect(control.status).toBe('pass');
    expect(control.detail).toMatch(/^SYS_EVENTS_DR mirrors SYS_EVENTS up to seq \d+$/);
  });

  it('fails, naming it, when the mirror is not there', async () => {
    const report = await reportWith('SYS_EVENTS_GONE', 'reports-b');
    expect(report.controls.find((c) => c.id === 'remote-mirror')).toMatchObject({
      status: 'fail',
      detail: 'SYS_EVENTS_GONE (mirror of SYS_EVENTS) is missing',
    });
  });

  it('refuses a mirror of a stream or source the configuration does not have', () => {
    const document = {
      ...(demoConfig(bed.hub.url, bed.hub.passwords, path.join(bed.dir, 'x')) as object),
      mirrors: [{ source: 'dr', stream: 'X', of: 'NOPE' }],
    };
    expect(() => parseConfig(document, 'c.json')).toThrow(
      /mirrors\[0\]\.source: "dr" is not a configured source\n {2}mirrors\[0\]\.of: "NOPE" is not a configured stream/,
    );
  });
});
