/**
 * Which days a rollup counts, on real nats-server, a real local archive and real signing: only days signed by the
 * key the rollup signs with (a renewed certificate of it too), only the bytes verification read (a day swapped
 * after it was verified is not counted, on a local archive or at the version verified on S3), and only days of the
 * rollup's own time zone. Each attack here was counted as a verified day before.
 */
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportV1 } from '../../functions/analysis/report-model.js';
import { bundlePath, dailyBundlePath, keyPathOf, MANIFEST, REPORT_JSON } from '../../functions/archive/layout.js';
import { localArchive } from '../../functions/archive/local.js';
import type { ArchivePort } from '../../functions/archive/port.js';
import { s3Archive } from '../../functions/archive/s3.js';
import { shortKey } from '../../functions/archive/verify-keys.js';
import { terminalPorts } from '../../functions/cli/ports.js';
import { dailyPeriod, rollupPeriod } from '../../functions/config/period.js';
import type { Config } from '../../functions/config/schema.js';
import { NATS_VERSIONS } from '../../functions/local/nats-binaries.js';
import type { Ports } from '../../functions/pipeline/contracts.js';
import { runReport } from '../../functions/pipeline/run-report.js';
import { runRollup, type RollupPeriod } from '../../functions/pipeline/run-rollup.js';
import { LOCAL_KEY_FILE, loadOrCreateLocalSigner } from '../../functions/seal/local-signer.js';
import { certificateSha256, parseManifest, sha256 } from '../../functions/seal/manifest.js';
import type { Signer } from '../../functions/seal/signer.js';
import { formatInstant } from '../../functions/time/nanos.js';
import { startTestBed, type TestBed, addTransactionsStream } from '../support/hub.js';
import { FakeBucket } from '../support/s3-fake.js';
import { createTestSigner } from '../support/test-signer.js';

const VERSION = NATS_VERSIONS.at(-1)!;
const encode = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
const decode = <T>(bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as T;

describe(`the days a rollup counts (nats-server ${VERSION})`, () => {
  let bed: TestBed;
  let config: Config;
  let base: Ports;
  let days: string[];
  let period: RollupPeriod;
  /** The demo's daily series, every day sealed with the configured key. */
  let honest: string;
  /** The same, but the last day made by the real tool with an attacker's own key (and its key file in keys/). */
  let forged: string;
  /** The same, but the last day signed with a renewed certificate of the configured key. */
  let renewed: string;
  let renewedSigner: Signer;
  let attacker: Signer;
  let copies = 0;

  /** A fresh copy of an archive, so each rollup of the span is made anew. */
  const copyOf = (archive: string): string => {
    const copy = path.join(bed.dir, `copy-${++copies}`);
    execFileSync('cp', ['-a', archive, copy]);
    return copy;
  };

  function portsOn(archive: ArchivePort, signer: Signer = base.signer): Ports & { logs: string[] } {
    const ports: Ports & { logs: string[] } = {
      ...base,
      archive,
      signer,
      logs: [],
      log: (line) => ports.logs.push(line),
    };
    return ports;
  }

  /** Rolls the span up on `ports`, and reads the rollup's report.json back. */
  const rollUp = async (ports: Ports, rollupConfig = config, span = period): Promise<ReportV1> => {
    const result = await runRollup(rollupConfig, span, ports);
    expect(result.existed).toBe(false);
    return decode<ReportV1>((await ports.archive.read(`${bundlePath(span)}/${REPORT_JSON}`))!);
  };

  beforeAll(async () => {
    bed = await startTestBed(VERSION);
    await addTransactionsStream(bed);
    config = bed.config;
    base = { ...(await terminalPorts(config, { log: () => undefined })), alerts: null, mailer: null };
    const today = DateTime.now().setZone(config.timezone);
    days = [4, 3, 2].map((back) => today.minus({ days: back }).toISODate()!);
    period = rollupPeriod({ from: days[0], to: days[2] }, config.timezone) as RollupPeriod;
    const firstTwo = path.join(bed.dir, 'first-two');
    for (const date of days.slice(0, 2))
      await runReport(config, dailyPeriod(date, config.timezone), portsOn(localArchive(firstTwo)));
    if (config.signing.kind !== 'local') throw new Error('the demo configuration signs with a local key');
    const keyFile = path.join(config.signing.dir, LOCAL_KEY_FILE);
    const certFile = path.join(bed.dir, 'renewed-cert.pem');
    const subject = '/CN=renewed signing certificate';
    execFileSync('openssl', [
      'req',
      '-x509',
      '-new',
      '-key',
      keyFile,
      '-days',
      '400',
      '-subj',
      subject,
      '-out',
      certFile,
    ]);
    renewedSigner = await loadOrCreateLocalSigner({ keyFile, certFile });
    attacker = createTestSigner('ECDSA_SHA_256', 'not the configured key');
    // The last day made three ways over copies of the first two: the real tool each time, with three signers.
    const lastDay = async (name: string, signer: Signer) => {
      const dir = path.join(bed.dir, name);
      execFileSync('cp', ['-a', firstTwo, dir]);
      await runReport(config, dailyPeriod(days[2]!, config.timezone), portsOn(localArchive(dir), signer));
      return dir;
    };
    honest = await lastDay('honest', base.signer);
    forged = await lastDay('forged', attacker);
    renewed = await lastDay('renewed', renewedSigner);
  }, 180_000);

  afterAll(async () => {
    await bed?.close();
  });

  it('does not count a day signed by another key, naming it, and fails rollup-coverage', async () => {
    const ports = portsOn(localArchive(copyOf(forged)));
    const report = await rollUp(ports);
    const manifest = parseManifest(await readFile(path.join(forged, dailyBundlePath(days[2]!), MANIFEST)));
    expect(manifest.signer.publicKeySha256).toBe(attacker.publicKeySha256);
    const keyFile = keyPathOf(attacker.publicKeySha256, certificateSha256(attacker.certificatePem));
    const day = report.rollup!.days[2]!;
    expect(day).toMatchObject({ date: days[2], status: 'failed', figures: null });
    expect(day.problems[0]).toBe(
      `signed by key ${attacker.publicKeySha256} (${keyFile}), not by the key this rollup signs with ` +
        `(${shortKey(base.signer.publicKeySha256)}): a day signed by another key is not counted`,
    );
    expect(report.rollup!.days.slice(0, 2).map((d) => d.status)).toEqual(['verified', 'verified']);
    expect(report.controls[0]).toMatchObject({
      id: 'rollup-coverage',
      status: 'fail',
      detail: `1 day failed verification (${days[2]}); 2 of 3 days counted in the figures`,
    });
    expect(ports.logs).toContain(`${days[2]}: failed`);
  });

  it('counts a day signed under a renewed certificate of its own key, with either certificate', async () => {
    expect(renewedSigner.publicKeySha256).toBe(base.signer.publicKeySha256);
    expect(await readdir(path.join(renewed, 'keys'))).toHaveLength(2);
    for (const signer of [base.signer, renewedSigner]) {
      const report = await rollUp(portsOn(localArchive(copyOf(renewed)), signer));
      expect(report.rollup!.days.map((d) => [d.date, d.status, d.problems])).toEqual(
        days.map((date) => [date, 'verified', []]),
      );
      expect(report.controls[0]).toMatchObject({ id: 'rollup-coverage', status: 'pass' });
    }
  });

  /**
   * The archive as a concurrent writer makes it: from the second read of the day's manifest on (the first is
   * verification's), every file of the day is `replacement`'s.
   */
  function swappedAfterVerification(
    archive: ArchivePort,
    bundle: string,
    replacement: (name: string) => Promise<Uint8Array | null>,
  ): ArchivePort & { swapped: () => boolean } {
    let manifestReads = 0;
    const swapped = () => manifestReads >= 2;
    const nameOf = (where: string) => (where.startsWith(`${bundle}/`) ? where.slice(bundle.length + 1) : null);
    return {
      ...archive,
      swapped,
      async read(where, options) {
        if (where === `${bundle}/${MANIFEST}`) manifestReads += 1;
        const name = nameOf(where);
        return swapped() && name !== null ? replacement(name) : archive.read(where, options);
      },
      readStream(where, options) {
        const name = nameOf(where);
        if (!swapped() || name === null) return archive.readStream(where, options);
        return (async function* () {
          yield (await replacement(name))!;
        })();
      },
    };
  }

  it('does not count a day swapped after verification for an unsigned one with other findings', async () => {
    const archive = localArchive(copyOf(honest));
    const bundle = dailyBundlePath(days[1]!);
    const original = (await archive.read(`${bundle}/${MANIFEST}`))!;
    // Every control passing, report.json's new SHA-256 in the manifest: consistent, but signed by no one.
    const report = decode<ReportV1>((await archive.read(`${bundle}/${REPORT_JSON}`))!);
    const edited = encode({ ...report, controls: report.controls.map((c) => ({ ...c, status: 'pass' })) });
    const manifest = decode<{ artifacts: { path: string; bytes: number; sha256: string }[] }>(original);
    const reportArtifact = manifest.artifacts.find((a) => a.path === REPORT_JSON)!;
    Object.assign(reportArtifact, { bytes: edited.length, sha256: sha256(edited) });
    const editedManifest = encode(manifest);
    const swapped = swappedAfterVerification(archive, bundle, async (name) =>
      name === MANIFEST ? editedManifest : name === REPORT_JSON ? edited : archive.read(`${bundle}/${name}`),
    );
    const rolled = await rollUp(portsOn(swapped));
    expect(swapped.swapped()).toBe(true);
    expect(rolled.rollup!.days[1]).toMatchObject({
      date: days[1],
      status: 'failed',
      manifestSha256: sha256(editedManifest),
      problems: [
        `${MANIFEST}: changed after the day was verified (SHA-256 ${sha256(editedManifest)} now, ` +
          `${sha256(original)} when verified)`,
        `manifest.json.sig: does not verify over the ${MANIFEST} read for the rollup with key ` +
          `${shortKey(base.signer.publicKeySha256)}`,
      ],
    });
    expect(rolled.controls[0]).toMatchObject({ id: 'rollup-coverage', status: 'fail' });
  });

  it('does not count a day swapped after verification for another bundle of the day, signed by its key', async () => {
    const archive = localArchive(copyOf(honest));
    const bundle = dailyBundlePath(days[2]!);
    const other = localArchive(renewed);
    const verifiedSha = sha256((await archive.read(`${bundle}/${MANIFEST}`))!);
    const otherSha = sha256((await other.read(`${bundle}/${MANIFEST}`))!);
    expect(otherSha).not.toBe(verifiedSha);
    const swapped = swappedAfterVerification(archive, bundle, (name) => other.read(`${bundle}/${name}`));
    const rolled = await rollUp(portsOn(swapped));
    expect(rolled.rollup!.days[2]).toMatchObject({
      status: 'failed',
      manifestSha256: otherSha,
      problems: [
        `${MANIFEST}: changed after the day was verified (SHA-256 ${otherSha} now, ${verifiedSha} when verified)`,
      ],
    });
  });

  it('does not count days of another time zone, naming both periods', async () => {
    const utc = { ...config, timezone: 'UTC' };
    const span = rollupPeriod({ from: days[0], to: days[2] }, 'UTC') as RollupPeriod;
    const report = await rollUp(portsOn(localArchive(copyOf(honest))), utc, span);
    expect(report.period).toMatchObject({ from: formatInstant(span.from), timezone: 'UTC' });
    expect(report.rollup!.days.map((d) => [d.date, d.status, d.problems])).toEqual(
      days.map((date) => {
        const theirs = dailyPeriod(date, config.timezone);
        const ours = dailyPeriod(date, 'UTC');
        return [
          date,
          'failed',
          [
            `${MANIFEST}: the bundle covers the daily period ${date} in ${config.timezone} ` +
              `[${formatInstant(theirs.from)}, ${formatInstant(theirs.to)}), not the day ${date} in UTC ` +
              `[${formatInstant(ours.from)}, ${formatInstant(ours.to)}) that this rollup covers`,
          ],
        ];
      }),
    );
    expect(report.controls[0]).toMatchObject({ id: 'rollup-coverage', status: 'fail' });
    expect(report.transactions.total).toBe(0);
  });

  describe('on S3', () => {
    let bucket: FakeBucket;
    afterAll(() => bucket?.restore());

    it('counts a day at the version verification read, whatever was written over it since', async () => {
      bucket = new FakeBucket();
      const archive = s3Archive({ client: bucket.client, bucket: 'archive', prefix: 'sox', now: () => new Date() });
      for (const date of days.slice(0, 2))
        await runReport(config, dailyPeriod(date, config.timezone), portsOn(archive));
      const bundle = dailyBundlePath(days[1]!);
      const original = (await archive.read(`${bundle}/${MANIFEST}`))!;
      const originalReport = decode<ReportV1>((await archive.read(`${bundle}/${REPORT_JSON}`))!);
      // Written over the day once verification has read its manifest: a newer version of report.json and of a
      // manifest listing it (a reader of the newest versions would count those).
      const edited = encode({ ...originalReport, controls: [] });
      const manifest = decode<{ artifacts: { path: string; bytes: number; sha256: string }[] }>(original);
      Object.assign(manifest.artifacts.find((a) => a.path === REPORT_JSON)!, {
        bytes: edited.length,
        sha256: sha256(edited),
      });
      let planted = false;
      const writtenOver: ArchivePort = {
        ...archive,
        async read(where, options) {
          const bytes = await archive.read(where, options);
          if (where === `${bundle}/${MANIFEST}` && !planted) {
            planted = true;
            bucket.plant(`sox/${bundle}/${REPORT_JSON}`, edited);
            bucket.plant(`sox/${bundle}/${MANIFEST}`, encode(manifest));
          }
          return bytes;
        },
      };
      const span = rollupPeriod({ from: days[0], to: days[1] }, config.timezone) as RollupPeriod;
      await runRollup(config, span, portsOn(writtenOver));
      expect(planted).toBe(true);
      const report = decode<ReportV1>((await archive.read(`${bundlePath(span)}/${REPORT_JSON}`))!);
      expect(report.rollup!.days[1]).toMatchObject({
        date: days[1],
        status: 'verified',
        manifestSha256: sha256(original),
        problems: [],
      });
      expect(report.rollup!.days[1]!.figures!.failingControls).toEqual(
        originalReport.controls.filter((c) => c.status === 'fail').map((c) => c.id),
      );
    });
  });
});
