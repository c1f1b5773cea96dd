/**
 * Completing an interrupted rollup on an S3 archive, on real nats-server: a rollup run that stopped part-way left
 * locked objects under rollup/<first>_<last>/ that can never be removed; the next run completes it exactly as a daily
 * run completes its bundle, keeps every stored object as it is, and still stops at anything it did not write there.
 * A daily stopped after its manifest signature is completed the same way (the signature it stored is kept).
 */
import { DateTime } from 'luxon';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ReportV1 } from '../../functions/analysis/report-model.js';
import { bundlePath, dailyBundlePath, isIntentFile } from '../../functions/archive/layout.js';
import type { ArchivePort } from '../../functions/archive/port.js';
import { s3Archive } from '../../functions/archive/s3.js';
import { verifyArchive } from '../../functions/archive/verify.js';
import { terminalPorts } from '../../functions/cli/ports.js';
import { dailyPeriod, rollupPeriod } from '../../functions/config/period.js';
import { ForeignObjectsError } from '../../functions/errors.js';
import { NATS_VERSIONS } from '../../functions/local/nats-binaries.js';
import type { Ports } from '../../functions/pipeline/contracts.js';
import { crashPointOfWrite, type CrashPoint } from '../../functions/pipeline/crash-points.js';
import { runReport } from '../../functions/pipeline/run-report.js';
import { runRollup, type RollupPeriod } from '../../functions/pipeline/run-rollup.js';
import { parseManifest, sha256 } from '../../functions/seal/manifest.js';
import { startTestBed, type TestBed, addTransactionsStream } from '../support/hub.js';
import { FakeBucket } from '../support/s3-fake.js';

const version = NATS_VERSIONS.at(-1)!;
const INTENT = /^intent-\d{8}T\d{9}Z-[0-9a-f]{8}\.json$/;
/** What a rollup writes, in order (it has no evidence file): an intent, the documents, the signature, the manifest. */
const WRITES = ['<intent>', 'report.json', 'report.html', 'report.pdf', 'manifest.json.sig', 'manifest.json'];
/**
 * Each crash point a rollup passes before its manifest is stored, with the write a crash there leaves undone (on S3 a
 * crash is that write failing): before the first, the report is built and nothing written.
 */
const CRASHES = WRITES.map((_, i): [CrashPoint, string, number] => [
  i === 0
    ? 'evidence-staged'
    : crashPointOfWrite({ file: WRITES[i - 1] === '<intent>' ? 'intent-x.json' : WRITES[i - 1]! }),
  WRITES[i]!,
  i,
]);
const decode = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as ReportV1;

describe(`completing an interrupted rollup on an S3 archive (nats-server ${version})`, () => {
  let bed: TestBed;
  let base: Ports;
  let days: string[];
  let period: RollupPeriod;
  /** The bucket holding the sealed daily bundles each test starts from. */
  let dailies: FakeBucket;
  let rollupKey: string;
  let rollupUrl: string;
  const buckets: FakeBucket[] = [];

  function newBucket(): FakeBucket {
    const bucket = new FakeBucket();
    buckets.push(bucket);
    return bucket;
  }

  const archiveOf = (bucket: FakeBucket): ArchivePort =>
    s3Archive({ client: bucket.client, bucket: 'archive', prefix: 'sox', now: () => new Date() });

  /** A run's ports on the bucket; `connects` names the sources it connects to, `offline` makes any connection fail. */
  function portsOn(
    bucket: FakeBucket,
    options: { offline?: boolean } = {},
  ): Ports & {
    connects: string[];
    logs: string[];
  } {
    const ports: Ports & { connects: string[]; logs: string[] } = {
      ...base,
      archive: archiveOf(bucket),
      mailer: null,
      alerts: null,
      connects: [],
      logs: [],
      log: (line) => ports.logs.push(line),
      connect: async (source) => {
        ports.connects.push(source.name);
        if (options.offline) throw new Error(`this run must not read NATS (it connected to ${source.name})`);
        return base.connect(source);
      },
    };
    return ports;
  }

  beforeAll(async () => {
    bed = await startTestBed(version);
    await addTransactionsStream(bed);
    base = await terminalPorts(bed.config, { log: () => undefined });
    const today = DateTime.now().setZone(bed.config.timezone);
    days = [4, 3, 2].map((back) => today.minus({ days: back }).toISODate()!);
    period = rollupPeriod({ from: days[0], to: days[1] }, bed.config.timezone) as RollupPeriod;
    rollupKey = `sox/${bundlePath(period)}`;
    rollupUrl = `s3://archive/${rollupKey}`;
    dailies = new FakeBucket();
    for (const date of days.slice(0, 2)) {
      const made = await runReport(bed.config, dailyPeriod(date, bed.config.timezone), portsOn(dailies));
      expect(made.existed).toBe(false);
    }
  }, 120_000);
  afterAll(async () => {
    dailies?.restore();
    await bed?.close();
  });
  afterEach(() => {
    for (const bucket of buckets.splice(0)) bucket.restore();
  });

  /** A bucket holding the sealed dailies, object for object and version for version. */
  function bucketWithDailies(): FakeBucket {
    const bucket = newBucket();
    for (const [key, versions] of dailies.versions)
      bucket.versions.set(
        key,
        versions.map((v) => ({ ...v })),
      );
    return bucket;
  }

  /** Every key with the ids and SHA-256 of its versions, newest first. */
  function versionsOf(bucket: FakeBucket): Record<string, { id: string; sha256: string }[]> {
    return Object.fromEntries(
      bucket.keys().map((key) => [key, bucket.versions.get(key)!.map((v) => ({ id: v.id, sha256: sha256(v.bytes) }))]),
    );
  }

  const inPlace = (bucket: FakeBucket, key: string) =>
    bucket
      .keys()
      .filter((k) => k.startsWith(`${key}/`))
      .map((k) => k.slice(key.length + 1));

  /** Makes the write of `name` under `key` fail, as a crash right before it would. */
  function crashBefore(bucket: FakeBucket, key: string, name: string): void {
    bucket.beforeWrite = (_op, written) => {
      if (!written.startsWith(`${key}/`)) return;
      const at = written.slice(key.length + 1);
      if (name === '<intent>' ? isIntentFile(at) : at === name) throw new Error('connection reset (simulated crash)');
    };
  }

  /** The sealed bundle: its manifest lists the intents, then the documents, each as stored; one version a key. */
  function expectSealed(bucket: FakeBucket, key: string, documents: string[]): string[] {
    const intents = inPlace(bucket, key).filter(isIntentFile);
    for (const intent of intents) expect(intent).toMatch(INTENT);
    expect(inPlace(bucket, key)).toEqual([...intents, ...documents, 'manifest.json', 'manifest.json.sig'].sort());
    for (const [k, versions] of Object.entries(versionsOf(bucket))) expect(versions, k).toHaveLength(1);
    const manifest = parseManifest(bucket.bytes(`${key}/manifest.json`)!);
    expect(manifest.artifacts.map((a) => a.path)).toEqual([...intents, ...documents]);
    for (const artifact of manifest.artifacts) {
      const bytes = bucket.bytes(`${key}/${artifact.path}`)!;
      expect(artifact, artifact.path).toEqual({ path: artifact.path, bytes: bytes.length, sha256: sha256(bytes) });
    }
    return intents;
  }

  async function verifiedOk(bucket: FakeBucket, bundles: string[]): Promise<void> {
    const verified = await verifyArchive(archiveOf(bucket), { recompute: true, now: new Date() });
    expect(verified.problems).toEqual([]);
    expect(verified.entries.map((e) => [e.bundle, e.status, e.problems])).toEqual(
      bundles.map((bundle) => [bundle, 'ok', []]),
    );
    expect(verified.entries.find((e) => e.kind === 'rollup')?.notes).toEqual([
      'rests on 2 daily manifests, each the one archived',
    ]);
    expect(verified.ok).toBe(true);
  }

  it.each(CRASHES)('stopped at %s (before %s is stored): the rerun completes it', async (_point, undone, i) => {
    const bucket = bucketWithDailies();
    crashBefore(bucket, rollupKey, undone);
    const first = portsOn(bucket);
    const failed = await runRollup(bed.config, period, first).then(
      () => null,
      (err: unknown) => err as Error,
    );
    expect(failed?.message).toMatch(
      new RegExp(`^S3 PutObject ${rollupUrl}/\\S+ failed \\(Error\\): connection reset \\(simulated crash\\)$`),
    );
    const stored = inPlace(bucket, rollupKey);
    expect(stored.filter((n) => !isIntentFile(n))).toEqual(WRITES.slice(1, i).sort());
    expect(stored.filter(isIntentFile)).toHaveLength(i === 0 ? 0 : 1);
    const before = versionsOf(bucket);
    const storedJson = bucket.bytes(`${rollupKey}/report.json`);

    bucket.beforeWrite = () => undefined;
    // Once report.json is stored, the rerun seals what was stored: it reads neither NATS nor the dailies again.
    const second = portsOn(bucket, { offline: storedJson !== undefined });
    const result = await runRollup(bed.config, period, second);
    expect(result.existed).toBe(false);
    expect(second.logs.includes(`completing the rollup an earlier run left unfinished at ${rollupUrl}`)).toBe(i > 0);
    if (storedJson) {
      expect(second.connects).toEqual([]);
      expect(second.logs.filter((line) => line.endsWith(': verified'))).toEqual([]);
      expect(result.report).toEqual(decode(storedJson));
    } else {
      expect(second.logs).toContain(`${days[1]}: verified`);
    }

    // What the first run stored is kept: the same versions, the same bytes, and no key has a second one.
    const after = versionsOf(bucket);
    for (const [key, versions] of Object.entries(before)) expect(after[key], key).toEqual(versions);
    const intents = expectSealed(bucket, rollupKey, ['report.json', 'report.html', 'report.pdf']);
    // A rerun writes an intent of its own only when it has documents to write.
    expect(intents).toHaveLength(i === 0 || i >= 4 ? 1 : 2);
    expect(intents.filter((n) => before[`${rollupKey}/${n}`])).toHaveLength(i === 0 ? 0 : 1);
    expect(decode(bucket.bytes(`${rollupKey}/report.json`)!).rollup).toMatchObject({ verified: 2, missing: 0 });
    // Nothing else was written: the dailies (and the key file they wrote) and the rollup.
    expect(bucket.keys()).toEqual(
      [...dailies.keys(), ...inPlace(bucket, rollupKey).map((n) => `${rollupKey}/${n}`)].sort(),
    );
    await verifiedOk(bucket, [dailyBundlePath(days[0]!), dailyBundlePath(days[1]!), bundlePath(period)]);
  });

  it('still stops, naming it, at an object in the rollup’s place that no intent vouches for', async () => {
    const bucket = bucketWithDailies();
    crashBefore(bucket, rollupKey, 'report.html');
    await expect(runRollup(bed.config, period, portsOn(bucket))).rejects.toThrow(/simulated crash/);
    const planted = new TextEncoder().encode('not written by sox-report\n');
    bucket.plant(`${rollupKey}/notes.txt`, planted);
    bucket.beforeWrite = () => undefined;
    const before = versionsOf(bucket);

    const ports = portsOn(bucket, { offline: true });
    const refused = await runRollup(bed.config, period, ports).then(
      () => null,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(ForeignObjectsError);
    expect((refused as Error).message).toBe(
      `the place of the bundle ${rollupUrl} holds what this software did not write there: ` +
        `${rollupUrl}/notes.txt: no intent signed by this run's key names it with this size ` +
        `(${planted.length} bytes). ` +
        'Nothing was read or signed. Locked objects cannot be removed: find out who wrote them (CloudTrail data ' +
        'events for the bucket), and archive this period elsewhere (another archive prefix, or an ad-hoc run).',
    );
    expect(ports.connects).toEqual([]);
    expect(versionsOf(bucket)).toEqual(before);
  });

  it('completes a daily stopped after its manifest signature, keeping that signature', async () => {
    const bucket = bucketWithDailies();
    const day = dailyPeriod(days[2]!, bed.config.timezone);
    const dayKey = `sox/${bundlePath(day)}`;
    crashBefore(bucket, dayKey, 'manifest.json');
    await expect(runReport(bed.config, day, portsOn(bucket))).rejects.toThrow(/simulated crash/);
    expect(inPlace(bucket, dayKey).filter((n) => !isIntentFile(n))).toEqual([
      'evidence.jsonl.gz',
      'manifest.json.sig',
      'report.html',
      'report.json',
      'report.pdf',
    ]);
    const before = versionsOf(bucket);
    const signature = bucket.bytes(`${dayKey}/manifest.json.sig`)!;

    bucket.beforeWrite = () => undefined;
    const second = portsOn(bucket, { offline: true });
    const result = await runReport(bed.config, day, second);
    expect(result.existed).toBe(false);
    expect(second.connects).toEqual([]);
    const after = versionsOf(bucket);
    for (const [key, versions] of Object.entries(before)) expect(after[key], key).toEqual(versions);
    expect(bucket.bytes(`${dayKey}/manifest.json.sig`)).toEqual(signature);
    const intents = expectSealed(bucket, dayKey, ['evidence.jsonl.gz', 'report.json', 'report.html', 'report.pdf']);
    expect(intents).toHaveLength(1);
    const verified = await verifyArchive(archiveOf(bucket), { recompute: true, now: new Date() });
    expect(verified.problems).toEqual([]);
    expect(verified.entries.map((e) => [e.bundle, e.status, e.problems])).toEqual(
      days.map((date) => [dailyBundlePath(date), 'ok', []]),
    );
  });
});
