/**
 * NATS going away for a second at each step of a run, on real nats-server: the server is stopped at the moment a step
 * needs it and started again a second later (same port, same store), and the run must wait it out and produce exactly
 * what an undisturbed run produces. A server that stays away fails the run in bounded time, saying where and what.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportV1 } from '../../functions/analysis/report-model.js';
import { localArchive } from '../../functions/archive/local.js';
import { verifyArchive } from '../../functions/archive/verify.js';
import { demoConfig } from '../../functions/cli/demo.js';
import { terminalPorts } from '../../functions/cli/ports.js';
import { parseConfig } from '../../functions/config/load.js';
import type { Period } from '../../functions/config/period.js';
import type { Config, SourceConfig } from '../../functions/config/schema.js';
import { NatsUnavailableError } from '../../functions/errors.js';
import type { IncidentState } from '../../functions/incidents/model.js';
import { generateActivity } from '../../functions/local/activity.js';
import { NATS_VERSIONS } from '../../functions/local/nats-binaries.js';
import type { Ports, RunResult } from '../../functions/pipeline/contracts.js';
import { runReport } from '../../functions/pipeline/run-report.js';
import { connectSource } from '../../functions/source/connect.js';
import { runDeadline } from '../../functions/source/retry.js';
import { nowNanos } from '../../functions/time/nanos.js';
import { startTestBed, type TestBed } from '../support/hub.js';

/** When to pull the plug: at the nth connection the run opens, or at the first request on a subject. */
interface Trigger {
  connect?: (n: number, source: SourceConfig) => boolean;
  request?: (subject: string) => boolean;
}

interface Run {
  result: RunResult;
  report: ReportV1;
  archive: string;
  outbox: string;
  alerts: string[];
  /** How many times the server was stopped during the run. */
  outages: number;
}

const DOWN_MS = 1_000;

describe.each(NATS_VERSIONS)('NATS going away during a run, on nats-server %s', (version) => {
  let bed: TestBed;
  let config: Config;
  let period: Period;
  let runs = 0;
  let baseline: Promise<Run> | null = null;

  beforeAll(async () => {
    bed = await startTestBed(version);
    const audit = bed.config.sources[0]!;
    const nc = await connectSource(audit.name, audit.nats);
    await (await jetstreamManager(nc)).streams.add({
      name: 'SYS_EVENTS_DR',
      mirror: { name: 'SYS_EVENTS' },
      storage: 'file' as never,
    });
    await nc.close();
    config = parseConfig({
      ...(demoConfig(bed.hub.url, bed.hub.passwords, path.join(bed.dir, 'reports')) as object),
      mirrors: [{ source: 'audit', stream: 'SYS_EVENTS_DR', of: 'SYS_EVENTS' }],
      incidents: { alertSubject: 'sox.alerts' },
    });
    const from = nowNanos();
    await generateActivity(bed.hub, { transactions: 4 });
    await new Promise((r) => setTimeout(r, 50));
    period = { from, to: nowNanos(), timezone: 'UTC', kind: 'adhoc' };
  });
  afterAll(async () => bed?.close());

  /** A run of the period into an archive and outbox of its own; the server stops for a second when `trigger` says. */
  async function run(trigger: Trigger = {}, options: { budgetMs?: number } = {}): Promise<Run> {
    runs += 1;
    const archive = path.join(bed.dir, `run-${runs}`, 'archive');
    const outbox = path.join(bed.dir, `run-${runs}`, 'outbox');
    const base = await terminalPorts(config, { archive, outbox, log: () => undefined });
    const alerts: string[] = [];
    const restarts: Promise<void>[] = [];
    let fired = false;
    const pull = async () => {
      fired = true;
      await bed.hub.stop();
      if (options.budgetMs === undefined)
        restarts.push(new Promise((r) => setTimeout(r, DOWN_MS)).then(() => bed.hub.start()));
    };
    let connections = 0;
    const ports: Ports = {
      ...base,
      ...(options.budgetMs !== undefined ? { deadline: runDeadline({ budgetMs: options.budgetMs }) } : {}),
      alerts: {
        async incidentOpened(incident: IncidentState) {
          alerts.push(incident.id);
        },
      },
      connect: async (source) => {
        connections += 1;
        if (!fired && trigger.connect?.(connections, source)) await pull();
        return watched(await base.connect(source), async (subject) => {
          if (!fired && trigger.request?.(subject)) await pull();
        });
      },
    };
    try {
      const result = await runReport(config, period, ports);
      return { result, report: result.report!, archive, outbox, alerts, outages: restarts.length };
    } finally {
      await Promise.all(restarts);
    }
  }

  /** The connection, with `before` awaited ahead of every request it sends (JetStream API calls, publishes). */
  function watched(nc: NatsConnection, before: (subject: string) => Promise<void>): NatsConnection {
    const request = nc.request.bind(nc);
    nc.request = async (...args: Parameters<typeof request>) => {
      await before(args[0]);
      return request(...args);
    };
    return nc;
  }

  function undisturbed(): Promise<Run> {
    baseline ??= run();
    return baseline;
  }

  /** Everything of report.json that the period's record decides: the run's clock and the mirrors' "now" aside. */
  function figures(report: ReportV1): unknown {
    const { generatedAt: _generatedAt, inputs, controls, detections, access, ...rest } = structuredClone(report);
    const { mirrors: _mirrors, access: _answers, ...recorded } = inputs ?? {};
    // The servers and streams as they are when the run asks (a restarted server has another start time, the
    // incident record may not exist yet): who may do what holds.
    const { collectedAt: _collectedAt, servers: _servers, streams: _streams, ...permissions } = access ?? {};
    return {
      ...rest,
      access: permissions,
      inputs: recorded,
      // A weakened stream is found by the run, not in an event of the period: it is dated by the run.
      detections: detections?.map(({ at, ...d }) => (d.rule === 'stream-settings-weakened' ? d : { at, ...d })),
      // The mirror is read as it is now (the runs' own connections keep adding to SYS_EVENTS): its status holds.
      controls: controls.map((c) => (c.id === 'remote-mirror' ? { id: c.id, status: c.status } : c)),
    };
  }

  async function evidenceLines(run: Run): Promise<string> {
    return gunzipSync(await readFile(path.join(run.result.reportDir, 'evidence.jsonl.gz'))).toString('utf8');
  }

  /** Every entry under `dir`, as paths relative to it. */
  async function entries(dir: string): Promise<string[]> {
    return (await readdir(dir, { recursive: true })).map(String).sort();
  }

  async function expectWholeAndSame(disturbed: Run, reference: Run): Promise<void> {
    expect(disturbed.outages).toBe(1);
    expect(disturbed.result.existed).toBe(false);
    // One bundle, sealed and re-performed from its evidence.
    const verified = await verifyArchive(localArchive(disturbed.archive), { recompute: true });
    expect(verified.entries.map((e) => [e.kind, e.status])).toEqual([['adhoc', 'ok']]);
    expect(verified.ok).toBe(true);
    // No leftovers: nothing hidden (staging folders, temporary files) in the archive or the outbox.
    const leftovers = [...(await entries(disturbed.archive)), ...(await entries(disturbed.outbox))].filter((e) =>
      e.split('/').some((part) => part.startsWith('.')),
    );
    expect(leftovers).toEqual([]);
    // One whole email, carrying the archived PDF.
    const emails = await readdir(disturbed.outbox);
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatch(/\.eml$/);
    const email = await simpleParser(await readFile(path.join(disturbed.outbox, emails[0]!)));
    const pdf = email.attachments.find((a) => a.filename === 'report.pdf');
    expect(pdf?.content.equals(await readFile(disturbed.result.reportPdf))).toBe(true);
    // The same messages read, and the same figures, controls and incidents.
    expect(await evidenceLines(disturbed)).toBe(await evidenceLines(reference));
    expect(figures(disturbed.report)).toEqual(figures(reference.report));
    expect(disturbed.report.incidents.length).toBeGreaterThan(0);
  }

  it('waits out an outage while recording the incidents, and alerts each newly opened one once', async () => {
    // The first run of the period records its incidents: the server goes away as the first is appended.
    const disturbed = await run({ request: (subject) => subject.startsWith('sox.incidents.') });
    const opened = disturbed.report.incidents.filter((i) => i.openedInPeriod).map((i) => i.id);
    expect(opened.length).toBeGreaterThan(0);
    // Each alerted once, by this run (a weakened stream's incident, dated by the run, is shown as open, not as
    // opened in the period).
    expect(new Set(disturbed.alerts).size).toBe(disturbed.alerts.length);
    expect(disturbed.alerts).toEqual(expect.arrayContaining(opened));
    expect(disturbed.report.incidents.map((i) => i.id)).toEqual(expect.arrayContaining(disturbed.alerts));
    const reference = await undisturbed();
    // The undisturbed run finds every incident already recorded: nothing is opened or alerted twice.
    expect(reference.alerts).toEqual([]);
    await expectWholeAndSame(disturbed, reference);
  });

  it('waits out an outage while the first source connects', async () => {
    const reference = await undisturbed();
    await expectWholeAndSame(await run({ connect: (n) => n === 1 }), reference);
  });

  it('waits out an outage between two streams of a source', async () => {
    const reference = await undisturbed();
    const between = (subject: string) => subject === '$JS.API.STREAM.INFO.APP_JS_ADVISORIES';
    await expectWholeAndSame(await run({ request: between }), reference);
  });

  it("waits out an outage as the consumer finding a stream's first message of the period is created", async () => {
    const reference = await undisturbed();
    const probe = (subject: string) => subject.startsWith('$JS.API.CONSUMER.CREATE.SYS_EVENTS.');
    await expectWholeAndSame(await run({ request: probe }), reference);
  });

  it('waits out an outage while the second source connects', async () => {
    const reference = await undisturbed();
    await expectWholeAndSame(await run({ connect: (_, source) => source.name === 'app' }), reference);
  });

  it('waits out an outage while reading the mirrors', async () => {
    const reference = await undisturbed();
    const mirror = (subject: string) => subject === '$JS.API.STREAM.INFO.SYS_EVENTS_DR';
    await expectWholeAndSame(await run({ request: mirror }), reference);
  });

  it('fails in bounded time, naming the source, server, step and what was done, when NATS stays away', async () => {
    await undisturbed();
    const started = Date.now();
    const failed = await run(
      { request: (subject) => subject === '$JS.API.STREAM.INFO.APP_JS_ADVISORIES' },
      { budgetMs: 2_000 },
    ).then(
      () => null,
      (err: Error) => err,
    );
    const seconds = (Date.now() - started) / 1000;
    try {
      expect(failed).toBeInstanceOf(NatsUnavailableError);
      const sysEvents = (await undisturbed()).report.streams.find((s) => s.stream === 'SYS_EVENTS')!.messages;
      expect(failed?.message).toMatch(
        new RegExp(
          `^source "audit" at ${bed.hub.url.replace(/\./g, '\\.')}: ` +
            'gave up reading stream info of APP_JS_ADVISORIES ' +
            /after \d+ attempts in \d+\.\d s \(waiting longer would pass the 2\.0 s /.source +
            /the run may wait for NATS in all\): /.source +
            /(the connection to the server dropped|not connected \(the client is reconnecting\)); /.source +
            `already done: read audit/SYS_EVENTS \\(${sysEvents} messages\\)$`,
        ),
      );
      expect(seconds).toBeLessThan(10);
      // Nothing archived, nothing sent, nothing left behind.
      const archive = path.join(bed.dir, `run-${runs}`, 'archive');
      expect((await entries(archive)).filter((e) => !e.startsWith('keys') && e !== 'adhoc')).toEqual([]);
      expect(await readdir(path.join(bed.dir, `run-${runs}`, 'outbox')).catch(() => [])).toEqual([]);
    } finally {
      await bed.hub.start();
    }
  });
});
