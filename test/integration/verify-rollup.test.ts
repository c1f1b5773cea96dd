/**
 * `verify` of rollup bundles against attacks on copies of a genuine archive: three daily bundles run for real
 * against nats-server (the last with the demo's burst of activity: transactions, failed logins, changes,
 * deletions, tampering attempts), a rollup over them made by `runRollup` from the sealed dailies, and a day signed
 * off. Each attack is made on a copy: figures edited and re-signed with the archive's own key, a day re-run and
 * signed by a foreign key before the rollup was made, and planted rollups (days that are null, hundreds of
 * thousands of days, a span whose days are not archived).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import type { ReportV1 } from '../../functions/analysis/report-model.js';
import { dailyBundlePath, rollupBundlePath } from '../../functions/archive/layout.js';
import { localArchive } from '../../functions/archive/local.js';
import { verifyArchive, type VerifyEntry, type VerifyOptions } from '../../functions/archive/verify.js';
import { MAX_PROBLEMS_NAMED } from '../../functions/archive/verify-limits.js';
import { attest } from '../../functions/attest/attest.js';
import { ensureAttestationStream } from '../../functions/attest/stream.js';
import { demoConfig } from '../../functions/cli/demo.js';
import { terminalPorts } from '../../functions/cli/ports.js';
import { parseConfig } from '../../functions/config/load.js';
import { dailyPeriod, rollupPeriod } from '../../functions/config/period.js';
import type { Config } from '../../functions/config/schema.js';
import { generateActivity } from '../../functions/local/activity.js';
import { NATS_VERSIONS } from '../../functions/local/nats-binaries.js';
import type { Ports } from '../../functions/pipeline/contracts.js';
import { runReport } from '../../functions/pipeline/run-report.js';
import { runRollup, type RollupPeriod } from '../../functions/pipeline/run-rollup.js';
import { LOCAL_CERT_FILE, loadOrCreateLocalSigner } from '../../functions/seal/local-signer.js';
import { digestOf, manifestBytes, sha256, type Manifest } from '../../functions/seal/manifest.js';
import type { Signer } from '../../functions/seal/signer.js';
import { connectSource } from '../../functions/source/connect.js';
import { formatInstant, nanosFromMillis } from '../../functions/time/nanos.js';
import { soxReport } from '../support/cli.js';
import { startTestBed, type TestBed } from '../support/hub.js';
import { writableCopy } from '../support/verify-archive.js';

const VERSION = NATS_VERSIONS.at(-1)!;
const quiet = () => undefined;
const readJson = async <T = ReportV1>(file: string) => JSON.parse(await readFile(file, 'utf8')) as T;
const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

let bed: TestBed;
let document: Record<string, unknown>;
let config: Config;
let archive: string;
let signingDir: string;
let signer: Signer;
let trust: NonNullable<VerifyOptions['trust']>;
/** Two quiet days, then today: the server's clock cannot be set, so the activity is today's. */
let days: string[];
let rollup: string;
let rolled: ReportV1;
/** The runs' clock: from an hour after today ended in UTC, so today is a finished day to them; a ms a reading. */
let now: bigint;
let ticks = 0n;
const clock = () => {
  ticks += 1_000_000n;
  return now + ticks;
};
let copies = 0;

/** The configuration with its archive (and outbox) in `archiveDir`, signed with the key in `signing`. */
function configFor(archiveDir: string, signing = signingDir): Config {
  return parseConfig({ ...document, archive: archiveDir, signing: { kind: 'local', dir: signing } });
}

async function portsFor(cfg: Config): Promise<Ports> {
  return { ...(await terminalPorts(cfg, { log: quiet })), alerts: null, now: clock };
}

async function rollUp(cfg: Config): Promise<void> {
  const period = rollupPeriod({ from: days[0], to: days[2] }, cfg.timezone) as RollupPeriod;
  await runRollup(cfg, period, await portsFor(cfg));
}

/** A writable copy of the genuine archive. */
async function copy(): Promise<string> {
  copies += 1;
  return writableCopy(archive, path.join(bed.dir, `copy-${copies}`, 'archive'));
}

/** Lists every file of the bundle folder `dir` in its manifest again with its bytes and SHA-256, and signs it. */
async function reseal(dir: string, by: Signer, edit: (manifest: Manifest) => void = () => undefined): Promise<void> {
  const manifest = await readJson<Manifest>(path.join(dir, 'manifest.json'));
  edit(manifest);
  manifest.artifacts = await Promise.all(
    manifest.artifacts.map(async (a) => digestOf(a.path, await readFile(path.join(dir, a.path)))),
  );
  const bytes = manifestBytes(manifest);
  await writeFile(path.join(dir, 'manifest.json'), bytes);
  await writeFile(path.join(dir, 'manifest.json.sig'), await by.signDigest(Buffer.from(sha256(bytes), 'hex')));
}

const entryOf = (entries: VerifyEntry[], bundle: string) => entries.find((e) => e.bundle === bundle)!;

beforeAll(async () => {
  bed = await startTestBed(VERSION);
  archive = path.join(bed.dir, 'archive');
  signingDir = path.join(bed.dir, 'signing');
  document = { ...(demoConfig(bed.hub.url, bed.hub.passwords, archive) as Record<string, unknown>), timezone: 'UTC' };
  config = configFor(archive);
  signer = await loadOrCreateLocalSigner({ dir: signingDir });
  trust = { pems: [await readFile(path.join(signingDir, LOCAL_CERT_FILE), 'utf8')] };
  const today = DateTime.utc().startOf('day');
  days = [2, 1, 0].map((back) => today.minus({ days: back }).toISODate()!);
  now = nanosFromMillis(today.plus({ days: 1, hours: 1 }).toMillis());
  rollup = rollupBundlePath(days[0]!, days[2]!);

  await generateActivity(bed.hub);
  const ports = await portsFor(config);
  for (const date of days) await runReport(config, dailyPeriod(date, config.timezone), ports);
  // A day signed off, so that the rollup records an attestation it read.
  const audit = config.sources[0]!;
  const nc = await connectSource(audit.name, audit.nats);
  await ensureAttestationStream(await jetstreamManager(nc), config);
  await nc.close();
  const request = { bundle: dailyBundlePath(days[1]!), decision: 'approved' as const, note: null, by: 'Ann' };
  await attest(config, ports, request, { iamPrincipal: null });
  await rollUp(config);
  rolled = await readJson(path.join(archive, rollup, 'report.json'));
}, 240_000);

afterAll(async () => {
  await bed?.close();
});

describe(`verify of a rollup on nats-server ${VERSION}`, () => {
  it('re-performs the genuine rollup from its days with --recompute: every bundle holds', async () => {
    // The rollup has figures worth re-performing: today's activity, and the sign-off it read.
    expect(rolled.rollup).toMatchObject({ verified: 3, failed: 0, missing: 0 });
    expect(rolled.transactions.total).toBeGreaterThan(0);
    expect(rolled.authFailures.total).toBeGreaterThan(0);
    expect(rolled.rollup!.reviews!.bundles[1]!.attestations).toHaveLength(1);
    const verified = await verifyArchive(localArchive(archive), { recompute: true, trust });
    expect(verified.entries.filter((e) => !e.ok)).toEqual([]);
    expect(verified.problems).toEqual([]);
    expect(entryOf(verified.entries, rollup).notes).toEqual(['rests on 3 daily manifests, each the one archived']);
    // A rollup run verifies the days alone: no rollup already archived is re-performed for it.
    const dailies = await verifyArchive(localArchive(archive), { recompute: true, dailiesOnly: true });
    expect(dailies.entries.map((e) => e.kind)).toEqual(['daily', 'daily', 'daily']);
  });

  it("fails --recompute naming each field when edited figures are re-signed with the archive's own key", async () => {
    const root = await copy();
    const dir = path.join(root, rollup);
    const edited = structuredClone(rolled);
    edited.transactions.total = 4242;
    edited.authFailures.total = 0;
    edited.rollup!.days[2]!.figures!.transactions = 4242;
    for (const control of edited.controls) control.status = 'pass';
    await writeFile(path.join(dir, 'report.json'), json(edited));
    await reseal(dir, signer);

    // Signed by the trusted key, so without --recompute nothing is wrong with it: its figures are not re-performed.
    const signed = await verifyArchive(localArchive(root), { trust });
    expect(entryOf(signed.entries, rollup)).toMatchObject({ ok: true, problems: [] });

    const verified = await verifyArchive(localArchive(root), { recompute: true, trust });
    expect(verified.entries.filter((e) => !e.ok).map((e) => e.bundle)).toEqual([rollup]);
    const day = rolled.rollup!.days[2]!.figures!.transactions;
    const controls = rolled.controls.flatMap((c, i) =>
      c.status === 'pass' ? [] : [`recompute: controls[${i}].status: report "pass", evidence "${c.status}"`],
    );
    expect(controls.length).toBeGreaterThan(0);
    expect(entryOf(verified.entries, rollup).problems).toEqual([
      `recompute: authFailures.total: report 0, evidence ${rolled.authFailures.total}`,
      `recompute: transactions.total: report 4242, evidence ${rolled.transactions.total}`,
      ...controls,
      `recompute: rollup.days[2].figures.transactions: report 4242, evidence ${day}`,
    ]);
  });

  it('fails a rollup resting on a day signed by a foreign key (--trust pins the real one), naming it', async () => {
    // The last day run again by someone else's installation (its own key), and a rollup signed by the real key over
    // it, as a rollup run that did not pin its own key made it: resting on that day's manifest, with its figures.
    const root = await copy();
    const day = dailyBundlePath(days[2]!);
    await rm(path.join(root, day), { recursive: true });
    const foreign = configFor(root, path.join(bed.dir, 'foreign-signing'));
    await runReport(foreign, dailyPeriod(days[2]!, foreign.timezone), await portsFor(foreign));
    const foreignSha = sha256(await readFile(path.join(root, day, 'manifest.json')));
    const edited = structuredClone(rolled);
    edited.rollup!.days[2]!.manifestSha256 = foreignSha;
    edited.rollup!.reviews!.bundles[2]!.manifestSha256 = foreignSha;
    await writeFile(path.join(root, rollup, 'report.json'), json(edited));
    await reseal(path.join(root, rollup), signer);

    const verified = await verifyArchive(localArchive(root), { trust });
    expect(verified.entries.filter((e) => !e.ok).map((e) => [e.bundle, e.problems])).toEqual([
      [day, [expect.stringMatching(/^signed by a key that is not trusted \(keys\//)]],
      [rollup, [`rollup: the day ${days[2]} it rests on fails verification (${day}: 1 problem, named on that day)`]],
    ]);
  });

  it('fails a rollup resting on a day whose document changed after the rollup was made, naming it', async () => {
    // The day's manifest is the one the rollup rests on; what it lists is not.
    const root = await copy();
    const day = dailyBundlePath(days[1]!);
    await writeFile(path.join(root, day, 'report.html'), '<!doctype html><p>All controls passed.</p>\n');
    const verified = await verifyArchive(localArchive(root), { trust });
    expect(verified.entries.filter((e) => !e.ok).map((e) => [e.bundle, e.problems])).toEqual([
      [day, [expect.stringMatching(/^report\.html: \d+ bytes with SHA-256 [0-9a-f]{64}, the manifest says/)]],
      [rollup, [`rollup: the day ${days[1]} it rests on fails verification (${day}: 1 problem, named on that day)`]],
    ]);
  });

  describe('a planted rollup', () => {
    /** An unsigned rollup bundle of `first`…`last` whose report.json holds `rollupSection`. */
    async function plant(root: string, first: string, last: string, rollupSection: unknown): Promise<string> {
      const bundle = rollupBundlePath(first, last);
      const period = rollupPeriod({ from: first, to: last }, 'UTC');
      const periodJson = { from: formatInstant(period.from), to: formatInstant(period.to), timezone: 'UTC' };
      const report = json({
        schema: 'sox-report/v1',
        period: { ...periodJson, kind: 'rollup' },
        generatedAt: formatInstant(now),
        rollup: rollupSection,
      });
      const genuine = await readJson<Manifest>(path.join(root, rollup, 'manifest.json'));
      const manifest = {
        ...genuine,
        bundle,
        period: { ...periodJson, kind: 'rollup' },
        artifacts: [digestOf('report.json', new TextEncoder().encode(report))],
      };
      await mkdir(path.join(root, bundle), { recursive: true });
      await writeFile(path.join(root, bundle, 'report.json'), report);
      await writeFile(path.join(root, bundle, 'manifest.json'), json(manifest));
      return bundle;
    }

    it('whose days are [null] fails alone with one clear problem; verify and verify --json go on', async () => {
      const root = await copy();
      const planted = await plant(root, days[0]!, days[1]!, { days: [null] });
      const verified = await verifyArchive(localArchive(root), { trust });
      expect(verified.entries.filter((e) => !e.ok).map((e) => e.bundle)).toEqual([planted]);
      expect(entryOf(verified.entries, planted).problems).toContainEqual(
        expect.stringMatching(/^report\.json: rollup\.days\[0\]: Invalid input: expected object, received null/),
      );

      const cli = await soxReport(['verify', root, '--trust', path.join(signingDir, LOCAL_CERT_FILE)]);
      expect(cli).toMatchObject({ code: 1, stderr: '' });
      expect(cli.stdout).toContain(`${planted}  FAIL  `);
      expect(cli.stdout).toContain('report.json: rollup.days[0]: Invalid input: expected object, received null');
      expect(cli.stdout).toContain(`${rollup}  OK\n`);
      const asJson = await soxReport(['verify', root, '--json']);
      expect(asJson).toMatchObject({ code: 1, stderr: '' });
      expect(entryOf(JSON.parse(asJson.stdout).entries, rollup).ok).toBe(true);
    });

    it("whose day is null, signed with the archive's own key, fails naming the day", async () => {
      const root = await copy();
      const dir = path.join(root, rollup);
      const edited = structuredClone(rolled) as unknown as { rollup: { days: unknown[] } };
      edited.rollup.days[1] = null;
      await writeFile(path.join(dir, 'report.json'), json(edited));
      await reseal(dir, signer);
      const verified = await verifyArchive(localArchive(root), { recompute: true, trust });
      expect(entryOf(verified.entries, rollup).problems).toEqual([
        'report.json: rollup.days[1]: Invalid input: expected object, received null',
      ]);
    });

    it.each([50_000, 200_000])('listing %i days fails alone, in a few lines, naming the count', async (count) => {
      const root = await copy();
      const day = {
        date: days[0],
        bundle: dailyBundlePath(days[0]!),
        status: 'verified',
        manifestSha256: 'a'.repeat(64),
        problems: [],
        figures: null,
      };
      const planted = await plant(root, days[0]!, days[1]!, { days: Array.from({ length: count }, () => day) });
      const verified = await verifyArchive(localArchive(root), { recompute: true, trust });
      expect(verified.entries.filter((e) => !e.ok).map((e) => e.bundle)).toEqual([planted]);
      expect(entryOf(verified.entries, planted).problems).toContain(
        `report.json: rollup.days lists ${count.toLocaleString('en-US')} days, more than a rollup may span (3,660)`,
      );
      expect(JSON.stringify(verified).length).toBeLessThan(10_000);
    });

    it("over 400 days, signed with the archive's own key, names the first problems and counts the rest", async () => {
      // Every day listed as verified, on manifests the archive does not hold: 400 problems, of which 100 named.
      const root = await copy();
      const first = DateTime.fromISO(days[2]!).minus({ days: 399 }).toISODate()!;
      const span = Array.from({ length: 400 }, (_, i) => DateTime.fromISO(first).plus({ days: i }).toISODate()!);
      const figures = rolled.rollup!.days[0]!.figures;
      const planted = await plant(root, first, days[2]!, {
        first,
        last: days[2],
        verified: 400,
        failed: 0,
        missing: 0,
        days: span.map((date) => ({
          date,
          bundle: dailyBundlePath(date),
          status: 'verified',
          manifestSha256: 'a'.repeat(64),
          problems: [],
          figures,
        })),
      });
      // Sealed with the rollup's documents, so that only its days are wrong.
      for (const name of ['report.html', 'report.pdf'])
        execFileSync('cp', [path.join(root, rollup, name), path.join(root, planted, name)]);
      await reseal(path.join(root, planted), signer, (m) => {
        m.artifacts.push({ path: 'report.html', bytes: 0, sha256: '' }, { path: 'report.pdf', bytes: 0, sha256: '' });
      });
      const verified = await verifyArchive(localArchive(root), { trust });
      const { problems } = entryOf(verified.entries, planted);
      expect(problems).toHaveLength(MAX_PROBLEMS_NAMED + 1);
      expect(problems[0]).toBe(
        `rollup: the day ${first} rests on ${dailyBundlePath(first)}, which is not in the archive`,
      );
      expect(problems.at(-1)).toBe('and 300 more problems');
    });
  });
});
