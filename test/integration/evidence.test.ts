/**
 * The evidence file and re-performance, on real nats-server: every message of the period is in the bundle with its
 * exact bytes, the manifest says what produced the report, `verify --recompute` re-performs every figure from the
 * evidence alone, and a key holder who edits a figure and re-signs the manifest passes plain verify but not that.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { connect, headers } from '@nats-io/transport-node';
import { reportParameters } from '../../functions/analysis/parameters.js';
import type { ReportV1 } from '../../functions/analysis/report-model.js';
import { bundlePath } from '../../functions/archive/layout.js';
import { localArchive } from '../../functions/archive/local.js';
import { verifyArchive } from '../../functions/archive/verify.js';
import { terminalPorts } from '../../functions/cli/ports.js';
import type { Period } from '../../functions/config/period.js';
import type { EvidenceMessage, EvidenceRecord } from '../../functions/evidence/format.js';
import { generateActivity } from '../../functions/local/activity.js';
import { NATS_VERSIONS } from '../../functions/local/nats-binaries.js';
import type { RunResult } from '../../functions/pipeline/contracts.js';
import { runReport } from '../../functions/pipeline/run-report.js';
import { loadOrCreateLocalSigner } from '../../functions/seal/local-signer.js';
import { manifestBytes, parseManifest, sha256 } from '../../functions/seal/manifest.js';
import { configSha256 } from '../../functions/seal/producer.js';
import { connectSource } from '../../functions/source/connect.js';
import { nowNanos } from '../../functions/time/nanos.js';
import { startTestBed, type TestBed } from '../support/hub.js';

function lines(file: Buffer): EvidenceRecord[] {
  return gunzipSync(file)
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as EvidenceRecord);
}

describe.each(NATS_VERSIONS)('the evidence of a period on nats-server %s', (version) => {
  let bed: TestBed;
  let period: Period;
  let result: RunResult;
  let report: ReportV1;
  let evidence: EvidenceRecord[];
  const hostile = new Uint8Array([0xff, 0x00, 0x22, 0x5c, 0x0a, 0xe2, 0x80, 0xae]);

  beforeAll(async () => {
    bed = await startTestBed(version);
    const from = nowNanos();
    await generateActivity(bed.hub, { transactions: 6 });
    const app = await connect({
      servers: bed.hub.url,
      name: 'evidence-publisher',
      user: 'app',
      pass: bed.hub.passwords.app,
    });
    const h = headers();
    h.set('Nats-Msg-Id', 'order-77');
    h.append('X-Trace', 'a');
    h.append('X-Trace', 'b');
    await jetstream(app).publish('tx.created', '{"id":77}', { headers: h });
    await jetstream(app).publish('tx.created', hostile);
    await app.close();
    await new Promise((r) => setTimeout(r, 50));
    period = { from, to: nowNanos(), timezone: 'UTC', kind: 'adhoc' };
    result = await runReport(bed.config, period, await terminalPorts(bed.config, { log: () => undefined }));
    report = result.report!;
    evidence = lines(await readFile(path.join(result.reportDir, 'evidence.jsonl.gz')));
  });
  afterAll(async () => bed?.close());

  it(
    'holds every message the report counts, stream by stream, ' + 'in stream order, with exact bytes and headers',
    async () => {
      const messages = evidence.filter((r): r is EvidenceMessage => r.type === 'message');
      for (const s of report.streams) {
        const mine = messages.filter((m) => m.stream === s.stream);
        expect(mine.length, s.stream).toBe(s.messages);
        expect(mine.map((m) => m.seq)).toEqual([...mine.map((m) => m.seq)].sort((a, b) => a - b));
      }
      // The transactions as the server stores them, read independently with a plain consumer.
      const app = await connectSource('app', bed.config.sources[1]!.nats);
      const consumer = await jetstream(app).consumers.get('TRANSACTIONS', { deliver_policy: DeliverPolicy.All });
      const stored = new Map<number, Uint8Array>();
      for (;;) {
        const m = await consumer.next({ expires: 1000 });
        if (!m) break;
        stored.set(m.seq, m.data);
      }
      await app.close();
      const tx = messages.filter((m) => m.stream === 'TRANSACTIONS');
      expect(tx.map((m) => m.seq)).toEqual([...stored.keys()]);
      for (const m of tx) {
        const bytes = m.data !== undefined ? Buffer.from(m.data, 'utf8') : Buffer.from(m.data_base64!, 'base64');
        expect(bytes.equals(Buffer.from(stored.get(m.seq)!)), `seq ${m.seq}`).toBe(true);
      }
      const withHeaders = tx.find((m) => m.headers);
      expect(withHeaders?.headers).toEqual({ 'Nats-Msg-Id': ['order-77'], 'X-Trace': ['a', 'b'] });
      const binary = tx.at(-1)!;
      expect(binary.data).toBeUndefined();
      expect(Buffer.from(binary.data_base64!, 'base64').equals(Buffer.from(hostile))).toBe(true);
      expect(binary.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/);
    },
  );

  it('starts with the period and ends each stream with what its replay found, and the manifest lists it', async () => {
    expect(evidence[0]).toMatchObject({
      type: 'evidence',
      schema: 'sox-report-evidence/v1',
      bundle: `adhoc/${path.basename(result.reportDir)}`,
    });
    const ends = evidence.filter((r) => r.type === 'stream');
    expect(ends.map((r) => r.type === 'stream' && r.stream)).toEqual(report.streams.map((s) => s.stream));
    const manifest = parseManifest(await readFile(result.manifest));
    const file = await readFile(path.join(result.reportDir, 'evidence.jsonl.gz'));
    expect(manifest.artifacts.find((a) => a.path === 'evidence.jsonl.gz')).toEqual({
      path: 'evidence.jsonl.gz',
      bytes: file.length,
      sha256: sha256(file),
    });
  });

  it('names in the manifest what produced the report, with no secret in it', async () => {
    const text = await readFile(result.manifest, 'utf8');
    const manifest = parseManifest(Buffer.from(text));
    if (manifest.schema !== 'sox-report-manifest/v2') throw new Error('not a v2 manifest');
    expect(manifest.producer.software).toMatchObject({ name: 'nats-sox-reports', version: '0.1.0' });
    expect(manifest.producer.software.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(manifest.producer.node).toBe(process.version);
    expect(manifest.producer.natsServers.map((s) => [s.source, s.version])).toEqual([
      ['audit', version],
      ['app', version],
    ]);
    expect(manifest.producer.configSha256).toBe(configSha256(bed.config));
    expect(manifest.producer.parameters).toEqual(JSON.parse(JSON.stringify(reportParameters(bed.config))));
    for (const secret of Object.values(bed.hub.passwords)) expect(text).not.toContain(secret);
  });

  it('is re-performed by verify --recompute: every figure agrees with the evidence', async () => {
    const verified = await verifyArchive(localArchive(bed.config.archive), { recompute: true });
    expect(verified.entries.map((e) => [e.bundle, e.problems])).toEqual([[verified.entries[0]!.bundle, []]]);
    expect(verified.ok).toBe(true);
    expect(verified.entries[0]!.notes.join('\n')).toMatch(
      /re-performed from evidence\.jsonl\.gz: \d+ messages, every figure agrees/,
    );
  });

  it(
    'catches a figure edited and re-signed with the real key: ' + 'plain verify passes, --recompute names the field',
    async () => {
      const root = path.join(bed.dir, 'forged');
      execFileSync('cp', ['-a', bed.config.archive, root]);
      execFileSync('chmod', ['-R', 'u+w', root]);
      const bundle = path.join(root, 'adhoc', path.basename(result.reportDir));
      const forged = JSON.parse(await readFile(path.join(bundle, 'report.json'), 'utf8')) as ReportV1;
      const real = forged.authFailures.total;
      forged.authFailures.total = real + 9;
      const json = Buffer.from(`${JSON.stringify(forged, null, 2)}\n`);
      await writeFile(path.join(bundle, 'report.json'), json);
      const manifest = parseManifest(await readFile(path.join(bundle, 'manifest.json')));
      manifest.artifacts = manifest.artifacts.map((a) =>
        a.path === 'report.json' ? { path: a.path, bytes: json.length, sha256: sha256(json) } : a,
      );
      const bytes = manifestBytes(manifest);
      const signer = await loadOrCreateLocalSigner({ dir: (bed.config.signing as { dir: string }).dir });
      await writeFile(path.join(bundle, 'manifest.json'), bytes);
      await writeFile(
        path.join(bundle, 'manifest.json.sig'),
        await signer.signDigest(createHash('sha256').update(bytes).digest()),
      );

      const plain = await verifyArchive(localArchive(root));
      expect(plain.ok).toBe(true);
      const recomputed = await verifyArchive(localArchive(root), { recompute: true });
      expect(recomputed.ok).toBe(false);
      expect(recomputed.entries[0]!.problems).toContain(
        `recompute: authFailures.total: report ${real + 9}, evidence ${real}`,
      );
    },
  );

  it('writes an evidence file for an empty period too: the header and each stream, no message', async () => {
    // Before the streams existed: nothing can be stored in it.
    const empty: Period = {
      from: 1_577_836_800_000_000_000n,
      to: 1_577_923_200_000_000_000n,
      timezone: 'UTC',
      kind: 'adhoc',
    };
    const run = await runReport(bed.config, empty, await terminalPorts(bed.config, { log: () => undefined }));
    const records = lines(await readFile(path.join(run.reportDir, 'evidence.jsonl.gz')));
    expect(records.map((r) => r.type)).toEqual(['evidence', 'stream', 'stream', 'stream', 'stream']);
  });

  it("stops before reading anything when something it did not write is in the bundle's place", async () => {
    const next: Period = {
      from: period.to + 5_000_000_000n,
      to: period.to + 6_000_000_000n,
      timezone: 'UTC',
      kind: 'adhoc',
    };
    const folder = path.join(bed.config.archive, bundlePath(next));
    await mkdir(folder, { recursive: true });
    const fake = '{"schema":"sox-report/v1","note":"planted"}\n';
    await writeFile(path.join(folder, 'report.json'), fake);
    await chmod(path.join(folder, 'report.json'), 0o444);
    await expect(
      runReport(bed.config, next, await terminalPorts(bed.config, { log: () => undefined })),
    ).rejects.toThrow(
      new RegExp(
        `${folder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} exists without a manifest\\.json: ` +
          '.*this folder was not made by sox-report\\. Nothing was read or signed',
      ),
    );
    expect(await readFile(path.join(folder, 'report.json'), 'utf8')).toBe(fake);
    await expect(readFile(path.join(folder, 'manifest.json'))).rejects.toThrow(/ENOENT/);
  });
});
