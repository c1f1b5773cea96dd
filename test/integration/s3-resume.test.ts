/**
 * Completing an interrupted run on an S3 archive, on real nats-server: a run that stopped part-way left locked
 * objects under the bundle's path that can never be removed; the next run completes exactly what this software
 * wrote there (vouched for by the signed intent written first) and keeps it byte for byte, and anything else in
 * the bundle's place stops the run before NATS is read, naming the object and what to do.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { bundlePath, intentFileName, keyPathOf } from '../../functions/archive/layout.js';
import { s3Archive, type S3ArchiveOptions } from '../../functions/archive/s3.js';
import type { ArchivePort } from '../../functions/archive/port.js';
import { verifyArchive } from '../../functions/archive/verify.js';
import { terminalPorts } from '../../functions/cli/ports.js';
import type { Period } from '../../functions/config/period.js';
import { ForeignObjectsError } from '../../functions/errors.js';
import { generateActivity } from '../../functions/local/activity.js';
import { NATS_VERSIONS } from '../../functions/local/nats-binaries.js';
import type { Ports } from '../../functions/pipeline/contracts.js';
import { runReport } from '../../functions/pipeline/run-report.js';
import { retainUntilOf } from '../../functions/pipeline/bundle-place-open.js';
import { newRunId, readIntent, signIntent } from '../../functions/seal/intent.js';
import { loadOrCreateLocalSigner } from '../../functions/seal/local-signer.js';
import { certificateSha256, parseManifest, sha256 } from '../../functions/seal/manifest.js';
import { nowNanos } from '../../functions/time/nanos.js';
import { startTestBed, type TestBed } from '../support/hub.js';
import { FakeBucket } from '../support/s3-fake.js';
import { TEST_PRODUCER } from '../support/verify-archive.js';

const version = NATS_VERSIONS.at(-1)!;
const EVIDENCE = 'evidence.jsonl.gz';
/**
 * The connections of a run that reads the period: the accounts the configuration names resolved, each source
 * replayed, the access evidence asked, then the incident record.
 */
const READ_PERIOD = ['audit', 'audit', 'app', 'audit', 'audit'];
const INTENT = /^intent-\d{8}T\d{9}Z-[0-9a-f]{8}\.json$/;
const b64 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('base64');

describe(`completing an interrupted run on an S3 archive (nats-server ${version})`, () => {
  let bed: TestBed;
  let period: Period;
  let base: Ports;
  /** The bundle's key prefix in the bucket and its s3:// URL. */
  let bundleKey: string;
  let bundleUrl: string;
  let keyFileKey: string;
  const buckets: FakeBucket[] = [];

  beforeAll(async () => {
    bed = await startTestBed(version);
    const from = nowNanos();
    await generateActivity(bed.hub, { transactions: 6 });
    await new Promise((r) => setTimeout(r, 50));
    period = { from, to: nowNanos(), timezone: 'UTC', kind: 'adhoc' };
    base = await terminalPorts(bed.config, { log: () => undefined });
    bundleKey = `sox/${bundlePath(period)}`;
    bundleUrl = `s3://archive/${bundleKey}`;
    keyFileKey = `sox/${keyPathOf(base.signer.publicKeySha256, certificateSha256(base.signer.certificatePem))}`;
  });
  afterAll(async () => bed?.close());
  afterEach(() => {
    for (const bucket of buckets.splice(0)) bucket.restore();
  });

  function newBucket(): FakeBucket {
    const bucket = new FakeBucket();
    buckets.push(bucket);
    return bucket;
  }

  function archiveOf(bucket: FakeBucket, extra: Partial<S3ArchiveOptions> = {}): ArchivePort {
    return s3Archive({ client: bucket.client, bucket: 'archive', prefix: 'sox', now: () => new Date(), ...extra });
  }

  /** A run's ports on the bucket; `connects` names the sources it connects to, `offline` makes any connection fail. */
  function portsOn(archive: ArchivePort, options: { offline?: boolean } = {}): Ports & { connects: string[] } {
    const ports: Ports & { connects: string[] } = {
      ...base,
      archive,
      mailer: null,
      alerts: null,
      connects: [],
      connect: async (source) => {
        ports.connects.push(source.name);
        if (options.offline) throw new Error(`this run must not read NATS (it connected to ${source.name})`);
        return base.connect(source);
      },
    };
    return ports;
  }

  /** Every key with the ids and SHA-256 of its versions, newest first. */
  function versionsOf(bucket: FakeBucket): Record<string, { id: string; sha256: string }[]> {
    return Object.fromEntries(
      bucket.keys().map((key) => [key, bucket.versions.get(key)!.map((v) => ({ id: v.id, sha256: sha256(v.bytes) }))]),
    );
  }

  const inBundle = (bucket: FakeBucket) =>
    bucket
      .keys()
      .filter((k) => k.startsWith(`${bundleKey}/`))
      .map((k) => k.slice(bundleKey.length + 1));

  function intentsOf(bucket: FakeBucket): string[] {
    return inBundle(bucket).filter((name) => name.startsWith('intent-'));
  }

  async function verifiedOk(bucket: FakeBucket): Promise<void> {
    const verified = await verifyArchive(archiveOf(bucket), { recompute: true, now: new Date() });
    expect(verified.problems).toEqual([]);
    expect(verified.entries.map((e) => [e.bundle, e.problems])).toEqual([[bundlePath(period), []]]);
    expect(verified.entries[0]!.notes.join('\n')).toMatch(
      /re-performed from evidence\.jsonl\.gz: \d+ messages, every figure agrees/,
    );
    expect(verified.ok).toBe(true);
  }

  /** The sealed bundle: its manifest lists the intents, then the evidence and the documents, each as stored. */
  function expectSealed(bucket: FakeBucket, intents: string[]): void {
    expect(inBundle(bucket)).toEqual(
      [...intents, EVIDENCE, 'manifest.json', 'manifest.json.sig', 'report.html', 'report.json', 'report.pdf'].sort(),
    );
    for (const versions of Object.values(versionsOf(bucket))) expect(versions).toHaveLength(1);
    const manifest = parseManifest(bucket.bytes(`${bundleKey}/manifest.json`)!);
    expect(manifest.artifacts.map((a) => a.path)).toEqual([
      ...intents,
      EVIDENCE,
      'report.json',
      'report.html',
      'report.pdf',
    ]);
    for (const artifact of manifest.artifacts) {
      const bytes = bucket.bytes(`${bundleKey}/${artifact.path}`)!;
      expect(artifact, artifact.path).toEqual({ path: artifact.path, bytes: bytes.length, sha256: sha256(bytes) });
    }
  }

  function crashOn(bucket: FakeBucket, operation: string, name: string): void {
    bucket.beforeWrite = (op, key) => {
      if (op === operation && key === `${bundleKey}/${name}`) throw new Error('connection reset (simulated crash)');
    };
  }

  it('completes a run that stopped before report.html from what it stored, without reading NATS again', async () => {
    const bucket = newBucket();
    crashOn(bucket, 'PutObject', 'report.html');
    const first = portsOn(archiveOf(bucket));
    await expect(runReport(bed.config, period, first)).rejects.toHaveProperty(
      'message',
      `S3 PutObject ${bundleUrl}/report.html failed (Error): connection reset (simulated crash)`,
    );
    expect(first.connects).toEqual(READ_PERIOD);
    const [intent] = intentsOf(bucket);
    expect(intent).toMatch(INTENT);
    expect(bucket.keys()).toEqual(
      [keyFileKey, `${bundleKey}/${EVIDENCE}`, `${bundleKey}/${intent}`, `${bundleKey}/report.json`].sort(),
    );
    // The intent names the evidence and report.json as they were stored, and the documents still to come.
    const read = readIntent(bucket.bytes(`${bundleKey}/${intent}`)!, base.signer.publicKeyPem);
    if (!('intent' in read)) throw new Error(read.problem);
    expect(read.intent.bundle).toBe(bundlePath(period));
    expect(intentFileName(read.intent.run)).toBe(intent);
    expect(read.intent.artifacts.map((a) => a.path)).toEqual([EVIDENCE, 'report.json', 'report.html', 'report.pdf']);
    for (const name of [EVIDENCE, 'report.json']) {
      const bytes = bucket.bytes(`${bundleKey}/${name}`)!;
      expect(read.intent.artifacts.find((a) => a.path === name)).toEqual({
        path: name,
        bytes: bytes.length,
        sha256: sha256(bytes),
      });
    }
    const before = versionsOf(bucket);
    const storedJson = bucket.bytes(`${bundleKey}/report.json`)!;

    bucket.beforeWrite = () => undefined;
    const logs: string[] = [];
    const second = { ...portsOn(archiveOf(bucket), { offline: true }), log: (line: string) => logs.push(line) };
    const result = await runReport(bed.config, period, second);
    expect(result.existed).toBe(false);
    expect(logs).toContain(`completing the bundle an earlier run left unfinished at ${bundleUrl}`);
    expect(result.report).toEqual(JSON.parse(Buffer.from(storedJson).toString('utf8')));

    // What the first run stored is kept: the same versions, and no key has a second one.
    const after = versionsOf(bucket);
    for (const [key, versions] of Object.entries(before)) expect(after[key], key).toEqual(versions);
    const intents = intentsOf(bucket);
    expect(intents).toHaveLength(2);
    expect(intents[0]).toBe(intent);
    expect(intents[1]).toMatch(INTENT);
    expectSealed(bucket, intents);
    expect(bucket.keys()).toEqual([keyFileKey, ...inBundle(bucket).map((n) => `${bundleKey}/${n}`)].sort());
    await verifiedOk(bucket);
  });

  it('replays a run that stopped after its evidence, keeps the stored evidence, and completes it', async () => {
    const bucket = newBucket();
    crashOn(bucket, 'PutObject', 'report.json');
    await expect(runReport(bed.config, period, portsOn(archiveOf(bucket)))).rejects.toHaveProperty(
      'message',
      `S3 PutObject ${bundleUrl}/report.json failed (Error): connection reset (simulated crash)`,
    );
    const [intent] = intentsOf(bucket);
    expect(bucket.keys()).toEqual([keyFileKey, `${bundleKey}/${EVIDENCE}`, `${bundleKey}/${intent}`].sort());
    const before = versionsOf(bucket);

    bucket.beforeWrite = () => undefined;
    const second = portsOn(archiveOf(bucket));
    const result = await runReport(bed.config, period, second);
    expect(result.existed).toBe(false);
    expect(second.connects).toEqual(READ_PERIOD); // it read the period again
    const after = versionsOf(bucket);
    for (const [key, versions] of Object.entries(before)) expect(after[key], key).toEqual(versions);
    // No second evidence object was even attempted: the replay's bytes were the stored ones.
    const evidencePuts = bucket.mock
      .commandCalls(PutObjectCommand)
      .filter((c) => c.args[0].input.Key === `${bundleKey}/${EVIDENCE}`);
    expect(evidencePuts).toHaveLength(1);
    const intents = intentsOf(bucket);
    expect(intents).toHaveLength(2);
    expect(intents[0]).toBe(intent);
    expectSealed(bucket, intents);
    await verifiedOk(bucket);
  });

  const refusal = (objects: string) =>
    `the place of the bundle ${bundleUrl} holds what this software did not write there: ${objects}. ` +
    'Nothing was read or signed. ' +
    'Locked objects cannot be removed: find out who wrote them (CloudTrail data events for the bucket), ' +
    'and archive this ' +
    'period elsewhere (another archive prefix, or an ad-hoc run).';

  /** Runs against what was planted: the run must stop before NATS and write nothing under the bundle. */
  async function expectRefused(bucket: FakeBucket, message: string): Promise<void> {
    const planted = versionsOf(bucket);
    const ports = portsOn(archiveOf(bucket), { offline: true });
    const refused = await runReport(bed.config, period, ports).then(
      () => null,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(ForeignObjectsError);
    expect((refused as Error).message).toBe(message);
    expect(ports.connects).toEqual([]);
    // Only the key file is written (before the place is inspected); what was planted is as it was.
    expect(bucket.keys()).toEqual([keyFileKey, ...Object.keys(planted)].sort());
    const { [keyFileKey]: keyFile, ...rest } = versionsOf(bucket);
    expect(keyFile).toHaveLength(1);
    expect(rest).toEqual(planted);
  }

  it('stops before reading NATS at a report.json no intent vouches for, naming it', async () => {
    const bucket = newBucket();
    const fake = new TextEncoder().encode('{"schema":"sox-report/v1","note":"planted"}\n');
    bucket.plant(`${bundleKey}/report.json`, fake);
    // Named by no intent, it is not even read: whatever its size, nothing was hashed.
    await expectRefused(
      bucket,
      refusal(
        `${bundleUrl}/report.json: no intent signed by this run's key names it with this size (${fake.length} bytes)`,
      ),
    );
    expect(
      bucket.mock.commandCalls(GetObjectCommand).filter((c) => c.args[0].input.Key === `${bundleKey}/report.json`),
    ).toEqual([]);
  });

  it('stops at an intent signed with another key, and at the report.json it names', async () => {
    const bucket = newBucket();
    const fake = new TextEncoder().encode('{"schema":"sox-report/v1","note":"vouched for by another key"}\n');
    const other = await loadOrCreateLocalSigner({ dir: path.join(bed.dir, 'other-signing') });
    expect(other.publicKeySha256).not.toBe(base.signer.publicKeySha256);
    const run = newRunId(nowNanos());
    const intent = await signIntent(
      {
        bundle: bundlePath(period),
        run,
        signer: { publicKeySha256: other.publicKeySha256, certificateSha256: certificateSha256(other.certificatePem) },
        artifacts: [{ path: 'report.json', bytes: fake.length, sha256: sha256(fake) }],
        producer: TEST_PRODUCER,
      },
      other,
    );
    bucket.plant(`${bundleKey}/${intentFileName(run)}`, intent);
    bucket.plant(`${bundleKey}/report.json`, fake);
    await expectRefused(
      bucket,
      refusal(
        `${bundleUrl}/${intentFileName(run)}: its signature does not verify with this run's signing key; ` +
          `${bundleUrl}/report.json: no intent signed by this run's key names it with this size (${fake.length} bytes)`,
      ),
    );
  });

  it("stops at a report.json whose bytes are not the ones this run's genuine intent names", async () => {
    const bucket = newBucket();
    const named = new TextEncoder().encode('{"schema":"sox-report/v1","note":"what the run meant to store"}\n');
    // As long as what the intent names: only the bytes tell them apart.
    const stored = new TextEncoder().encode('{"schema":"sox-report/v1","note":"what is there, never meant!"}\n');
    expect(stored.length).toBe(named.length);
    const run = newRunId(nowNanos());
    const intent = await signIntent(
      {
        bundle: bundlePath(period),
        run,
        signer: {
          publicKeySha256: base.signer.publicKeySha256,
          certificateSha256: certificateSha256(base.signer.certificatePem),
        },
        artifacts: [{ path: 'report.json', bytes: named.length, sha256: sha256(named) }],
        producer: TEST_PRODUCER,
      },
      base.signer,
    );
    expect(readIntent(intent, base.signer.publicKeyPem)).toHaveProperty('intent');
    bucket.plant(`${bundleKey}/${intentFileName(run)}`, intent);
    bucket.plant(`${bundleKey}/report.json`, stored);
    await expectRefused(
      bucket,
      refusal(
        `${bundleUrl}/report.json: no intent signed by this run's key names it with these bytes (SHA-256 ` +
          `${sha256(stored)})`,
      ),
    );
  });

  describe('a multipart evidence file', () => {
    const PART = 1024;
    const evidenceKey = () => `${bundleKey}/${EVIDENCE}`;
    const small = (bucket: FakeBucket) => archiveOf(bucket, { multipartBytes: PART, allowSmallParts: true });

    it('refuses parts S3 would refuse unless a test double is meant', () => {
      const bucket = newBucket();
      expect(() => archiveOf(bucket, { multipartBytes: PART })).toThrow(
        new Error(
          's3 archive: multipartBytes must be a whole number of bytes from 5242880 to 5368709120 (S3 takes ' +
            'parts of 5 MiB to 5 GiB), not 1024',
        ),
      );
      expect(() => archiveOf(bucket, { multipartBytes: 0, allowSmallParts: true })).toThrow(
        /from 1 to 5368709120 .*not 0$/,
      );
    });

    it(
      'is written as a locked multipart upload completed ' + 'with If-None-Match, read back by its composite checksum',
      async () => {
        const bucket = newBucket();
        const result = await runReport(bed.config, period, portsOn(small(bucket)));
        expect(result.existed).toBe(false);
        const evidence = Buffer.from(bucket.bytes(evidenceKey())!);
        const n = Math.ceil(evidence.length / PART);
        expect(n).toBeGreaterThanOrEqual(3);
        const parts = Array.from({ length: n }, (_, i) => evidence.subarray(i * PART, (i + 1) * PART));
        const retainUntil = new Date(
          Math.floor(retainUntilOf(period, bed.config.retentionYears).getTime() / 1000) * 1000,
        );

        const created = bucket.mock.commandCalls(CreateMultipartUploadCommand).map((c) => c.args[0].input);
        expect(created).toEqual([
          {
            Bucket: 'archive',
            Key: evidenceKey(),
            ChecksumAlgorithm: 'SHA256',
            ObjectLockMode: 'COMPLIANCE',
            ObjectLockRetainUntilDate: retainUntil,
            ContentType: 'application/gzip',
          },
        ]);
        const uploaded = bucket.mock.commandCalls(UploadPartCommand).map((c) => c.args[0].input);
        const UploadId = uploaded[0]!.UploadId;
        expect(UploadId).toMatch(/^upload-\d+$/);
        expect(uploaded.map((input) => ({ ...input, Body: Buffer.from(input.Body as Uint8Array) }))).toEqual(
          parts.map((body, i) => ({
            Bucket: 'archive',
            Key: evidenceKey(),
            UploadId,
            PartNumber: i + 1,
            Body: body,
            ChecksumSHA256: b64(body),
          })),
        );
        expect(bucket.mock.commandCalls(CompleteMultipartUploadCommand).map((c) => c.args[0].input)).toEqual([
          {
            Bucket: 'archive',
            Key: evidenceKey(),
            UploadId,
            IfNoneMatch: '*',
            MultipartUpload: { Parts: parts.map((body, i) => ({ PartNumber: i + 1, ChecksumSHA256: b64(body) })) },
          },
        ]);
        expect(bucket.mock.commandCalls(PutObjectCommand).filter((c) => c.args[0].input.Key === evidenceKey())).toEqual(
          [],
        );
        expect(bucket.mock.commandCalls(AbortMultipartUploadCommand)).toEqual([]);

        const [stored] = bucket.versions.get(evidenceKey())!;
        const composite = `${createHash('sha256')
          .update(Buffer.concat(parts.map((p) => createHash('sha256').update(p).digest())))
          .digest('base64')}-${n}`;
        expect(stored).toMatchObject({ lockMode: 'COMPLIANCE', retainUntil, checksum: composite });
        expect(bucket.uploads.size).toBe(0);
        expectSealed(bucket, intentsOf(bucket));
        await verifiedOk(bucket);
      },
    );

    it('is aborted when a part fails midway: no object, the run rejects, and a rerun completes', async () => {
      const bucket = newBucket();
      let partsTried = 0;
      bucket.beforeWrite = (op) => {
        if (op === 'UploadPart' && ++partsTried === 2) throw new Error('connection reset (simulated crash)');
      };
      await expect(runReport(bed.config, period, portsOn(small(bucket)))).rejects.toHaveProperty(
        'message',
        `S3 UploadPart ${bundleUrl}/${EVIDENCE} failed (Error): connection reset (simulated crash)`,
      );
      const UploadId = bucket.mock.commandCalls(UploadPartCommand)[0]!.args[0].input.UploadId;
      expect(UploadId).toMatch(/^upload-\d+$/);
      expect(bucket.mock.commandCalls(UploadPartCommand)).toHaveLength(2);
      expect(bucket.mock.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input)).toEqual([
        { Bucket: 'archive', Key: evidenceKey(), UploadId },
      ]);
      expect(bucket.mock.commandCalls(CompleteMultipartUploadCommand)).toEqual([]);
      expect(bucket.uploads.size).toBe(0);
      expect(bucket.keys()).toEqual([keyFileKey]);

      bucket.beforeWrite = () => undefined;
      const result = await runReport(bed.config, period, portsOn(small(bucket)));
      expect(result.existed).toBe(false);
      expect(bucket.mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(1);
      expect(intentsOf(bucket)).toHaveLength(1);
      expectSealed(bucket, intentsOf(bucket));
      await verifiedOk(bucket);
    });
  });
});
