import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyPathOf } from '../../../functions/archive/layout.js';
import { shortKey, spkiSha256 } from '../../../functions/archive/verify-keys.js';
import { dailyPeriod } from '../../../functions/config/period.js';
import {
  changedSinceVerified,
  dayManifestProblems,
  periodProblem,
  trustedKeysOf,
  untrustedSigner,
  type DayManifest,
} from '../../../functions/pipeline/rollup-day-checks.js';
import { sha256 } from '../../../functions/seal/manifest.js';
import { formatInstant } from '../../../functions/time/nanos.js';

const NY = 'America/New_York';
const periodOf = (date: string, timezone: string) => {
  const day = dailyPeriod(date, timezone);
  return { kind: 'daily' as const, date, timezone, from: formatInstant(day.from), to: formatInstant(day.to) };
};
const newKey = () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }) as string;
  return { privateKey, publicKeyPem, sha: spkiSha256(createPublicKey(privateKey)) };
};
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe("a rollup's day: the day's period in the rollup's time zone", () => {
  it('accepts exactly the day, 23 hours long when clocks go forward', () => {
    expect(periodProblem(periodOf('2026-11-24', NY), '2026-11-24', NY)).toBeNull();
    expect(periodProblem(periodOf('2026-03-08', NY), '2026-03-08', NY)).toBeNull();
  });

  it('names both periods for the same date in another zone', () => {
    expect(periodProblem(periodOf('2026-12-02', NY), '2026-12-02', 'UTC')).toBe(
      'manifest.json: the bundle covers the daily period 2026-12-02 in America/New_York ' +
        '[2026-12-02T05:00:00.000000000Z, 2026-12-03T05:00:00.000000000Z), not the day 2026-12-02 in UTC ' +
        '[2026-12-02T00:00:00.000000000Z, 2026-12-03T00:00:00.000000000Z) that this rollup covers',
    );
  });

  it('refuses another date, other instants under the right names, and a period that is no day', () => {
    expect(periodProblem(periodOf('2026-12-01', 'UTC'), '2026-12-02', 'UTC')).toContain(
      'covers the daily period 2026-12-01 in UTC',
    );
    const shifted = { ...periodOf('2026-12-02', 'UTC'), to: '2026-12-03T01:00:00.000000000Z' };
    expect(periodProblem(shifted, '2026-12-02', 'UTC')).toContain(
      '[2026-12-02T00:00:00.000000000Z, 2026-12-03T01:00:00.000000000Z), not the day 2026-12-02 in UTC',
    );
    const { date: _, ...adhoc } = { ...periodOf('2026-12-02', 'UTC'), kind: 'adhoc' as const };
    expect(periodProblem(adhoc, '2026-12-02', 'UTC')).toBe(
      'manifest.json: the bundle covers the adhoc period in UTC [2026-12-02T00:00:00.000000000Z, ' +
        '2026-12-03T00:00:00.000000000Z), not the day 2026-12-02 in UTC [2026-12-02T00:00:00.000000000Z, ' +
        '2026-12-03T00:00:00.000000000Z) that this rollup covers',
    );
  });
});

describe("a rollup's day: the manifest verification read", () => {
  it('accepts the bytes verification read, however often it read them', () => {
    expect(changedSinceVerified(A, [A])).toBeNull();
    expect(changedSinceVerified(A, [A, A])).toBeNull();
  });

  it('names bytes other than those verified, bytes that changed during verification, and bytes never verified', () => {
    expect(changedSinceVerified(B, [A])).toBe(
      `manifest.json: changed after the day was verified (SHA-256 ${B} now, ${A} when verified)`,
    );
    expect(changedSinceVerified(A, [A, B])).toBe(
      `manifest.json: changed while the day was being verified (read as SHA-256 ${A}, then ${B})`,
    );
    expect(changedSinceVerified(A, [])).toBe(
      `manifest.json: verification never read it, so nothing says the bytes read now (SHA-256 ${A}) are verified`,
    );
  });
});

describe("a rollup's day: signed by the key the rollup signs with", () => {
  const ours = newKey();
  const trusted = trustedKeysOf(ours);

  it('trusts the key of the signer, by the SHA-256 manifests name it with', () => {
    expect([...trusted.keys()]).toEqual([ours.sha]);
  });

  it('names a day signed by another key, with its key file', () => {
    const theirs = newKey();
    expect(untrustedSigner({ ...signerOf(ours.sha), certificateSha256: B }, trusted)).toBeNull();
    expect(untrustedSigner({ ...signerOf(theirs.sha), certificateSha256: B }, trusted)).toBe(
      `signed by key ${theirs.sha} (${keyPathOf(theirs.sha, B)}), not by the key this rollup signs with ` +
        `(${shortKey(ours.sha)}): a day signed by another key is not counted`,
    );
  });

  function dayOf(signedBy: ReturnType<typeof newKey>, change: Partial<DayManifest> = {}): DayManifest {
    const bytes = new TextEncoder().encode('{"a manifest":true}\n');
    return {
      date: '2026-12-02',
      timezone: 'UTC',
      bytes,
      manifest: { period: periodOf('2026-12-02', 'UTC'), signer: signerOf(signedBy.sha) },
      signature: sign('sha256', bytes, signedBy.privateKey),
      verifiedSha256: [sha256(bytes)],
      trusted,
      ...change,
    };
  }

  it('counts a day whose verified manifest is signed by the trusted key, for the day', () => {
    expect(dayManifestProblems(dayOf(ours))).toEqual([]);
  });

  it('names every reason a day is not counted', () => {
    const day = dayOf(ours);
    const forged = new TextEncoder().encode('{"a manifest":false}\n');
    expect(
      dayManifestProblems({ ...day, bytes: forged, manifest: { ...day.manifest, period: periodOf('2026-12-02', NY) } }),
    ).toEqual([
      `manifest.json: changed after the day was verified (SHA-256 ${sha256(forged)} now, ${day.verifiedSha256[0]} ` +
        'when verified)',
      `manifest.json.sig: does not verify over the manifest.json read for the rollup with key ${shortKey(ours.sha)}`,
      expect.stringContaining('manifest.json: the bundle covers the daily period 2026-12-02 in America/New_York'),
    ]);
    expect(dayManifestProblems({ ...day, signature: null })).toEqual([
      'manifest.json.sig: missing, so the manifest read for the rollup is not signed',
    ]);
    // Signed, and verifying, but by a key of someone else's: named as such (its own signature proves nothing).
    const theirs = newKey();
    expect(dayManifestProblems(dayOf(theirs))).toEqual([expect.stringContaining(`signed by key ${theirs.sha}`)]);
  });
});

function signerOf(publicKeySha256: string) {
  return {
    algorithm: 'ECDSA_SHA_256' as const,
    keyId: `local:${publicKeySha256}`,
    publicKeySha256,
    certificateSha256: A,
    key: keyPathOf(publicKeySha256, A),
  };
}
