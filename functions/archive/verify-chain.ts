/**
 * The daily series as a chain, after CloudTrail's digest files: each manifest names the previous one by path,
 * hash and signature, so a deleted, replaced, moved or edited day shows up at the day after it too.
 */
import { sha256 } from '../seal/manifest.js';
import { dateOfDailyBundle, dayBefore, MANIFEST, MANIFEST_SIG } from './layout.js';
import type { ChainLink } from './verify-bundle.js';

/** Which keys signed the series is an archive-wide rule (verify-signers.ts), not a link's. */
export interface ChainOptions {
  /** Every daily bundle with a manifest: the links of the chain. */
  present: ReadonlySet<string>;
  /** Every daily folder, with a manifest or not, so a broken link can say whether the day it names is gone. */
  folders: ReadonlySet<string>;
}

/**
 * Problems with the link from `current` to `previous`, the nearest earlier daily bundle in the archive (null
 * when `current` is the earliest).
 */
export function checkChainLink(current: ChainLink, previous: ChainLink | null, options: ChainOptions): string[] {
  const manifest = current.manifest;
  // An unreadable manifest, or one in the wrong series, is already reported by the bundle's own checks.
  if (manifest?.series !== 'daily') return [];
  const link = manifest.previous;
  const problems: string[] = [];

  if (previous === null) {
    if (link !== null) {
      problems.push(
        `previous: links to ${link.path}, which is not in the archive (this is the earliest daily bundle)` +
          whyBroken(link.path, current, null, options),
      );
    } else if (!manifest.firstOfSeries) {
      problems.push(`${MANIFEST}: has no previous link, yet does not say it is the first of the series`);
    }
    return problems;
  }

  const expectedPath = `${previous.bundle}/${MANIFEST}`;
  if (link === null) {
    problems.push(
      manifest.firstOfSeries
        ? `${MANIFEST}: says it is the first of the series, but the archive holds an earlier daily bundle, ` +
            `${previous.bundle}`
        : `${MANIFEST}: has no link to the previous bundle, ${previous.bundle}`,
    );
  } else {
    if (manifest.firstOfSeries)
      problems.push(`${MANIFEST}: says it is the first of the series, yet links to ${link.path}`);
    if (link.path !== expectedPath) {
      problems.push(
        `previous: links to ${link.path}, but the nearest earlier bundle in the archive is ${previous.bundle}` +
          whyBroken(link.path, current, previous, options),
      );
    } else {
      problems.push(...compareWithPrevious(link, previous));
    }
  }
  return problems;
}

function compareWithPrevious(link: { path: string; sha256: string; signature: string }, previous: ChainLink): string[] {
  const problems: string[] = [];
  if (previous.manifestBytes === null) {
    problems.push(`previous: ${link.path} is missing, so the link cannot be checked`);
  } else {
    const actual = sha256(previous.manifestBytes);
    if (actual !== link.sha256) {
      problems.push(
        `previous.sha256 is ${link.sha256}, but ${link.path} has SHA-256 ${actual}: ` +
          'that manifest was changed or replaced after this one was sealed',
      );
    }
  }
  const signaturePath = `${previous.bundle}/${MANIFEST_SIG}`;
  if (previous.signature === null) {
    problems.push(`previous: ${signaturePath} is missing, so the link's signature cannot be compared`);
  } else if (Buffer.from(previous.signature).toString('base64') !== link.signature) {
    problems.push(`previous.signature is not the signature in ${signaturePath}`);
  }
  return problems;
}

/** What a link to another bundle than the nearest earlier one means, as far as the archive shows it. */
function whyBroken(linkPath: string, current: ChainLink, previous: ChainLink | null, options: ChainOptions): string {
  const linked = linkPath.endsWith(`/${MANIFEST}`) ? linkPath.slice(0, -MANIFEST.length - 1) : null;
  const date = linked === null ? null : dateOfDailyBundle(linked);
  if (linked === null || date === null) return ': that is not a daily bundle';
  if (!options.folders.has(linked)) return `: ${date} is missing from the archive`;
  if (!options.present.has(linked)) return `: ${linked} has no ${MANIFEST}`;
  if (current.date !== null && date >= current.date)
    return `: ${date} is not an earlier day, so this bundle is not where it was sealed`;
  if (previous?.date && date < previous.date)
    return `: ${previous.bundle} was put between ${date} and this day after this bundle was sealed`;
  return '';
}

/** Consecutive days without a bundle: `days` of them, from `first` to `last` inclusive. */
export interface MissingRun {
  first: string;
  last: string;
  days: number;
}

/**
 * The runs of days with no bundle between the first and the last daily bundle of the archive, within [from, to].
 * Counted, not enumerated: a stray folder centuries away is one run, not a million days held in memory.
 */
export function missingRuns(presentDates: string[], from?: string, to?: string): MissingRun[] {
  const sorted = [...new Set(presentDates)].sort();
  const runs: MissingRun[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const after = nextDay(sorted[i - 1]!);
    const before = dayBefore(sorted[i]!);
    const first = from !== undefined && from > after ? from : after;
    const last = to !== undefined && to < before ? to : before;
    if (first <= last) runs.push({ first, last, days: daysFrom(first, last) + 1 });
  }
  return runs;
}

/** The days of a run, one by one (for runs short enough to list). */
export function daysOf(run: MissingRun): string[] {
  const days: string[] = [];
  for (let day = run.first; day <= run.last; day = nextDay(day)) days.push(day);
  return days;
}

const DAY_MS = 86_400_000;

function utcMidnight(date: string): number {
  return Date.parse(`${date}T00:00:00Z`);
}

function daysFrom(first: string, last: string): number {
  return Math.round((utcMidnight(last) - utcMidnight(first)) / DAY_MS);
}

export function nextDay(date: string): string {
  return new Date(utcMidnight(date) + DAY_MS).toISOString().slice(0, 10);
}
