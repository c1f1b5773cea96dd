import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyPathOf } from '../../../functions/archive/layout.js';
import { localArchive } from '../../../functions/archive/local.js';
import { dailyPeriod } from '../../../functions/config/period.js';
import type { ArchivePort, LockState } from '../../../functions/archive/port.js';
import {
  verifyArchive,
  MISSING_DAY,
  type VerifyEntry,
  type VerifyOptions,
  type VerifyReport,
} from '../../../functions/archive/verify.js';
import { loadOrCreateLocalSigner, selfSignedCertificate } from '../../../functions/seal/local-signer.js';
import { certificateSha256, keyFile, manifestBytes, parseManifest, sha256 } from '../../../functions/seal/manifest.js';
import { findPreviousManifest } from '../../../functions/seal/chain.js';
import { extractPdfSignature } from '../../../functions/seal/pdf-signature.js';
import type { Signer } from '../../../functions/seal/signer.js';
import { createTestSigner } from '../../support/test-signer.js';
import {
  addAdhocBundle,
  archivePeriod,
  buildDailyArchive,
  dayFolder,
  PDF_REASON,
  TIMEZONE,
  writableCopy,
} from '../../support/verify-archive.js';

const DAYS = ['2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24'];

let scratch: string;
let pristine: string;
let signer: Signer;
let otherSigner: Signer;
let copies = 0;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'sox-verify-'));
  signer = await loadOrCreateLocalSigner({ dir: path.join(scratch, 'signer') });
  otherSigner = await loadOrCreateLocalSigner({ dir: path.join(scratch, 'other-signer') });
  pristine = path.join(scratch, 'pristine');
  await buildDailyArchive(pristine, DAYS, signer);
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** The short form verify names a key by. */
function short(s: Signer): string {
  return `${s.publicKeySha256.slice(0, 16)}…`;
}

/** Where the archive keeps a signer's key file: one file per certificate. */
function keyPathFor(s: Signer): string {
  return keyPathOf(s.publicKeySha256, certificateSha256(s.certificatePem));
}

async function freshCopy(): Promise<string> {
  return writableCopy(pristine, path.join(scratch, `copy-${++copies}`));
}

async function verifyDir(root: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  return verifyArchive(localArchive(root), options);
}

function day(report: VerifyReport, date: string): VerifyEntry {
  const found = report.entries.find((e) => e.date === date);
  if (!found) throw new Error(`no entry for ${date}: ${JSON.stringify(report.entries.map((e) => e.bundle))}`);
  return found;
}

function problemsOf(report: VerifyReport, date: string): string {
  return day(report, date).problems.join('\n');
}

function failedDays(report: VerifyReport): string[] {
  return report.entries.filter((e) => !e.ok).map((e) => e.date ?? e.bundle);
}

/** Rewrites a manifest with `change` applied, leaving its old signature in place unless told otherwise. */
function rewriteManifest(
  root: string,
  date: string,
  change: (m: ReturnType<typeof parseManifest>) => void,
): Uint8Array {
  const file = path.join(dayFolder(root, date), 'manifest.json');
  const manifest = parseManifest(readFileSync(file));
  change(manifest);
  const bytes = manifestBytes(manifest);
  writeFileSync(file, bytes);
  return bytes;
}

describe('verifyArchive on an untouched archive', () => {
  it('finds every day OK, the chain whole, and says once that the keys are self-asserted', async () => {
    const report = await verifyDir(pristine);
    expect(report.entries.map((e) => [e.date, e.status, e.problems])).toEqual(DAYS.map((d) => [d, 'ok', []]));
    expect(report.ok).toBe(true);
    expect(report.summary.text).toBe('4 bundles, 4 days verified, 0 failed, 0 missing');
    expect(report.notes.filter((n) => n.includes('--trust'))).toHaveLength(1);
    expect(day(report, '2026-11-21').notes).toContain('first bundle of the daily series');
  });

  it('a manifest verifies with openssl dgst against the archived key file', () => {
    const folder = dayFolder(pristine, '2026-11-23');
    const keyPath = path.join(pristine, keyPathFor(signer));
    const out = execFileSync(
      'openssl',
      [
        'dgst',
        '-sha256',
        '-verify',
        keyPath,
        '-signature',
        path.join(folder, 'manifest.json.sig'),
        path.join(folder, 'manifest.json'),
      ],
      { encoding: 'utf8' },
    );
    expect(out.trim()).toBe('Verified OK');
  });

  it('passes with --trust given the signing certificate, or the public key', async () => {
    expect((await verifyDir(pristine, { trust: { pems: [signer.certificatePem] } })).ok).toBe(true);
    const withKey = await verifyDir(pristine, { trust: { pems: [signer.publicKeyPem] } });
    expect(withKey.ok).toBe(true);
    expect(withKey.notes.some((n) => n.includes('--trust'))).toBe(false);
  });

  it('fails every day when --trust names another certificate', async () => {
    const report = await verifyDir(pristine, { trust: { pems: [otherSigner.certificatePem] } });
    expect(report.ok).toBe(false);
    for (const d of DAYS) expect(problemsOf(report, d)).toContain('signed by a key that is not trusted');
  });

  it('verifies only the days asked for, with the link into the day before the range', async () => {
    const report = await verifyDir(pristine, { from: '2026-11-22', to: '2026-11-23' });
    expect(report.entries.map((e) => e.date)).toEqual(['2026-11-22', '2026-11-23']);
    expect(report.ok).toBe(true);
  });

  it('rejects a bad date range as input', async () => {
    await expect(verifyDir(pristine, { from: '2026-13-01' })).rejects.toMatchObject({
      name: 'InputError',
      issue: { field: 'from', problem: '"2026-13-01" is not a calendar date of the form YYYY-MM-DD' },
    });
    await expect(verifyDir(pristine, { from: '2026-11-24', to: '2026-11-21' })).rejects.toMatchObject({
      name: 'InputError',
      issue: { field: 'from', value: '2026-11-24', isAfter: { field: 'to', value: '2026-11-21' } },
    });
    await expect(verifyDir(pristine, { trust: { pems: ['not a pem'] } })).rejects.toMatchObject({
      name: 'InputError',
      issue: { field: 'trust', problem: 'PEM #1 holds no PEM certificate or public key' },
    });
  });

  it('verifies an archive signed with an RSA key (PKCS#1 v1.5) as well', async () => {
    const rsa = createTestSigner('RSASSA_PKCS1_V1_5_SHA_256');
    try {
      const root = path.join(scratch, 'rsa');
      await buildDailyArchive(root, ['2026-11-23', '2026-11-24'], rsa);
      const report = await verifyDir(root, { trust: { pems: [rsa.certificatePem] } });
      expect(report.entries.map((e) => [e.date, e.problems])).toEqual([
        ['2026-11-23', []],
        ['2026-11-24', []],
      ]);
    } finally {
      rmSync(rsa.dir, { recursive: true, force: true });
    }
  });

  it('fails on a folder that holds no bundle at all', async () => {
    const report = await verifyDir(path.join(scratch, 'nowhere'));
    expect(report.ok).toBe(false);
    expect(report.problems.join()).toContain('no bundles found');
  });

  it('accepts a day run late (after the next day was sealed): the chain goes around it and says so', async () => {
    const root = path.join(scratch, 'late-run');
    const archive = localArchive(root);
    const at = (date: string) => dailyPeriod(date, TIMEZONE);
    await archivePeriod(archive, at('2026-11-21'), signer);
    await archivePeriod(archive, at('2026-11-23'), signer);
    // The missed night of the 22nd is run after the 23rd was sealed (its bundle is made at 2026-11-24T07:00Z).
    await archivePeriod(archive, at('2026-11-22'), signer, '2026-11-24T07:00:00.000000000Z');
    await archivePeriod(archive, at('2026-11-24'), signer);
    const report = await verifyDir(root);
    expect(failedDays(report)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(day(report, '2026-11-23').notes).toEqual([
      'the bundle of 2026-11-22 was sealed after this one (at 2026-11-24T07:00:00.000000000Z, a late run): ' +
        'this bundle links around it',
    ]);

    // Taking the late day away is still caught: the day is missing.
    const copy = await writableCopy(root, path.join(scratch, 'late-run-deleted'));
    rmSync(dayFolder(copy, '2026-11-22'), { recursive: true, force: true });
    const deleted = await verifyDir(copy);
    expect(day(deleted, '2026-11-22').problems).toEqual([MISSING_DAY]);
    expect(failedDays(deleted)).toEqual(['2026-11-22']);
  });

  it('lists an ad-hoc bundle after the days', async () => {
    const root = await freshCopy();
    const bundle = await addAdhocBundle(root, '2026-11-26T05:00:00Z', '2026-11-26T17:00:00Z', signer);
    const report = await verifyDir(root);
    expect(report.entries.at(-1)).toMatchObject({ bundle, date: null, kind: 'adhoc', ok: true });
    expect(report.summary.text).toBe('5 bundles, 4 days verified, 1 ad-hoc verified, 0 failed, 0 missing');
  });
});

describe('verifyArchive on a tampered archive names the day and what is wrong', () => {
  it('an edited HTML', async () => {
    const root = await freshCopy();
    appendFileSync(path.join(dayFolder(root, '2026-11-22'), 'report.html'), '<p>one more line</p>');
    const report = await verifyDir(root);
    expect(failedDays(report)).toEqual(['2026-11-22']);
    expect(problemsOf(report, '2026-11-22')).toMatch(
      /^report\.html: \d+ bytes with SHA-256 [0-9a-f]{64}, the manifest says \d+ bytes/m,
    );
  });

  it('an edited PDF: one byte inside the signed range breaks the manifest hash and the PDF signature', async () => {
    const root = await freshCopy();
    const file = path.join(dayFolder(root, '2026-11-23'), 'report.pdf');
    const pdf = readFileSync(file);
    const at = pdf.indexOf(PDF_REASON);
    expect(at).toBeGreaterThan(0);
    pdf[at] = 'd'.charCodeAt(0);
    writeFileSync(file, pdf);
    const report = await verifyDir(root);
    expect(failedDays(report)).toEqual(['2026-11-23']);
    const problems = problemsOf(report, '2026-11-23');
    expect(problems).toMatch(/^report\.pdf: SHA-256 is [0-9a-f]{64}, the manifest says [0-9a-f]{64}$/m);
    expect(problems).toMatch(/^report\.pdf: changed after it was signed/m);
  });

  it('a PDF whose signature value was altered: the signature does not verify', async () => {
    const root = await freshCopy();
    const file = path.join(dayFolder(root, '2026-11-23'), 'report.pdf');
    const pdf = readFileSync(file);
    const signature = extractPdfSignature(pdf)!;
    // The signature value ends the CMS; /Contents holds the CMS as hex right after the first byte range and '<'.
    const hexAt = signature.byteRange[1] + 1 + 2 * (signature.cms.length - 5);
    pdf[hexAt] = pdf[hexAt] === 0x30 ? 0x31 : 0x30;
    writeFileSync(file, pdf);
    const problems = problemsOf(await verifyDir(root), '2026-11-23');
    expect(problems).toContain('report.pdf: the signature does not verify with the key of the certificate it carries');
    expect(problems).not.toContain('changed after it was signed');
  });

  it('bytes appended to the PDF: its signature no longer covers the whole file', async () => {
    const root = await freshCopy();
    appendFileSync(path.join(dayFolder(root, '2026-11-23'), 'report.pdf'), '\n%% appended\n');
    const problems = problemsOf(await verifyDir(root), '2026-11-23');
    expect(problems).toContain("report.pdf: the signature's byte range");
    expect(problems).toContain('does not cover the whole file');
  });

  it('an edited report.json', async () => {
    const root = await freshCopy();
    const file = path.join(dayFolder(root, '2026-11-24'), 'report.json');
    const report = JSON.parse(readFileSync(file, 'utf8')) as { authFailures: { total: number } };
    report.authFailures.total = 0;
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    const result = await verifyDir(root);
    expect(failedDays(result)).toEqual(['2026-11-24']);
    expect(problemsOf(result, '2026-11-24')).toMatch(/^report\.json: .*the manifest says/m);
  });

  it("an edited manifest with its old signature: the signature fails, and the next day's link", async () => {
    const root = await freshCopy();
    rewriteManifest(root, '2026-11-22', (m) => {
      m.streams[0]!.messages += 1;
    });
    const report = await verifyDir(root);
    expect(failedDays(report)).toEqual(['2026-11-22', '2026-11-23']);
    expect(problemsOf(report, '2026-11-22')).toMatch(/^manifest\.json\.sig: does not verify over manifest\.json/m);
    expect(problemsOf(report, '2026-11-23')).toMatch(
      new RegExp(
        /^previous\.sha256 is [0-9a-f]{64}, but daily\/2026\/11\/22\/manifest\.json has SHA-256 /.source +
          /[0-9a-f]{64}: that manifest was changed or replaced/.source,
        'm',
      ),
    );
  });

  describe('a manifest re-signed by another key', () => {
    let root: string;

    beforeAll(async () => {
      root = await freshCopy();
      const bytes = rewriteManifest(root, '2026-11-23', (m) => {
        m.signer = {
          algorithm: otherSigner.algorithm,
          keyId: otherSigner.keyId,
          publicKeySha256: otherSigner.publicKeySha256,
          certificateSha256: certificateSha256(otherSigner.certificatePem),
          key: keyPathFor(otherSigner),
        };
      });
      const signature = await otherSigner.signDigest(Buffer.from(sha256(bytes), 'hex'));
      writeFileSync(path.join(dayFolder(root, '2026-11-23'), 'manifest.json.sig'), signature);
      writeFileSync(path.join(root, keyPathFor(otherSigner)), keyFile(otherSigner));
    });

    it('is caught by --trust', async () => {
      const report = await verifyDir(root, { trust: { pems: [signer.certificatePem] } });
      const problems = problemsOf(report, '2026-11-23');
      expect(problems).toContain(`signed by a key that is not trusted (${keyPathFor(otherSigner)})`);
      // The new signature itself is sound: what is wrong is who made it.
      expect(problems).not.toContain('manifest.json.sig');
    });

    it("is caught without --trust by the second key in the archive, the PDF and the next day's link", async () => {
      const report = await verifyDir(root);
      expect(report.problems).toEqual([
        'the bundles are signed by 2 different keys and none is pinned: ' +
          `key ${short(signer)} signed 2026-11-21 … 2026-11-22, 2026-11-24; ` +
          `key ${short(otherSigner)} signed 2026-11-23; if the key was rotated, verify with --trust for each`,
      ]);
      const problems = problemsOf(report, '2026-11-23');
      expect(problems).toMatch(/^report\.pdf: signed with key [0-9a-f]{16}…, but the manifest's signer is key/m);
      expect(problemsOf(report, '2026-11-24')).toMatch(/^previous\.sha256 is .*daily\/2026\/11\/23\/manifest\.json/m);
      expect(failedDays(report)).toEqual(['2026-11-23', '2026-11-24']);
    });
  });

  it("a deleted day: reported missing, and the next day's link broken", async () => {
    const root = await freshCopy();
    rmSync(dayFolder(root, '2026-11-22'), { recursive: true });
    const report = await verifyDir(root);
    expect(day(report, '2026-11-22')).toMatchObject({ status: 'missing', problems: [MISSING_DAY] });
    expect(problemsOf(report, '2026-11-23')).toBe(
      'previous: links to daily/2026/11/22/manifest.json, but the nearest earlier bundle in the archive is ' +
        'daily/2026/11/21: 2026-11-22 is missing from the archive',
    );
    expect(report.summary.text).toBe('3 bundles, 2 days verified, 1 failed, 1 missing');
  });

  it('a deleted first day: the new earliest bundle links to a day the archive does not hold', async () => {
    const root = await freshCopy();
    rmSync(dayFolder(root, '2026-11-21'), { recursive: true });
    const report = await verifyDir(root);
    expect(failedDays(report)).toEqual(['2026-11-22']);
    expect(problemsOf(report, '2026-11-22')).toContain(
      'previous: links to daily/2026/11/21/manifest.json, which is not in the archive',
    );
  });

  it('a bundle without its manifest (a run that stopped part-way) fails alone; the chain goes around it', async () => {
    const root = path.join(scratch, 'partial');
    const archive = await buildDailyArchive(root, ['2026-11-21'], signer);
    await archive.writeBundle('daily/2026/11/22', [{ name: 'report.json', data: '{}' }]);
    await archivePeriod(archive, dailyPeriod('2026-11-23', TIMEZONE), signer);
    const report = await verifyDir(root);
    expect(failedDays(report)).toEqual(['2026-11-22']);
    expect(problemsOf(report, '2026-11-22')).toBe('manifest.json: missing, so nothing in the bundle can be checked');
  });

  it('a manifest removed from a sealed bundle: that day fails, and the next day says where its link went', async () => {
    const root = await freshCopy();
    rmSync(path.join(dayFolder(root, '2026-11-22'), 'manifest.json'));
    const report = await verifyDir(root);
    expect(failedDays(report)).toEqual(['2026-11-22', '2026-11-23']);
    expect(problemsOf(report, '2026-11-23')).toContain(
      'previous: links to daily/2026/11/22/manifest.json, but the nearest earlier bundle in the archive is ' +
        'daily/2026/11/21: daily/2026/11/22 has no manifest.json',
    );
  });

  it('two days swapped', async () => {
    const root = await freshCopy();
    const [a, b] = [dayFolder(root, '2026-11-22'), dayFolder(root, '2026-11-23')];
    renameSync(a, `${a}.tmp`);
    renameSync(b, a);
    renameSync(`${a}.tmp`, b);
    const report = await verifyDir(root);
    expect(failedDays(report)).toEqual(['2026-11-22', '2026-11-23', '2026-11-24']);
    expect(problemsOf(report, '2026-11-22')).toContain(
      'manifest.json: says the bundle belongs at daily/2026/11/23, but it is at daily/2026/11/22',
    );
    expect(problemsOf(report, '2026-11-23')).toContain(
      'manifest.json: says the bundle belongs at daily/2026/11/22, but it is at daily/2026/11/23',
    );
    expect(problemsOf(report, '2026-11-22')).toContain(
      'the period is the day 2026-11-23, but the bundle is the folder of 2026-11-22',
    );
  });

  it('an extra file dropped into a bundle', async () => {
    const root = await freshCopy();
    writeFileSync(path.join(dayFolder(root, '2026-11-24'), 'notes.txt'), 'added later');
    const report = await verifyDir(root);
    expect(failedDays(report)).toEqual(['2026-11-24']);
    expect(problemsOf(report, '2026-11-24')).toBe('notes.txt: not listed in the manifest');
  });

  it('a missing key file', async () => {
    const root = await freshCopy();
    rmSync(path.join(root, keyPathFor(signer)));
    const report = await verifyDir(root);
    for (const d of DAYS) expect(problemsOf(report, d)).toContain(`${keyPathFor(signer)}: missing from the archive`);
    // A pinned key still checks the signatures; the archive stays incomplete.
    const pinned = await verifyDir(root, { trust: { pems: [signer.certificatePem] } });
    expect(problemsOf(pinned, '2026-11-21')).toBe(`${keyPathFor(signer)}: missing from the archive`);
  });
});

describe('verifyArchive on an archive with Object Lock', () => {
  const future = new Date('2033-12-01T00:00:00Z');
  const past = new Date('2026-12-01T00:00:00Z');
  const now = new Date('2027-01-15T00:00:00Z');

  function lockedArchive(lockOf: (p: string) => LockState): ArchivePort {
    return { ...localArchive(pristine), lockState: async (p) => lockOf(p) };
  }

  it('passes when every object is COMPLIANCE and retained beyond now', async () => {
    const report = await verifyArchive(
      lockedArchive(() => ({ mode: 'COMPLIANCE', retainUntil: future, sha256: null })),
      { now },
    );
    expect(report.ok).toBe(true);
    expect(report.notes.some((n) => n.includes('no Object Lock'))).toBe(false);
  });

  it('names an object in GOVERNANCE mode and one whose retention has passed', async () => {
    const report = await verifyArchive(
      lockedArchive((p) => {
        if (p === 'daily/2026/11/22/report.html') return { mode: 'GOVERNANCE', retainUntil: future, sha256: null };
        if (p === 'daily/2026/11/23/report.pdf') return { mode: 'COMPLIANCE', retainUntil: past, sha256: null };
        return { mode: 'COMPLIANCE', retainUntil: future, sha256: null };
      }),
      { now },
    );
    expect(failedDays(report)).toEqual(['2026-11-22', '2026-11-23']);
    expect(problemsOf(report, '2026-11-22')).toBe('report.html: Object Lock mode is GOVERNANCE, not COMPLIANCE');
    expect(problemsOf(report, '2026-11-23')).toBe(
      'report.pdf: retained only until 2026-12-01T00:00:00.000Z, which has passed (it can be deleted)',
    );
  });

  it('checks the key file too, and reports it on every day it signed', async () => {
    const keyPath = keyPathFor(signer);
    const report = await verifyArchive(
      lockedArchive((p) =>
        p === keyPath
          ? { mode: null, retainUntil: null, sha256: null }
          : { mode: 'COMPLIANCE', retainUntil: future, sha256: null },
      ),
      { now },
    );
    for (const d of DAYS) {
      expect(problemsOf(report, d)).toContain(`${keyPath}: Object Lock mode is none, not COMPLIANCE`);
      expect(problemsOf(report, d)).toContain(`${keyPath}: has no Object Lock retain-until date`);
    }
  });

  it('reads each file once', async () => {
    const reads = new Map<string, number>();
    const local = localArchive(pristine);
    const counting: ArchivePort = {
      ...local,
      read: async (p) => {
        reads.set(p, (reads.get(p) ?? 0) + 1);
        return local.read(p);
      },
    };
    expect((await verifyArchive(counting)).ok).toBe(true);
    expect([...reads.values()].every((n) => n === 1)).toBe(true);
    expect(reads.size).toBe(DAYS.length * 5 + 1);
  });
});

/** A FIFO made by the system's mkfifo: opening one for reading blocks until a writer comes, forever here. */
function mkfifo(file: string): void {
  execFileSync('mkfifo', [file]);
}

/** An archive that records what verify reads, and how (whole, or streamed chunk by chunk). */
function recording(root: string) {
  const local = localArchive(root);
  const reads: string[] = [];
  const streamed = new Map<string, number[]>();
  const archive: ArchivePort = {
    ...local,
    read: async (p, options) => {
      reads.push(p);
      return local.read(p, options);
    },
    readStream: (p, options) => {
      const chunks: number[] = [];
      streamed.set(p, chunks);
      return (async function* () {
        for await (const chunk of local.readStream(p, options)) {
          chunks.push(chunk.length);
          yield chunk;
        }
      })();
    },
  };
  return { archive, reads, streamed };
}

// A hang is the failure these tests exist to catch: far more than verify needs (well under a second), far less than
// forever.
const HANG = 15_000;

describe('verifyArchive on a hostile archive: only regular files count, and nothing blocks', () => {
  it('a report.pdf that is a symbolic link (to the right bytes) fails its day, and is not read', async () => {
    const root = await freshCopy();
    const file = path.join(dayFolder(root, '2026-11-22'), 'report.pdf');
    const elsewhere = path.join(scratch, `pdf-${copies}.pdf`);
    renameSync(file, elsewhere);
    symlinkSync(elsewhere, file);
    const { archive, reads } = recording(root);
    const report = await verifyArchive(archive);
    expect(failedDays(report)).toEqual(['2026-11-22']);
    expect(problemsOf(report, '2026-11-22')).toBe('report.pdf: is a symbolic link, not a regular file');
    expect(reads).not.toContain('daily/2026/11/22/report.pdf');
  });

  it('a report.html that is a FIFO fails its day without blocking', { timeout: HANG }, async () => {
    const root = await freshCopy();
    const file = path.join(dayFolder(root, '2026-11-23'), 'report.html');
    rmSync(file);
    mkfifo(file);
    const report = await verifyDir(root);
    expect(failedDays(report)).toEqual(['2026-11-23']);
    expect(problemsOf(report, '2026-11-23')).toBe('report.html: is a FIFO (named pipe), not a regular file');
  });

  it('a key file that is a FIFO fails every day it signed, without blocking', { timeout: HANG }, async () => {
    const root = await freshCopy();
    const keyPath = keyPathFor(signer);
    rmSync(path.join(root, keyPath));
    mkfifo(path.join(root, keyPath));
    const report = await verifyDir(root);
    expect(report.ok).toBe(false);
    for (const d of DAYS) expect(problemsOf(report, d)).toBe(`${keyPath}: is a FIFO (named pipe), not a regular file`);
  });

  it('a key file that is a symbolic link (to the right key) fails every day it signed', async () => {
    const root = await freshCopy();
    const keyPath = keyPathFor(signer);
    const elsewhere = path.join(scratch, `key-${copies}.pem`);
    renameSync(path.join(root, keyPath), elsewhere);
    symlinkSync(elsewhere, path.join(root, keyPath));
    const report = await verifyDir(root);
    for (const d of DAYS) expect(problemsOf(report, d)).toBe(`${keyPath}: is a symbolic link, not a regular file`);
  });

  it('a bundle folder that is a symbolic link (to the real bundle) fails that day, which is not missing', async () => {
    const root = await freshCopy();
    const folder = dayFolder(root, '2026-11-22');
    const elsewhere = path.join(scratch, `bundle-${copies}`);
    renameSync(folder, elsewhere);
    symlinkSync(elsewhere, folder);
    const report = await verifyDir(root);
    expect(day(report, '2026-11-22')).toMatchObject({
      status: 'fail',
      problems: ['the bundle folder is a symbolic link, not a folder; nothing in it was read'],
    });
    expect(problemsOf(report, '2026-11-23')).toBe(
      'previous: links to daily/2026/11/22/manifest.json, but the nearest earlier bundle in the archive is ' +
        'daily/2026/11/21: daily/2026/11/22 has no manifest.json',
    );
    expect(report.summary.missing).toBe(0);
  });

  it(
    'a staging leftover in a bundle folder fails that day; ' + 'one beside the bundles is named in its folder',
    async () => {
      const root = await freshCopy();
      writeFileSync(path.join(dayFolder(root, '2026-11-24'), '.partial-report.json-5f2c'), '{}');
      mkdirSync(path.join(root, 'daily/2026/11/.partial-25-x1y2'));
      writeFileSync(path.join(root, 'daily/2026/11/.partial-25-x1y2/report.json'), '{}');
      const report = await verifyDir(root);
      expect(failedDays(report)).toEqual(['2026-11-24', 'daily/2026/11']);
      expect(problemsOf(report, '2026-11-24')).toBe(
        '.partial-report.json-5f2c: a staging leftover of an interrupted run',
      );
      expect(report.entries.at(-1)).toMatchObject({
        bundle: 'daily/2026/11',
        kind: 'unexpected',
        problems: [
          '.partial-25-x1y2: a staging leftover of an interrupted run ' +
            '(of the bundle daily/2026/11/25: the next run of that period removes it)',
        ],
      });
    },
  );

  it.runIf(process.getuid?.() === 0)(
    'a report.pdf that is a character device fails its day without opening it',
    { timeout: HANG },
    async () => {
      const root = await freshCopy();
      const file = path.join(dayFolder(root, '2026-11-21'), 'report.pdf');
      rmSync(file);
      execFileSync('mknod', [file, 'c', '1', '3']); // /dev/null's numbers
      const report = await verifyDir(root);
      expect(failedDays(report)).toEqual(['2026-11-21']);
      expect(problemsOf(report, '2026-11-21')).toBe('report.pdf: is a character device, not a regular file');
    },
  );
});

describe('verifyArchive caps what it holds', () => {
  it('names a manifest over 4 MiB without reading it', async () => {
    const root = await freshCopy();
    truncateSync(path.join(dayFolder(root, '2026-11-22'), 'manifest.json'), 4 * 1024 * 1024 + 1);
    const { archive, reads } = recording(root);
    const report = await verifyArchive(archive);
    expect(day(report, '2026-11-22').problems).toEqual([
      'manifest.json: 4,194,305 bytes, more than verify reads of it (4 MiB)',
      'manifest.json: cannot be used, so nothing in the bundle can be checked',
    ]);
    expect(reads).not.toContain('daily/2026/11/22/manifest.json');
  });

  it('names a PDF over 1 GiB and a key file over 64 KiB without reading either', async () => {
    const root = await freshCopy();
    // Sparse: a gigabyte on paper, nothing on disk.
    truncateSync(path.join(dayFolder(root, '2026-11-23'), 'report.pdf'), 1024 * 1024 * 1024 + 1);
    truncateSync(path.join(root, keyPathFor(signer)), 64 * 1024 + 1);
    const { archive, reads } = recording(root);
    const report = await verifyArchive(archive);
    expect(problemsOf(report, '2026-11-23')).toContain(
      'report.pdf: 1,073,741,825 bytes, more than verify reads of it (1 GiB)',
    );
    for (const d of DAYS)
      expect(problemsOf(report, d)).toContain(
        `${keyPathFor(signer)}: 65,537 bytes, more than verify reads of it (64 KiB)`,
      );
    expect(reads.filter((p) => p.endsWith('report.pdf') && p.includes('/23/'))).toEqual([]);
    expect(reads.filter((p) => p.startsWith('keys/'))).toEqual([]);
  });

  it(
    'hashes an evidence .jsonl.gz as it streams, ' + 'never reading it whole, and names it when it was changed',
    async () => {
      const root = path.join(scratch, 'evidence');
      const evidence = randomBytes(5 * 1024 * 1024 + 123);
      const archive = localArchive(root);
      await archivePeriod(archive, dailyPeriod('2026-11-24', TIMEZONE), signer, undefined, [
        { path: 'evidence-events.jsonl.gz', data: evidence },
      ]);
      const watched = recording(root);
      expect((await verifyArchive(watched.archive)).ok).toBe(true);
      const file = 'daily/2026/11/24/evidence-events.jsonl.gz';
      expect(watched.reads).not.toContain(file);
      expect(watched.streamed.get(file)!.reduce((a, b) => a + b, 0)).toBe(evidence.length);
      expect(Math.max(...watched.streamed.get(file)!)).toBeLessThanOrEqual(1024 * 1024);

      const copy = await writableCopy(root, path.join(scratch, 'evidence-changed'));
      appendFileSync(path.join(copy, file), 'x');
      expect(problemsOf(await verifyDir(copy), '2026-11-24')).toMatch(
        new RegExp(
          `^evidence-events\\.jsonl\\.gz: ${evidence.length + 1} bytes with SHA-256 [0-9a-f]{64}, ` +
            `the manifest says ${evidence.length} bytes`,
        ),
      );
    },
  );
});

describe('verifyArchive on days far apart', () => {
  it(
    'turns a stray folder centuries back into one entry ' + 'for the run of missing days, and counts every day',
    async () => {
      const root = await freshCopy();
      mkdirSync(path.join(root, 'daily/0001/01/01'), { recursive: true });
      writeFileSync(path.join(root, 'daily/0001/01/01/report.json'), '{}');
      const report = await verifyDir(root);
      const days = Math.round((Date.parse('2026-11-20') - Date.parse('0001-01-02T00:00:00Z')) / 86_400_000) + 1;
      expect(report.entries.map((e) => [e.date, e.status])).toEqual([
        ['0001-01-01', 'fail'],
        ['0001-01-02', 'missing'],
        ...DAYS.map((d) => [d, 'ok']),
      ]);
      expect(day(report, '0001-01-02')).toMatchObject({
        lastDate: '2026-11-20',
        days,
        problems: [`0001-01-02 … 2026-11-20: ${days.toLocaleString('en-US')} days missing`],
      });
      expect(report.summary.missing).toBe(days);
      expect(report.summary.text).toBe(`5 bundles, 4 days verified, 1 failed, ${days.toLocaleString('en-US')} missing`);
      expect(report.ok).toBe(false);
    },
  );

  it('lists a run of 31 missing days day by day, and a run of 32 as one entry', async () => {
    const folderOf = (root: string, date: string) => {
      mkdirSync(dayFolder(root, date), { recursive: true });
      writeFileSync(path.join(dayFolder(root, date), 'report.json'), '{}');
    };
    const month = path.join(scratch, 'month-gap');
    for (const date of ['2026-10-01', '2026-11-01', '2026-12-03']) folderOf(month, date);
    const report = await verifyDir(month);
    const missing = report.entries.filter((e) => e.status === 'missing');
    // October 2nd to 31st: 30 days, listed; November 2nd to December 2nd: 31 days, listed.
    expect(missing).toHaveLength(61);
    expect(missing.every((e) => e.problems[0] === MISSING_DAY)).toBe(true);

    const longer = path.join(scratch, 'longer-gap');
    for (const date of ['2026-10-01', '2026-11-03']) folderOf(longer, date);
    const runs = (await verifyDir(longer)).entries.filter((e) => e.status === 'missing');
    expect(runs.map((e) => e.problems)).toEqual([['2026-10-02 … 2026-11-02: 32 days missing']]);
  });
});

describe('verifyArchive and the signing keys', () => {
  it(
    'accepts a daily series across a renewal of the ' + 'certificate (same key), one key file per certificate',
    async () => {
      const privateKey = createPrivateKey(readFileSync(path.join(scratch, 'signer', 'signing-key.pem'), 'utf8'));
      const renewedCert = path.join(scratch, 'renewed-cert.pem');
      writeFileSync(
        renewedCert,
        await selfSignedCertificate(
          { privateKey, publicKey: createPublicKey(privateKey) },
          'Example Corp',
          new Date('2026-11-23T00:00:00Z'),
        ),
      );
      const renewed = await loadOrCreateLocalSigner({
        keyFile: path.join(scratch, 'signer', 'signing-key.pem'),
        certFile: renewedCert,
      });
      expect(renewed.publicKeySha256).toBe(signer.publicKeySha256);
      expect(certificateSha256(renewed.certificatePem)).not.toBe(certificateSha256(signer.certificatePem));

      const root = path.join(scratch, 'renewal');
      const archive = localArchive(root);
      for (const [date, by] of [
        ['2026-11-21', signer],
        ['2026-11-22', signer],
        ['2026-11-23', renewed],
        ['2026-11-24', renewed],
      ] as const) {
        await archivePeriod(archive, dailyPeriod(date, TIMEZONE), by);
      }
      expect(await archive.list('keys')).toEqual([keyPathFor(signer), keyPathFor(renewed)].sort());
      const report = await verifyDir(root);
      expect(report.entries.map((e) => [e.date, e.problems])).toEqual(DAYS.map((d) => [d, []]));
      expect(report.problems).toEqual([]);
      expect((await verifyDir(root, { trust: { pems: [signer.certificatePem] } })).ok).toBe(true);

      // Each file holds the certificate its name says: the renewed one under the first one's name is caught.
      const copy = await writableCopy(root, path.join(scratch, 'renewal-swapped'));
      writeFileSync(path.join(copy, keyPathFor(signer)), keyFile(renewed));
      const swapped = await verifyDir(copy);
      for (const d of ['2026-11-21', '2026-11-22']) {
        expect(problemsOf(swapped, d)).toBe(
          `${keyPathFor(signer)}: the certificate in it has SHA-256 ` +
            `${certificateSha256(renewed.certificatePem)}, not the one its name says`,
        );
      }
      expect(failedDays(swapped)).toEqual(['2026-11-21', '2026-11-22']);
    },
  );

  it('fails a manifest whose signer.key is not the file of its key and certificate', async () => {
    const root = await freshCopy();
    const legacy = `keys/${signer.publicKeySha256}.pem`;
    const bytes = rewriteManifest(root, '2026-11-24', (m) => {
      m.signer.key = legacy;
    });
    writeFileSync(
      path.join(dayFolder(root, '2026-11-24'), 'manifest.json.sig'),
      await signer.signDigest(Buffer.from(sha256(bytes), 'hex')),
    );
    expect(problemsOf(await verifyDir(root), '2026-11-24')).toBe(
      `manifest.json: signer.key is ${legacy}, but the key with SHA-256 ${signer.publicKeySha256} and certificate ` +
        `${certificateSha256(signer.certificatePem)} is ${keyPathFor(signer)}`,
    );
  });

  it(
    'fails an archive re-signed throughout with a new key (the old key file left in keys/) unless the new key ' +
      'is pinned',
    async () => {
      const root = path.join(scratch, 're-signed');
      await buildDailyArchive(root, DAYS, otherSigner);
      // On S3 the first key's file is locked: whoever re-signs the bundles cannot take it away.
      copyFileSync(path.join(pristine, keyPathFor(signer)), path.join(root, keyPathFor(signer)));

      const alone = await verifyDir(root);
      expect(alone.entries.every((e) => e.ok)).toBe(true);
      expect(alone.problems).toEqual([
        'the bundles are signed by 2 different keys and none is pinned: ' +
          `key ${short(otherSigner)} signed 2026-11-21 … 2026-11-24; ` +
          `key ${short(signer)} signed no bundle verified (its key file is in keys/); ` +
          'if the key was rotated, verify with --trust for each',
      ]);
      expect(alone.ok).toBe(false);
      const oldPin = await verifyDir(root, { trust: { pems: [signer.certificatePem] } });
      expect(failedDays(oldPin)).toEqual(DAYS);
      const newPin = await verifyDir(root, { trust: { pems: [otherSigner.certificatePem] } });
      expect([newPin.ok, newPin.problems]).toEqual([true, []]);
    },
  );

  it('fails an archive signed by two keys, daily and ad hoc, without --trust; passes with both pinned', async () => {
    const root = path.join(scratch, 'two-keys');
    const archive = localArchive(root);
    for (const [date, by] of [
      ['2026-11-21', signer],
      ['2026-11-22', signer],
      ['2026-11-23', otherSigner],
      ['2026-11-24', otherSigner],
    ] as const) {
      await archivePeriod(archive, dailyPeriod(date, TIMEZONE), by);
    }
    const adhoc = await addAdhocBundle(root, '2026-11-26T05:00:00Z', '2026-11-26T17:00:00Z', signer);

    const unpinned = await verifyDir(root);
    expect(unpinned.entries.every((e) => e.ok)).toBe(true);
    expect(unpinned.problems).toEqual([
      'the bundles are signed by 2 different keys and none is pinned: ' +
        `key ${short(signer)} signed 2026-11-21 … 2026-11-22, ${adhoc}; ` +
        `key ${short(otherSigner)} signed 2026-11-23 … 2026-11-24; if the key was rotated, ` +
        'verify with --trust for each',
    ]);
    expect(unpinned.ok).toBe(false);
    const both = await verifyDir(root, { trust: { pems: [signer.certificatePem, otherSigner.certificatePem] } });
    expect([both.ok, both.problems]).toEqual([true, []]);
    const one = await verifyDir(root, { trust: { pems: [signer.certificatePem] } });
    expect(failedDays(one)).toEqual(['2026-11-23', '2026-11-24']);
  });
});

describe('findPreviousManifest (what a run links to) reads within the same caps', () => {
  it('refuses a previous manifest over 4 MiB, naming it, rather than hold it', async () => {
    const root = await freshCopy();
    truncateSync(path.join(dayFolder(root, '2026-11-24'), 'manifest.json'), 4 * 1024 * 1024 + 1);
    await expect(findPreviousManifest(localArchive(root), '2026-11-25')).rejects.toThrow(
      `${path.join(dayFolder(root, '2026-11-24'), 'manifest.json')}: ` +
        '4194305 bytes, more than the 4194304 this read may hold',
    );
    expect((await findPreviousManifest(localArchive(pristine), '2026-11-25'))?.path).toBe(
      'daily/2026/11/24/manifest.json',
    );
  });
});
