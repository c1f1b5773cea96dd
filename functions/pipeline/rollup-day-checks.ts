/**
 * What a rollup requires of a day before it counts it (pure): the manifest it reads for the day's figures is the
 * one verification read, byte for byte; it is signed by a key the rollup trusts (the key the rollup signs with
 * itself: a renewed certificate of that key is the same key); and its period is exactly that date's day in the
 * rollup's time zone, so the figures cover the period the rollup signs.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { keyPathOf, MANIFEST, MANIFEST_SIG } from '../archive/layout.js';
import { shortKey, spkiSha256 } from '../archive/verify-keys.js';
import { dailyPeriod } from '../config/period.js';
import { sha256, type Manifest } from '../seal/manifest.js';
import { verifies } from '../seal/signature.js';
import type { Signer } from '../seal/signer.js';
import { formatInstant } from '../time/nanos.js';

/** The keys a rollup accepts days signed by, by the SHA-256 of their SubjectPublicKeyInfo (as manifests name keys). */
export type TrustedKeys = ReadonlyMap<string, KeyObject>;

/** The key the rollup signs with: its days must be signed by it too. */
export function trustedKeysOf(signer: Pick<Signer, 'publicKeyPem'>): TrustedKeys {
  const key = createPublicKey(signer.publicKeyPem);
  return new Map([[spkiSha256(key), key]]);
}

export interface DayManifest {
  /** The day, in the rollup's time zone. */
  date: string;
  /** The rollup's time zone. */
  timezone: string;
  /** manifest.json as the rollup read it for the day's figures, and parsed. */
  bytes: Uint8Array;
  manifest: Pick<Manifest, 'period' | 'signer'>;
  /** manifest.json.sig as the rollup read it; null when there is none. */
  signature: Uint8Array | null;
  /** The SHA-256 of manifest.json each time verification read it (in the order it read it). */
  verifiedSha256: readonly string[];
  trusted: TrustedKeys;
}

/** Everything that keeps a verified day out of the rollup's figures, each naming what and where; empty: it counts. */
export function dayManifestProblems(day: DayManifest): string[] {
  const problems: string[] = [];
  const changed = changedSinceVerified(sha256(day.bytes), day.verifiedSha256);
  if (changed) problems.push(changed);
  const signer = untrustedSigner(day.manifest.signer, day.trusted);
  if (signer) problems.push(signer);
  else {
    const signature = signatureProblem(day, day.trusted.get(day.manifest.signer.publicKeySha256)!);
    if (signature) problems.push(signature);
  }
  const period = periodProblem(day.manifest.period, day.date, day.timezone);
  if (period) problems.push(period);
  return problems;
}

/** The manifest read now against what verification read: the same bytes, read once or always alike. */
export function changedSinceVerified(now: string, verified: readonly string[]): string | null {
  const seen = [...new Set(verified)];
  if (seen.length === 0)
    return `${MANIFEST}: verification never read it, so nothing says the bytes read now (SHA-256 ${now}) are verified`;
  if (seen.length > 1)
    return `${MANIFEST}: changed while the day was being verified (read as SHA-256 ${seen.join(', then ')})`;
  if (seen[0] !== now)
    return `${MANIFEST}: changed after the day was verified (SHA-256 ${now} now, ${seen[0]} when verified)`;
  return null;
}

/** A day signed by a key the rollup does not trust, naming that key and its file; null when it is trusted. */
export function untrustedSigner(signer: Manifest['signer'], trusted: TrustedKeys): string | null {
  if (trusted.has(signer.publicKeySha256)) return null;
  const ours = [...trusted.keys()].map(shortKey).join(', ');
  return (
    `signed by key ${signer.publicKeySha256} (${keyPathOf(signer.publicKeySha256, signer.certificateSha256)}), ` +
    `not by the key this rollup signs with (${ours}): a day signed by another key is not counted`
  );
}

function signatureProblem(day: DayManifest, key: KeyObject): string | null {
  if (day.signature === null) return `${MANIFEST_SIG}: missing, so the manifest read for the rollup is not signed`;
  if (verifies(day.bytes, key, day.signature)) return null;
  return `${MANIFEST_SIG}: does not verify over the ${MANIFEST} read for the rollup with key ${shortKey(
    day.manifest.signer.publicKeySha256,
  )}`;
}

/** The bundle's period is exactly `date`'s day in `timezone` (23 or 25 hours when clocks change), or says both. */
export function periodProblem(period: Manifest['period'], date: string, timezone: string): string | null {
  const day = dailyPeriod(date, timezone);
  const from = formatInstant(day.from);
  const to = formatInstant(day.to);
  if (
    period.kind === 'daily' &&
    period.date === date &&
    period.timezone === timezone &&
    period.from === from &&
    period.to === to
  )
    return null;
  const named = period.date === undefined ? '' : ` ${period.date}`;
  return (
    `${MANIFEST}: the bundle covers the ${period.kind} period${named} in ${period.timezone} ` +
    `[${period.from}, ${period.to}), not the day ${date} in ${timezone} [${from}, ${to}) that this rollup covers`
  );
}
