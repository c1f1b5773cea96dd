import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { access, chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { carriedOver } from '../../functions/analysis/previous-report.js';
import { detect, detectionContext } from '../../functions/analysis/detection/detect.js';
import { reportParameters } from '../../functions/analysis/parameters.js';
import type { ReportV1 } from '../../functions/analysis/report-model.js';
import { keyPathOf } from '../../functions/archive/layout.js';
import { localArchive } from '../../functions/archive/local.js';
import { verifyArchive } from '../../functions/archive/verify.js';
import { terminalPorts } from '../../functions/cli/ports.js';
import { dailyPeriod, type Period } from '../../functions/config/period.js';
import type { Config } from '../../functions/config/schema.js';
import type { Detection } from '../../functions/incidents/model.js';
import { NATS_VERSIONS } from '../../functions/local/nats-binaries.js';
import type { Ports } from '../../functions/pipeline/contracts.js';
import { runReport } from '../../functions/pipeline/run-report.js';
import { selfSignedCertificate } from '../../functions/seal/local-signer.js';
import { certificateSha256, keyFile, parseManifest, sha256 } from '../../functions/seal/manifest.js';
import { nowNanos, type Nanos } from '../../functions/time/nanos.js';
import { loginFrom } from '../support/raw-login.js';
import { startTestBed, type TestBed, addTransactionsStream } from '../support/hub.js';

const settle = () => new Promise((r) => setTimeout(r, 300));
const quiet = () => undefined;

/** The ports of a run on this machine, without the stderr alerts of the incidents each run opens. */
async function ports(config: Config, archive: string): Promise<Ports> {
  return { ...(await terminalPorts(config, { archive, log: quiet })), alerts: null };
}

/** What a detection says and rests on (the time of a settings finding is the run's own, so it is left out). */
const said = (ds: Detection[] | undefined) =>
  (ds ?? []).map(({ rule, severity, subject, summary, evidence }) => ({ rule, severity, subject, summary, evidence }));
const rules = (ds: Detection[] | undefined) => (ds ?? []).map((d) => `${d.rule} ${d.subject}`).sort();
const control = (report: ReportV1, id: string) => report.controls.find((c) => c.id === id)!;
const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as ReportV1;

/** The application's TRANSACTIONS stream, which the configuration reads, made as the application makes it. */
/** Today and yesterday in UTC, fixed once: every day named below is one of these, whenever the clock turns. */
const TODAY = DateTime.utc().toISODate()!;
const YESTERDAY = DateTime.utc().minus({ days: 1 }).toISODate()!;
const TOMORROW = DateTime.utc().plus({ days: 1 }).toISODate()!;
const dayFolder = (date: string) => `daily/${date.replaceAll('-', '/')}`;

/**
 * A daily period of `date` that covers [from, to) instead of the calendar day: the server's clock cannot be set,
 * so the days of the chain are cut around now. Only the date places the bundle in the chain.
 */
function dayAround(date: string, from: Nanos, to: Nanos): Period {
  return { from, to, timezone: 'UTC', kind: 'daily', date };
}

describe.each(NATS_VERSIONS)('the previous day of a daily run on nats-server %s', (version) => {
  let bed: TestBed;
  let config: Config;
  const archives = { untouched: '', edited: '', alone: '' };
  let dayD: ReportV1;
  let sealedJson: Buffer;
  let editedJson: Buffer;
  let edited: ReportV1;
  const next = {
    untouched: null as unknown as ReportV1,
    edited: null as unknown as ReportV1,
    alone: null as unknown as ReportV1,
  };

  beforeAll(async () => {
    bed = await startTestBed(version);
    await addTransactionsStream(bed);
    config = { ...bed.config, timezone: 'UTC' };
    archives.untouched = path.join(bed.dir, 'archive-untouched');
    archives.edited = path.join(bed.dir, 'archive-edited');
    archives.alone = path.join(bed.dir, 'archive-alone');

    // Day D: the application's user logs in from 127.0.0.1.
    const t0 = nowNanos();
    const app = await connect({ servers: bed.hub.url, name: 'payments-svc', user: 'app', pass: bed.hub.passwords.app });
    await app.close();
    await settle();
    const t1 = nowNanos();
    await new Promise((r) => setTimeout(r, 5));
    const sealed = await runReport(config, dayAround(YESTERDAY, t0, t1), await ports(config, archives.untouched));
    dayD = sealed.report!;

    // Day D+1: the same user from another host, and a failed login as a user nobody has logged in as.
    await loginFrom('127.0.0.2', bed.hub.ports.client, 'app', bed.hub.passwords.app);
    const refused = await connect({
      servers: bed.hub.url,
      name: 'prober',
      user: 'mallory',
      pass: 'guess',
      reconnect: false,
    }).then(
      async (nc) => {
        await nc.close();
        return false;
      },
      () => true,
    );
    expect(refused).toBe(true);
    await settle();
    const t2 = nowNanos();
    await new Promise((r) => setTimeout(r, 5));

    // A copy of the archive whose day-D report.json is edited after sealing: mallory becomes a known user with a
    // host of its own, and 127.0.0.2 a known host of app. The manifest and its signature stay as they were.
    execFileSync('cp', ['-a', archives.untouched, archives.edited]);
    const folder = path.join(archives.edited, dayFolder(YESTERDAY));
    const file = path.join(folder, 'report.json');
    sealedJson = await readFile(file);
    edited = JSON.parse(sealedJson.toString('utf8')) as ReportV1;
    edited.baseline!.users = [...edited.baseline!.users, 'APP/mallory'].sort();
    edited.baseline!.userHosts = [
      ...edited.baseline!.userHosts.map((u) =>
        u.user === 'APP/app' ? { ...u, hosts: [...u.hosts, '127.0.0.2'].sort() } : u,
      ),
      { user: 'APP/mallory', hosts: ['10.66.66.66'], hostsTruncated: false },
    ].sort((a, b) => (a.user < b.user ? -1 : 1));
    editedJson = Buffer.from(`${JSON.stringify(edited, null, 2)}\n`);
    await chmod(folder, 0o755);
    await chmod(file, 0o644);
    await writeFile(file, editedJson);
    await chmod(file, 0o444);
    await chmod(folder, 0o555);

    // Day D+1 over the same messages three times: after the sealed day D, after the edited one, and with no day before.
    const period = dayAround(TODAY, t1, t2);
    for (const which of ['untouched', 'edited', 'alone'] as const) {
      const result = await runReport(config, period, await ports(config, archives[which]));
      expect(result.existed).toBe(false);
      next[which] = await readJson(result.reportJson);
    }
  });
  afterAll(async () => bed?.close());

  it('day D knows app from 127.0.0.1 only, and never saw mallory', () => {
    expect(dayD.baseline!.users).toEqual(['APP/app']);
    expect(dayD.baseline!.userHosts).toEqual([{ user: 'APP/app', hosts: ['127.0.0.1'], hostsTruncated: false }]);
    expect(control(dayD, 'previous-report-in-chain').status).toBe('pass'); // the first of the series
  });

  it('the edit, if it were taken, would hide both the new host and the unknown user', () => {
    const parameters = reportParameters(config);
    expect(rules(detect(next.alone, detectionContext(parameters, null, [])))).toEqual(
      expect.arrayContaining(['unknown-user mallory']),
    );
    const withEdited = rules(detect(next.alone, detectionContext(parameters, carriedOver(edited), [])));
    expect(withEdited).not.toContain('unknown-user mallory');
    expect(withEdited.filter((r) => r.startsWith('new-host'))).toEqual([]);
  });

  it(
    'an untouched day D is checked and taken: ' + 'the control passes and its report is recorded with its SHA-256',
    async () => {
      const manifest = parseManifest(
        await readFile(path.join(archives.untouched, dayFolder(YESTERDAY), 'manifest.json')),
      );
      const listed = manifest.artifacts.find((a) => a.path === 'report.json')!.sha256;
      expect(listed).toBe(sha256(sealedJson));
      expect(control(next.untouched, 'previous-report-in-chain')).toEqual(
        expect.objectContaining({
          status: 'pass',
          detail:
            `${dayFolder(YESTERDAY)} is archived, its manifest signature verifies and its report.json is the one ` +
            'the manifest sealed',
        }),
      );
      expect(next.untouched.inputs!.previous).toMatchObject({ bundle: dayFolder(YESTERDAY), reportSha256: listed });
      expect(next.untouched.inputs!.previous!.report.baseline).toEqual(dayD.baseline);
      // With day D's baseline, app's login from 127.0.0.2 is a new host; mallory is unknown.
      const found = next.untouched.detections!;
      expect(rules(found)).toEqual(expect.arrayContaining(['new-host APP/app', 'unknown-user mallory']));
      expect(found.find((d) => d.rule === 'new-host')!.summary).toMatch(
        new RegExp(
          /^APP\/app logged in from a host not seen for this user before: 127\.0\.0\.2 \(first at .*\); /.source +
            /known hosts: 127\.0\.0\.1$/.source,
        ),
      );
    },
  );

  it('an edited day D fails the control, naming its report.json, and nothing is taken from it', () => {
    const day = next.edited;
    expect(control(day, 'previous-report-in-chain')).toEqual(
      expect.objectContaining({
        status: 'fail',
        detail:
          `${dayFolder(YESTERDAY)}/report.json: SHA-256 is ${sha256(editedJson)}, ` +
          `but its signed manifest says ${sha256(sealedJson)}: ` +
          'the file was changed after it was sealed, so nothing was taken from it',
      }),
    );
    expect(day.inputs!.previous).toBeNull();
    expect(day.inputs!.previousBundle.state).toBe('invalid');

    // The baseline holds none of the edited entries: it is built from this day's logins alone.
    expect(day.baseline!.users).not.toContain('APP/mallory');
    expect(JSON.stringify(day.baseline)).not.toContain('10.66.66.66');
    expect(day.baseline!.newHosts).toContainEqual(expect.objectContaining({ user: 'APP/app', host: '127.0.0.2' }));
    expect(day.baseline).toEqual(next.alone.baseline);

    // Detections are those of a day with no previous report: mallory is unknown, and no host is judged new.
    expect(rules(day.detections)).toContain('unknown-user mallory');
    expect(rules(day.detections).filter((r) => r.startsWith('new-host'))).toEqual([]);
    expect(said(day.detections)).toEqual(said(next.alone.detections));
    expect(control(next.alone, 'previous-report-in-chain').status).toBe('pass');
    expect(next.alone.inputs!.previous).toBeNull();
  });
});

describe.each(NATS_VERSIONS)('a renewed certificate for the same signing key on nats-server %s', (version) => {
  let bed: TestBed;
  let signingDir: string;
  let archiveDir: string;
  let privateKeyPem: string;
  const certs: string[] = [];
  let publicKeySha256: string;

  const configWith = (cert: string): Config => ({
    ...bed.config,
    timezone: 'UTC',
    archive: archiveDir,
    signing: { kind: 'local-files', keyFile: path.join(signingDir, 'key.pem'), certFile: cert },
  });

  /** Another certificate of the same key, in a file of its own. */
  async function certificate(name: string): Promise<string> {
    const privateKey = createPrivateKey(privateKeyPem);
    const pem = await selfSignedCertificate(
      { privateKey, publicKey: createPublicKey(privateKey) },
      'Test Payments Inc.',
      new Date(),
    );
    const file = path.join(signingDir, name);
    await writeFile(file, pem);
    certs.push(file);
    return file;
  }

  beforeAll(async () => {
    bed = await startTestBed(version);
    await addTransactionsStream(bed);
    signingDir = path.join(bed.dir, 'signing-files');
    archiveDir = path.join(bed.dir, 'archive');
    await mkdir(signingDir, { recursive: true });
    privateKeyPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    await writeFile(path.join(signingDir, 'key.pem'), privateKeyPem, { mode: 0o600 });
    publicKeySha256 = sha256(createPublicKey(createPrivateKey(privateKeyPem)).export({ type: 'spki', format: 'der' }));
  });
  afterAll(async () => bed?.close());

  it(
    'day D signed with C1 and day D+1 with C2 both archive, ' + 'each with its own key file, and the archive verifies',
    async () => {
      const c1 = await certificate('cert-1.pem');
      const c2 = await certificate('cert-2.pem');
      const p1 = await ports(configWith(c1), archiveDir);
      const p2 = await ports(configWith(c2), archiveDir);
      expect([p1.signer.publicKeySha256, p2.signer.publicKeySha256]).toEqual([publicKeySha256, publicKeySha256]);
      const sha1 = certificateSha256(p1.signer.certificatePem);
      const sha2 = certificateSha256(p2.signer.certificatePem);
      expect(sha1).not.toBe(sha2);

      const d = await runReport(configWith(c1), dailyPeriod(YESTERDAY, 'UTC'), p1);
      const d1 = await runReport(configWith(c2), dailyPeriod(TODAY, 'UTC'), p2);
      expect([d.existed, d1.existed]).toEqual([false, false]);
      expect(control(d1.report!, 'previous-report-in-chain').status).toBe('pass');

      const keyFiles = (await readdir(path.join(archiveDir, 'keys'))).sort();
      expect(keyFiles).toEqual([`${publicKeySha256}-${sha1}.pem`, `${publicKeySha256}-${sha2}.pem`].sort());
      expect(await readFile(path.join(archiveDir, keyPathOf(publicKeySha256, sha1)), 'utf8')).toBe(keyFile(p1.signer));
      expect(await readFile(path.join(archiveDir, keyPathOf(publicKeySha256, sha2)), 'utf8')).toBe(keyFile(p2.signer));

      const manifestOf = async (date: string) =>
        parseManifest(await readFile(path.join(archiveDir, dayFolder(date), 'manifest.json')));
      expect((await manifestOf(YESTERDAY)).signer).toMatchObject({
        certificateSha256: sha1,
        key: keyPathOf(publicKeySha256, sha1),
      });
      expect((await manifestOf(TODAY)).signer).toMatchObject({
        certificateSha256: sha2,
        key: keyPathOf(publicKeySha256, sha2),
      });

      for (const options of [{}, { recompute: true }]) {
        const verified = await verifyArchive(localArchive(archiveDir), options);
        expect(verified.problems).toEqual([]);
        expect(verified.entries.flatMap((e) => e.problems)).toEqual([]);
        expect(verified.entries.map((e) => [e.bundle, e.status])).toEqual([
          [dayFolder(YESTERDAY), 'ok'],
          [dayFolder(TODAY), 'ok'],
        ]);
        expect(verified.ok).toBe(true);
      }
    },
  );

  it(
    'the key file is written before anything connects to NATS, ' + 'and one with other content stops the run first',
    async () => {
      const marker = 'MARKER: connect was reached';
      let reached = 0;
      const failingConnect = (p: Ports): Ports => ({
        ...p,
        connect: () => {
          reached += 1;
          return Promise.reject(new Error(marker));
        },
      });

      // A third certificate: its key file is there before the run reaches NATS (which fails here).
      const c3 = await certificate('cert-3.pem');
      const p3 = await ports(configWith(c3), archiveDir);
      await expect(runReport(configWith(c3), dailyPeriod(TOMORROW, 'UTC'), failingConnect(p3))).rejects.toThrow(marker);
      expect(reached).toBe(1);
      const path3 = keyPathOf(publicKeySha256, certificateSha256(p3.signer.certificatePem));
      expect(await readFile(path.join(archiveDir, path3), 'utf8')).toBe(keyFile(p3.signer));

      // A fourth: another file already sits where its key file goes.
      const c4 = await certificate('cert-4.pem');
      const p4 = await ports(configWith(c4), archiveDir);
      const path4 = path.join(archiveDir, keyPathOf(publicKeySha256, certificateSha256(p4.signer.certificatePem)));
      await chmod(path.join(archiveDir, 'keys'), 0o755);
      const planted = keyFile(p3.signer); // a real key file, of another certificate
      await writeFile(path4, planted, { mode: 0o444 });
      reached = 0;
      await expect(runReport(configWith(c4), dailyPeriod(TOMORROW, 'UTC'), failingConnect(p4))).rejects.toThrow(
        `${path4} already exists with different content; it was left unchanged`,
      );
      expect(reached).toBe(0);
      expect(await readFile(path4, 'utf8')).toBe(planted);
      // Neither run left a bundle, or anything staged for one.
      await expect(access(path.join(archiveDir, dayFolder(TOMORROW)))).rejects.toThrow(/ENOENT/);
      expect((await localArchive(archiveDir).entries('')).filter((e) => e.kind !== 'file')).toEqual([]);
    },
  );
});
