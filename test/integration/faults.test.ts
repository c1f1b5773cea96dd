/**
 * Faults of a night, on real nats-server: what a run must not lose when something goes away part-way.
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentState } from '../../functions/incidents/model.js';
import { terminalPorts } from '../../functions/cli/ports.js';
import { bundlePath } from '../../functions/archive/layout.js';
import type { Period } from '../../functions/config/period.js';
import { RunError } from '../../functions/errors.js';
import { generateActivity } from '../../functions/local/activity.js';
import { NATS_VERSIONS } from '../../functions/local/nats-binaries.js';
import type { Ports } from '../../functions/pipeline/contracts.js';
import { runReport } from '../../functions/pipeline/run-report.js';
import { nowNanos } from '../../functions/time/nanos.js';
import { mountTmpfs, NO_TMPFS, remount, unmount } from '../support/tmpfs.js';
import { startTestBed, type TestBed } from '../support/hub.js';

describe.each(NATS_VERSIONS)('faults of a night on nats-server %s', (version) => {
  let bed: TestBed;
  let period: Period;

  beforeAll(async () => {
    bed = await startTestBed(version);
    const from = nowNanos();
    await generateActivity(bed.hub, { transactions: 4 });
    await new Promise((r) => setTimeout(r, 50));
    period = { from, to: nowNanos(), timezone: 'UTC', kind: 'adhoc' };
  });
  afterAll(async () => bed?.close());

  it(
    'fails the run, archiving nothing, when the incident record cannot be reached; ' + 'the rerun records them',
    async () => {
      const alerts: string[] = [];
      const base = await terminalPorts(bed.config, { log: () => undefined });
      const alertPort = {
        async incidentOpened(incident: IncidentState) {
          alerts.push(incident.id);
        },
      };
      // The accounts' resolution, the replay's two connections and the access evidence's go through; the fifth,
      // to the incident record, meets an outage.
      let connections = 0;
      const outage: Ports = {
        ...base,
        alerts: alertPort,
        connect: async (source) => {
          connections += 1;
          if (connections === 5) throw new Error('connection refused (simulated outage)');
          return base.connect(source);
        },
      };
      const failed = await runReport(bed.config, period, outage).then(
        () => null,
        (err: Error) => err,
      );
      expect(failed).toBeInstanceOf(RunError);
      expect(failed?.message).toMatch(
        new RegExp(
          /^incident record of source "audit": connecting failed \(connection refused \(simulated outage\)\); /.source +
            /\d+ detections are not recorded, so nothing was archived: the next run records them$/.source,
        ),
      );
      // Nothing of the bundle is in the archive, not even a staging leftover; no incident was alerted.
      const bundle = path.join(bed.config.archive, bundlePath(period));
      expect(await readdir(path.dirname(bundle)).catch(() => [])).toEqual([]);
      expect(alerts).toEqual([]);

      const rerun = await runReport(bed.config, period, { ...base, alerts: alertPort });
      expect(rerun.existed).toBe(false);
      const opened = rerun.report!.incidents.filter((i) => i.openedInPeriod);
      expect(opened.length).toBeGreaterThan(0);
      expect(opened.map((i) => i.rule)).toEqual(expect.arrayContaining(['unknown-user', 'message-deleted']));
      // Each was alerted once, by the run that recorded it (a weakened stream's incident is dated by the run, not
      // by an event of the period, so it is shown as open rather than as opened in the period).
      expect(new Set(alerts).size).toBe(alerts.length);
      expect(alerts).toEqual(expect.arrayContaining(opened.map((i) => i.id)));
      expect(alerts.every((id) => rerun.report!.incidents.some((i) => i.id === id))).toBe(true);
    },
  );

  it(
    'says which archive file could not be written on a full disk, leaves no half bundle, ' +
      'and the rerun archives it',
    async (ctx) => {
      // A real full disk: a 64 KiB tmpfs where the archive is.
      const archive = path.join(bed.dir, 'full-archive');
      await mkdir(archive, { recursive: true });
      if (!mountTmpfs(archive, '64k')) return ctx.skip(NO_TMPFS);
      const next: Period = { from: period.from, to: period.to + 1n, timezone: 'UTC', kind: 'adhoc' };
      try {
        const ports = await terminalPorts(bed.config, { archive, log: () => undefined });
        const failed = await runReport(bed.config, next, ports).then(
          () => null,
          (err: Error) => err,
        );
        expect(failed?.message).toMatch(
          new RegExp(
            `^archive ${archive}: ${bundlePath(next)}/\\S+ could not be written \\(ENOSPC: no space left on device` +
              /.*\); nothing of this bundle was archived$/.source,
          ),
        );
        // Nothing under the bundle's name, and no staging folder left.
        expect(await readdir(path.join(archive, 'adhoc'))).toEqual([]);
      } finally {
        unmount(archive);
      }
      const rerun = await runReport(
        bed.config,
        next,
        await terminalPorts(bed.config, { archive, log: () => undefined }),
      );
      expect(rerun.existed).toBe(false);
      expect(await readdir(rerun.reportDir)).toEqual(
        expect.arrayContaining(['evidence.jsonl.gz', 'manifest.json', 'report.json', 'report.pdf']),
      );
    },
  );

  it(
    'says the bundle is archived and only its email pending when the outbox is full, leaves no part of an email, ' +
      'and the rerun sends it once',
    async (ctx) => {
      // A real full disk: a 16 KiB tmpfs where the outbox is; the email with its PDF is larger.
      const archive = path.join(bed.dir, 'archive-for-full-outbox');
      const outbox = path.join(bed.dir, 'full-outbox');
      await mkdir(outbox, { recursive: true });
      if (!mountTmpfs(outbox, '16k')) return ctx.skip(NO_TMPFS);
      const next: Period = { from: period.from, to: period.to + 2n, timezone: 'UTC', kind: 'adhoc' };
      try {
        const ports = () => terminalPorts(bed.config, { archive, outbox, log: () => undefined });
        const failed = await runReport(bed.config, next, await ports()).then(
          () => null,
          (err: Error) => err,
        );
        expect(failed).toBeInstanceOf(RunError);
        expect(failed?.message).toMatch(
          new RegExp(
            `^${path.join(archive, bundlePath(next)).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is archived; ` +
              `only its email to \\d+ recipient\\(s\\) is pending: outbox ${outbox}: \\S+\\.eml could not be ` +
              'written \\(ENOSPC: no space left on device',
          ),
        );
        // No truncated email and no temporary file: the next run cannot mistake a part for a whole.
        expect(await readdir(outbox)).toEqual([]);
        remount(outbox, 'size=8m');
        const rerun = await runReport(bed.config, next, await ports());
        expect(rerun.existed).toBe(true);
        const emails = (await readdir(outbox)).filter((f) => f.endsWith('.eml'));
        expect(emails).toHaveLength(1);
        expect(rerun.email).toBe(path.join(outbox, emails[0]!));
        const again = await runReport(bed.config, next, await ports());
        expect(again.email).toBeUndefined();
        expect((await readdir(outbox)).filter((f) => f.endsWith('.eml'))).toEqual(emails);
      } finally {
        unmount(outbox);
      }
    },
  );
});
