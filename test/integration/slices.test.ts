/**
 * `run --slices 4` against `run --slices 1` on real nats-server: a period of four 3-second slices holding messages,
 * failed logins, stream changes and deleted messages at and across the slices' edges (a deleted run that starts in
 * one slice and ends in the next, a last slice whose messages, the stream's last, were all deleted). The
 * sliced run's report, controls, detections and evidence bytes are the single run's, and `verify --recompute` holds.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { AuthorizationError, connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportV1 } from '../../functions/analysis/report-model.js';
import { localArchive } from '../../functions/archive/local.js';
import { verifyArchive } from '../../functions/archive/verify.js';
import { demoConfig } from '../../functions/cli/demo.js';
import { generateActivity } from '../../functions/local/activity.js';
import { NATS_VERSIONS } from '../../functions/local/nats-binaries.js';
import type { Period } from '../../functions/config/period.js';
import { replaySliced } from '../../functions/pipeline/replay-sliced.js';
import type { StreamProgress } from '../../functions/progress/stream-progress.js';
import { connectSource } from '../../functions/source/connect.js';
import { nanosFromMillis } from '../../functions/time/nanos.js';
import { soxReport } from '../support/cli.js';
import { startTestBed, type TestBed } from '../support/hub.js';

const SLICE_MS = 3_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

interface Run {
  reportDir: string;
  report: ReportV1;
  evidence: Buffer;
}

describe.each(NATS_VERSIONS)('a period read in 4 slices on nats-server %s', (version) => {
  let bed: TestBed;
  let config: string;
  const seqs: Record<string, number> = {};
  let single: Run;
  let sliced: Run;
  let stderr: string;
  let period: Period;

  async function run(archive: string, extra: string[], from: string, to: string): Promise<Run> {
    const result = await soxReport(['run', '--config', config, '--from', from, '--to', to, '--json', ...extra]);
    expect(result.code, result.stderr).toBe(0);
    stderr = result.stderr;
    const out = JSON.parse(result.stdout) as { reportDir: string; reportJson: string };
    expect(out.reportDir.startsWith(archive)).toBe(true);
    return {
      reportDir: out.reportDir,
      report: JSON.parse(await readFile(out.reportJson, 'utf8')) as ReportV1,
      evidence: await readFile(path.join(out.reportDir, 'evidence.jsonl.gz')),
    };
  }

  beforeAll(async () => {
    bed = await startTestBed(version);
    config = path.join(bed.dir, 'config.json');
    await writeFile(config, JSON.stringify(demoConfig(bed.hub.url, bed.hub.passwords, path.join(bed.dir, 'one'))));
    // The period starts on a whole second, so the slices' edges are whole seconds 3, 6 and 9 after it.
    const start = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    const at = (ms: number) => sleep(start + ms - Date.now());
    await at(200);

    // Slice 1: the demo's burst (logins, failed logins, stream changes, a deleted and a purged transaction).
    const ledger = await generateActivity(bed.hub, { transactions: 6 });
    const app = await connect({ servers: bed.hub.url, name: 'payments-svc', user: 'app', pass: bed.hub.passwords.app });
    const js = jetstream(app);
    const jsm = await jetstreamManager(app);
    const publish = async (name: string) => {
      seqs[name] = (await js.publish('tx.created', JSON.stringify({ id: name }))).seq;
    };
    seqs.deleted = ledger.deletedTransactionSeqs[0]!;
    seqs.purged = ledger.deletedTransactionSeqs[1]!;
    await at(SLICE_MS - 600);
    await publish('a');
    await publish('b');

    // Slice 2: b (the end of slice 1) and c (the start of this one) deleted: one run across the edge.
    await at(SLICE_MS + 300);
    await publish('c');
    await publish('d');
    for (let i = 0; i < 3; i++) {
      await connect({ servers: bed.hub.url, name: 'bad-login', user: 'mallory', pass: 'guess', reconnect: false })
        .then((nc) => nc.close())
        .catch((err) => {
          if (!(err instanceof AuthorizationError)) throw err;
        });
    }
    await at(2 * SLICE_MS - 500);
    await publish('e'); // the last message of slice 2, deleted below with f: a run over the next edge
    await jsm.streams.deleteMessage('TRANSACTIONS', seqs.b!);
    await jsm.streams.deleteMessage('TRANSACTIONS', seqs.c!);

    // Slice 3: f deleted with e, the run reported by g, this slice's first; stream changes.
    await at(2 * SLICE_MS + 300);
    await publish('f');
    await jsm.streams.deleteMessage('TRANSACTIONS', seqs.e!);
    await jsm.streams.deleteMessage('TRANSACTIONS', seqs.f!);
    await jsm.streams.add({ name: 'LEDGER_TMP', subjects: ['ledger.>'] });
    await jsm.streams.update('LEDGER_TMP', { subjects: ['ledger.>', 'ledger2.>'] });
    await jsm.streams.delete('LEDGER_TMP');
    await publish('g');
    await publish('h');

    // Slice 4: both its transactions deleted, the stream's last: the slice holds none, and the stream ends in a run
    // only stream info shows (its last stored time is in this slice).
    await at(3 * SLICE_MS + 300);
    await publish('i');
    await publish('j');
    await jsm.streams.deleteMessage('TRANSACTIONS', seqs.i!);
    await jsm.streams.deleteMessage('TRANSACTIONS', seqs.j!);
    await app.close();
    await at(4 * SLICE_MS + 200);

    const from = new Date(start).toISOString();
    const to = new Date(start + 4 * SLICE_MS).toISOString();
    period = {
      from: nanosFromMillis(start),
      to: nanosFromMillis(start + 4 * SLICE_MS),
      timezone: 'UTC',
      kind: 'adhoc',
    };
    single = await run(path.join(bed.dir, 'one'), [], from, to);
    sliced = await run(
      path.join(bed.dir, 'four'),
      ['--slices', '4', '--archive', path.join(bed.dir, 'four')],
      from,
      to,
    );
  }, 120_000);
  afterAll(async () => bed?.close());

  it('finds every deleted run once, at and across the slices’ edges, as the single run does', () => {
    const tx = sliced.report.streams.find((s) => s.stream === 'TRANSACTIONS')!;
    const { a, b, c, d, e, f, g, h, i, j, deleted, purged } = seqs as Record<string, number>;
    expect([a, b, c, d, e, f, g, h, i, j]).toEqual([7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    expect(tx).toMatchObject({
      firstSeq: 1,
      lastSeq: h,
      messages: 8,
      gaps: [
        [deleted, deleted],
        [purged, purged],
        [b, c],
        [e, f],
        [i, j],
      ],
      missing: 8,
    });
    expect(sliced.report.streams).toEqual(single.report.streams);
  });

  it('gives the single run’s report: every figure, control and detection', () => {
    // The run's own: its clock (generatedAt and what it dates), the incident record and the servers' access answers
    // as they stand when it runs (the first run opened the incidents the second finds open). The rest is the period's.
    const comparable = (r: ReportV1) => {
      const { inputs, incidents: _i, access: _a, ...rest } = r as ReportV1 & { access?: unknown };
      const { slices: _s, incidents: _ii, access: _ia, ...recorded } = inputs!;
      return JSON.parse(JSON.stringify({ ...rest, inputs: recorded }).replaceAll(r.generatedAt, '(generatedAt)'));
    };
    const incidents = (r: ReportV1) => r.incidents.map((i) => [i.id, i.rule, i.status]);
    expect(single.report.inputs?.slices).toBe(1);
    expect(sliced.report.inputs?.slices).toBe(4);
    expect(single.report.authFailures.total).toBeGreaterThanOrEqual(5);
    expect(single.report.jetstreamChanges.length).toBeGreaterThan(5);
    expect(single.report.detections?.length).toBeGreaterThan(0);
    expect(sliced.report.controls).toEqual(single.report.controls);
    expect(comparable(sliced.report).detections).toEqual(comparable(single.report).detections);
    expect(comparable(sliced.report)).toEqual(comparable(single.report));
    expect(incidents(sliced.report)).toEqual(incidents(single.report));
    expect(sliced.report.inputs?.incidents?.map((i) => i.id)).toEqual(
      single.report.inputs?.incidents?.map((i) => i.id),
    );
  });

  it('writes the single run’s evidence file, byte for byte', () => {
    expect(sliced.evidence.length).toBeGreaterThan(1000);
    expect(Buffer.compare(sliced.evidence, single.evidence)).toBe(0);
  });

  it('shows one progress line per stream, summed over its slices, done once all of them are', async () => {
    const updates: StreamProgress[] = [];
    const ports = { connect: (s: TestBed['config']['sources'][number]) => connectSource(s.name, s.nats), log() {} };
    const replayed = await replaySliced(bed.config, period, ports, 4, { onProgress: (p) => updates.push(p) });
    for (const s of replayed.streams) {
      const mine = updates.filter((u) => u.source === s.source && u.stream === s.stream);
      expect(
        mine.filter((u) => u.done),
        s.stream,
      ).toHaveLength(1);
      expect(mine.at(-1), s.stream).toEqual({
        source: s.source,
        stream: s.stream,
        read: s.messages,
        total: s.messages,
        done: true,
      });
    }
    expect(replayed.streams).toEqual(single.report.streams);
  });

  it('passes verify --recompute', async () => {
    expect(stderr).toContain('app/TRANSACTIONS: 8 messages, 8 missing');
    const verified = await verifyArchive(localArchive(path.join(bed.dir, 'four')), { recompute: true });
    expect(verified.entries.map((e) => [e.bundle, e.problems])).toEqual([[verified.entries[0]!.bundle, []]]);
    expect(verified.ok).toBe(true);
  });
});

describe('the slice count on the command line', () => {
  it('refuses one out of range with exit 2, before the configuration is even read', async () => {
    const result = await soxReport(['run', '--config', '/nonexistent/sox-report.json', '--slices', '65']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('sox-report: --slices: must be a whole number from 1 to 64');
  });
});
