/**
 * Which keys signed the archive, as one rule over every bundle verified: without pinned keys (--trust) an archive
 * vouches only for itself, so a second key is exactly what a forger re-signing bundles would bring. One key
 * throughout passes on its own; more than one must each be pinned (which verify-bundle.ts checks per bundle).
 */
import { keyOfKeyPath } from './layout.js';
import { shortKey } from './verify-keys.js';

export interface SignedBundle {
  /** The bundle's folder. */
  bundle: string;
  /** The day of a daily bundle; null for an ad-hoc one. */
  date: string | null;
  publicKeySha256: string;
}

/**
 * The archive's problem when more than one key signed its bundles (or has a key file in keys/, which on S3 no one
 * can remove: a bundle re-signed with a new key leaves the old key behind) and none is pinned. Empty otherwise.
 */
export function signerProblems(signed: SignedBundle[], keyFiles: string[], trusted: boolean): string[] {
  if (trusted) return [];
  const byKey = new Map<string, SignedBundle[]>();
  for (const bundle of signed)
    byKey.set(bundle.publicKeySha256, [...(byKey.get(bundle.publicKeySha256) ?? []), bundle]);
  for (const path of keyFiles) {
    const key = keyOfKeyPath(path)?.publicKeySha256 ?? null;
    if (key !== null && !byKey.has(key)) byKey.set(key, []);
  }
  if (byKey.size <= 1) return [];
  const keys = [...byKey.entries()].map(([key, bundles]) =>
    bundles.length === 0
      ? `key ${shortKey(key)} signed no bundle verified (its key file is in keys/)`
      : `key ${shortKey(key)} signed ${describeBundles(bundles)}`,
  );
  return [
    `the bundles are signed by ${byKey.size} different keys and none is pinned: ${keys.join('; ')}; ` +
      'if the key was rotated, verify with --trust for each',
  ];
}

const MOST_LISTED = 6;

/** "2026-11-21 … 2026-11-22, adhoc/…": consecutive days as one range, at most a few items then how many more. */
export function describeBundles(bundles: SignedBundle[]): string {
  const days = bundles.flatMap((b) => (b.date === null ? [] : [b.date])).sort();
  const items: string[] = [];
  let start: string | undefined;
  let previous: string | undefined;
  const close = () => {
    if (start !== undefined) items.push(start === previous ? start : `${start} … ${previous}`);
  };
  for (const day of days) {
    if (previous === undefined || !isNextDay(previous, day)) {
      close();
      start = day;
    }
    previous = day;
  }
  close();
  items.push(...bundles.filter((b) => b.date === null).map((b) => b.bundle));
  const shown = items.slice(0, MOST_LISTED);
  const more = items.length - shown.length;
  return `${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

function isNextDay(day: string, next: string): boolean {
  return Date.parse(`${next}T00:00:00Z`) - Date.parse(`${day}T00:00:00Z`) === 86_400_000;
}
