/**
 * `verify`: checks every bundle of an archive and the chain of the daily series, over the archive port only, and
 * says for each day what is wrong and where. One listing of the archive, then every file read once.
 */
import type { KeyObject } from 'node:crypto';
import { InputError, errorMessage } from '../errors.js';
import { sha256 } from '../seal/manifest.js';
import { plural } from '../analysis/wording.js';
import {
  adhocStartDay,
  dailyBundlePath,
  daysOfRollupBundle,
  FOLDERS,
  isLayoutFolder,
  MANIFEST,
  placeOfEntry,
} from './layout.js';
import { describeEntry, type ArchiveEntry, type ArchivePort } from './port.js';
import {
  isReadable,
  loadChainLink,
  lockProblems,
  lockStateOf,
  storageProblems,
  verifyBundle,
  versionOf,
  type BundleCheck,
  type BundleLocation,
  type ChainLink,
  type KeyFileState,
  type VerifyContext,
} from './verify-bundle.js';
import { checkChainLink, daysOf, missingRuns } from './verify-chain.js';
import { checkKeyFile, readTrustPem } from './verify-keys.js';
import {
  append,
  byteBudget,
  capProblems,
  KEY_FILE_LIMIT,
  MEMORY_BUDGET,
  readLimitOf,
  tooLargeProblem,
} from './verify-limits.js';
import { restedDayFindings } from './verify-rollup.js';
import { signerProblems, type SignedBundle } from './verify-signers.js';

export interface VerifyOptions {
  /** First daily bundle to verify (YYYY-MM-DD, inclusive). */
  from?: string;
  /** Last daily bundle to verify (YYYY-MM-DD, inclusive). */
  to?: string;
  /** Pinned keys or certificates (PEM text): the only keys a bundle may be signed with. */
  trust?: { pems: string[] };
  /** What "in the future" means for Object Lock retain-until dates. */
  now?: Date;
  /** Bundles checked at once (S3 round trips dominate); 8 unless given. */
  concurrency?: number;
  /** Also re-perform every report from its evidence file and name each figure that differs. */
  recompute?: boolean;
  /**
   * Verify the daily series only (its days and chain), not the ad-hoc and rollup bundles: what a rollup run needs
   * of the days it rests on, without re-performing the rollups already archived over them.
   */
  dailiesOnly?: boolean;
}

export type EntryStatus = 'ok' | 'fail' | 'missing';

export interface VerifyEntry {
  /** Folder of the bundle (or of the missing day, or of files that belong to no bundle). */
  bundle: string;
  /** The day of a daily bundle; of a run of missing days, the first. */
  date: string | null;
  /** A run of missing days too long to list day by day: its last day and how many days it holds. */
  lastDate?: string;
  days?: number;
  kind: 'daily' | 'adhoc' | 'rollup' | 'unexpected';
  status: EntryStatus;
  ok: boolean;
  problems: string[];
  notes: string[];
}

export interface VerifySummary {
  /** Entries that are folders in the archive (every entry but the missing days). */
  bundles: number;
  daysVerified: number;
  adhocVerified: number;
  rollupVerified: number;
  failed: number;
  /** Days without a bundle, each counted once however the entries group them (a long run is one entry). */
  missing: number;
  /** First and last daily bundle of the archive (whatever from/to say). */
  firstDay: string | null;
  lastDay: string | null;
  /** One line: "4 bundles, 3 days verified, 1 failed, 0 missing". */
  text: string;
}

export interface VerifyReport {
  ok: boolean;
  /** Where the archive is (a directory or an s3:// URL). */
  archive: string;
  entries: VerifyEntry[];
  summary: VerifySummary;
  /** Findings about the archive as a whole, such as nothing to verify. */
  problems: string[];
  /** What the result does not prove (said once here rather than on every day). */
  notes: string[];
}

export const MISSING_DAY = 'no bundle: the day is missing from the archive';
/** Missing days are listed one by one up to a month; a longer run (a stray folder years away) is one entry. */
export const LONGEST_LISTED_RUN = 31;
const DEFAULT_CONCURRENCY = 8;

export async function verifyArchive(archive: ArchivePort, options: VerifyOptions = {}): Promise<VerifyReport> {
  const from = options.from === undefined ? undefined : checkDay(options.from, 'from');
  const to = options.to === undefined ? undefined : checkDay(options.to, 'to');
  if (from !== undefined && to !== undefined && from > to)
    throw new InputError({ field: 'from', value: from, isAfter: { field: 'to', value: to } });
  const trusted = options.trust ? trustedKeys(options.trust.pems) : null;
  const now = options.now ?? new Date();
  // One listing of each part of the archive: every read after it is of an entry it found, at the version it found.
  const [dailyEntries, adhocEntries, rollupEntries, keyEntries, receiptEntries] = await Promise.all(
    [FOLDERS.daily, FOLDERS.adhoc, FOLDERS.rollup, FOLDERS.keys, FOLDERS.receipts].map((prefix) =>
      archive.entries(prefix),
    ),
  );
  const layout = groupArchive([...dailyEntries!, ...adhocEntries!, ...rollupEntries!]);
  const context = verifyContext(
    archive,
    trusted,
    now,
    new Map(keyEntries!.map((e) => [e.path, e])),
    options.recompute ?? false,
    new Map(layout.daily.map((b) => [b.bundle, b])),
  );
  const others = !options.dailiesOnly;
  const inRange = (date: string) => (from === undefined || date >= from) && (to === undefined || date <= to);
  const daily = layout.daily.filter((b) => inRange(b.date!));
  const adhoc = layout.adhoc.filter((b) => {
    const started = adhocStartDay(b.bundle);
    return others && (started === null || inRange(started));
  });
  const rollups = layout.rollup.filter((b) => {
    const days = daysOfRollupBundle(b.bundle);
    return others && (days === null || inRange(days.first));
  });

  const limit = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  const withinBudget = byteBudget(MEMORY_BUDGET);
  const check = (b: BundleLocation) => withinBudget(bytesHeld(b), () => verifyBundle(context, b));
  const dailyChecks = await mapConcurrently(daily, limit, check);
  const adhocChecks = await mapConcurrently(adhoc, limit, check);
  // Re-performing a rollup holds every day it counted: one at a time.
  const rollupChecks = await mapConcurrently(rollups, options.recompute ? 1 : limit, check);

  await checkDailyChain(archive, layout.daily, daily, dailyChecks);
  judgeRestedDays(layout.daily, daily, dailyChecks, rollupChecks);

  const dayEntries: VerifyEntry[] = daily.map((b, i) => entry(b, dailyChecks[i]!.problems, dailyChecks[i]!.notes));
  append(
    dayEntries,
    missingEntries(
      layout.daily.map((b) => b.date!),
      from,
      to,
    ),
  );
  dayEntries.sort((a, b) => (a.date! < b.date! ? -1 : a.date! > b.date! ? 1 : 0));
  const entries = [
    ...dayEntries,
    ...adhoc.map((b, i) => entry(b, adhocChecks[i]!.problems, adhocChecks[i]!.notes)),
    ...rollups.map((b, i) => entry(b, rollupChecks[i]!.problems, rollupChecks[i]!.notes)),
    ...layout.unexpected.map<VerifyEntry>((u) => ({
      ...u,
      problems: capProblems(u.problems),
      kind: 'unexpected',
      status: 'fail',
      ok: false,
      notes: [],
    })),
  ];

  const problems: string[] = [];
  if (layout.daily.length + layout.adhoc.length + layout.rollup.length === 0)
    problems.push(`no bundles found in ${archive.locate('')}`);
  else if (from !== undefined || to !== undefined) {
    if (daily.length === 0)
      problems.push(`no daily bundle from ${from ?? 'the first'} to ${to ?? 'the last'} in ${archive.locate('')}`);
  }
  problems.push(
    ...signerProblems(
      signedBundles([...daily, ...adhoc, ...rollups], [...dailyChecks, ...adhocChecks, ...rollupChecks]),
      keyEntries!.map((e) => e.path),
      trusted !== null,
    ),
  );
  // Key files no bundle named are not checked one by one, but a link or a FIFO in keys/ is still not a key file.
  for (const key of keyEntries!) {
    if (key.path === FOLDERS.keys) problems.push(`${FOLDERS.keys}: ${describeEntry(key, 'folder')}`);
    else if (!context.keyFilesLoaded.has(key.path)) problems.push(...storageProblems(key.path, key));
  }
  // Receipts are not verified (they say an email went, nothing about the bundle), but a write of one that a crash
  // interrupted is named like any other leftover.
  for (const leftover of receiptEntries!.filter((e) => e.kind === 'staging')) {
    problems.push(`${leftover.path}: ${describeEntry(leftover)} (the next run of its period removes it)`);
  }
  const firstDay = layout.daily[0]?.date ?? null;
  const lastDay = layout.daily[layout.daily.length - 1]?.date ?? null;
  return {
    ok: problems.length === 0 && entries.every((e) => e.ok),
    archive: archive.locate(''),
    entries,
    summary: summarize(entries, firstDay, lastDay),
    problems,
    notes: archiveNotes(archive, trusted !== null, firstDay, lastDay),
  };
}

/**
 * Adds the chain's findings to the checks of the days in range. Links go from manifest to manifest (as chain.ts
 * seals them): a folder without one, left by a run that stopped part-way, fails on its own but is no link.
 */
async function checkDailyChain(
  archive: ArchivePort,
  allDays: BundleLocation[],
  days: BundleLocation[],
  checks: BundleCheck[],
): Promise<void> {
  const sealed = allDays.filter((b) => b.files.includes(MANIFEST));
  const options = { present: new Set(sealed.map((b) => b.bundle)), folders: new Set(allDays.map((b) => b.bundle)) };
  // Earlier links, in date order. Those before the range are read (not verified) as far back as a link needs.
  const earlier: ChainLink[] = [];
  const first = days[0];
  const beforeRange = first ? sealed.filter((b) => b.bundle < first.bundle) : [];
  const sealedAt = (link: ChainLink) => link.manifest?.generatedAt ?? '';
  /**
   * A bundle links to the nearest earlier day that was sealed before it. A day run late (after the next day was
   * sealed) is linked from no later bundle: the chain goes around it and says so, rather than breaking.
   */
  const linkedFrom = async (current: ChainLink): Promise<ChainLink | null> => {
    for (let i = earlier.length - 1; i >= 0; i--) {
      if (sealedAt(earlier[i]!) < sealedAt(current)) return earlier[i]!;
    }
    while (beforeRange.length > 0) {
      const link = await loadChainLink(archive, beforeRange.pop()!);
      earlier.unshift(link);
      if (sealedAt(link) < sealedAt(current)) return link;
    }
    return null;
  };
  for (const check of checks) {
    if (!options.present.has(check.link.bundle)) continue;
    const previous = await linkedFrom(check.link);
    const nearest = earlier.at(-1);
    if (nearest && previous !== nearest && nearest.date && sealedAt(check.link) !== '') {
      check.notes.push(
        `the bundle of ${nearest.date} was sealed after this one (at ${sealedAt(nearest)}, a late run): ` +
          'this bundle links around it',
      );
    }
    check.problems.push(...checkChainLink(check.link, previous, options));
    earlier.push(check.link);
  }
}

/**
 * A rollup fails when a day it counted fails verification in this run, naming the day (verify-rollup.ts
 * `restedDayFindings`); a day outside the days verified is noted, not judged.
 */
function judgeRestedDays(
  allDays: BundleLocation[],
  days: BundleLocation[],
  dayChecks: BundleCheck[],
  rollupChecks: BundleCheck[],
): void {
  const outcomes = new Map(days.map((b, i) => [b.bundle, dayChecks[i]!.problems]));
  const listed = new Set(allDays.map((b) => b.bundle));
  const outcomeOf = (bundle: string) => outcomes.get(bundle) ?? (listed.has(bundle) ? 'unchecked' : undefined);
  for (const check of rollupChecks) {
    if (!check.restsOn) continue;
    const found = restedDayFindings(check.restsOn, outcomeOf);
    append(check.problems, found.problems);
    append(check.notes, found.notes);
  }
}

/** A YYYY-MM-DD calendar date, or an InputError about `field`. */
export function checkDay(value: string, field: 'from' | 'to'): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || !isCalendarDate(value)) {
    throw new InputError({ field, problem: `"${value}" is not a calendar date of the form YYYY-MM-DD` });
  }
  return value;
}

function trustedKeys(pems: string[]): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  pems.forEach((pem, i) => {
    for (const [sha, key] of readTrustPem(pem, `PEM #${i + 1}`)) keys.set(sha, key);
  });
  return keys;
}

/** What checking a bundle holds in memory at most: the files it reads whole, each within its cap. */
function bytesHeld(location: BundleLocation): number {
  let bytes = 0;
  for (const [name, found] of location.entries) {
    const limit = readLimitOf(name);
    if (limit !== null && isReadable(found)) bytes += Math.min(found.bytes ?? limit, limit);
  }
  return bytes;
}

/** Who signed each bundle verified, as its manifest says (a bundle whose manifest could not be read signed nothing). */
function signedBundles(locations: BundleLocation[], checks: BundleCheck[]): SignedBundle[] {
  return locations.flatMap((location, i) => {
    const manifest = checks[i]!.link.manifest;
    return manifest
      ? [{ bundle: location.bundle, date: location.date, publicKeySha256: manifest.signer.publicKeySha256 }]
      : [];
  });
}

function verifyContext(
  archive: ArchivePort,
  trusted: Map<string, KeyObject> | null,
  now: Date,
  keyEntries: ReadonlyMap<string, ArchiveEntry>,
  recompute: boolean,
  dailyBundles: ReadonlyMap<string, BundleLocation>,
): VerifyContext & { keyFilesLoaded: ReadonlySet<string> } {
  const keyFiles = new Map<string, Promise<KeyFileState>>();
  const context = {
    archive,
    trusted,
    now,
    recompute,
    dailyBundles,
    keyFilesLoaded: new Set<string>(),
    keyFile(path: string) {
      let state = keyFiles.get(path);
      if (!state) {
        state = loadKeyFile(path);
        keyFiles.set(path, state);
        context.keyFilesLoaded.add(path);
      }
      return state;
    },
  };
  const failed = (problems: string[]): KeyFileState => ({ key: null, problems, lockProblems: [] });
  async function loadKeyFile(path: string): Promise<KeyFileState> {
    // Only what the listing of keys/ found is read, at the version it found.
    const entry = keyEntries.get(path);
    if (!entry) return { ...checkKeyFile(path, null), lockProblems: [] };
    const stored = storageProblems(path, entry);
    if (!isReadable(entry)) return failed(stored);
    if (entry.bytes !== undefined && entry.bytes > KEY_FILE_LIMIT)
      return failed([...stored, tooLargeProblem(path, entry.bytes, KEY_FILE_LIMIT)]);
    let bytes: Uint8Array | null;
    try {
      bytes = await archive.read(path, { maxBytes: KEY_FILE_LIMIT, ...versionOf(entry) });
    } catch (err) {
      return failed([...stored, `${path}: cannot be read (${errorMessage(err)})`]);
    }
    const checked = checkKeyFile(path, bytes);
    const locks =
      archive.lockState && bytes !== null
        ? lockProblems(path, await lockStateOf(context, path, entry), now, sha256(bytes))
        : [];
    return { ...checked, problems: [...stored, ...checked.problems], lockProblems: locks };
  }
  return context;
}

/** The missing days within [from, to], one entry a day, or one entry for a run longer than LONGEST_LISTED_RUN. */
function missingEntries(presentDates: string[], from: string | undefined, to: string | undefined): VerifyEntry[] {
  return missingRuns(presentDates, from, to).flatMap<VerifyEntry>((run) => {
    const missing = { kind: 'daily', status: 'missing', ok: false, notes: [] } as const;
    if (run.days <= LONGEST_LISTED_RUN) {
      return daysOf(run).map((date) => ({
        ...missing,
        bundle: dailyBundlePath(date),
        date,
        problems: [MISSING_DAY],
        notes: [],
      }));
    }
    const problem = `${run.first} … ${run.last}: ${run.days.toLocaleString('en-US')} days missing`;
    return [
      {
        ...missing,
        bundle: dailyBundlePath(run.first),
        date: run.first,
        lastDate: run.last,
        days: run.days,
        problems: [problem],
        notes: [],
      },
    ];
  });
}

interface ArchiveLayout {
  /** In date order. */
  daily: BundleLocation[];
  adhoc: BundleLocation[];
  rollup: BundleLocation[];
  /** Entries under daily/, adhoc/ or rollup/ that are in no bundle folder, by folder. */
  unexpected: { bundle: string; date: null; problems: string[] }[];
}

function groupArchive(entries: ArchiveEntry[]): ArchiveLayout {
  const bundles = new Map<string, BundleLocation>();
  const unexpected = new Map<string, string[]>();
  const stray = (found: ArchiveEntry, why: string) => {
    const cut = found.path.lastIndexOf('/');
    // A top-level entry (daily itself, a link) is reported under its own name.
    const folder = cut === -1 ? found.path : found.path.slice(0, cut);
    const list = unexpected.get(folder) ?? [];
    list.push(`${found.path.slice(cut + 1)}: ${why}`);
    unexpected.set(folder, list);
  };
  // Where the layout has folders, an entry that is not one is named as such.
  const notAFile = (found: ArchiveEntry) =>
    describeEntry(found, isLayoutFolder(found.path) ? 'folder' : 'regular file');
  for (const found of entries) {
    const place = placeOfEntry(found.path);
    if (found.kind === 'staging' && (place === null || place.name === undefined)) {
      // Beside the bundles, not in one: a bundle a run was writing when it stopped (or anything named like one).
      stray(found, `${describeEntry(found)} ${leftoverOf(found.path)}`);
      continue;
    }
    if (place === null) {
      const why = found.path.startsWith(`${FOLDERS.daily}/`)
        ? 'not inside a daily bundle folder (daily/YYYY/MM/DD)'
        : found.path.startsWith(`${FOLDERS.rollup}/`)
          ? 'not inside a rollup bundle folder'
          : 'not inside an ad-hoc bundle folder';
      stray(found, found.kind === 'file' ? why : notAFile(found));
      continue;
    }
    if (place.date !== null && !isCalendarDate(place.date)) {
      stray(found, found.kind === 'file' ? `in a folder that names no calendar day (${place.date})` : notAFile(found));
      continue;
    }
    const { name, ...location } = place;
    const bundle = bundles.get(location.bundle) ?? { ...location, files: [], entries: new Map<string, ArchiveEntry>() };
    bundles.set(location.bundle, bundle);
    // The bundle's own path listed as an entry: it is no folder (a link to one, a file, a device).
    if (name === undefined) bundle.folder = found;
    else {
      (bundle.entries as Map<string, ArchiveEntry>).set(name, found);
      if (isReadable(found)) bundle.files.push(name);
    }
  }
  const sorted = [...bundles.values()].sort((a, b) => (a.bundle < b.bundle ? -1 : 1));
  return {
    daily: sorted.filter((b) => b.kind === 'daily'),
    adhoc: sorted.filter((b) => b.kind === 'adhoc'),
    rollup: sorted.filter((b) => b.kind === 'rollup'),
    unexpected: [...unexpected.entries()].sort().map(([bundle, problems]) => ({ bundle, date: null, problems })),
  };
}

/**
 * Which bundle a staging folder beside the bundles was for, and what will remove it: a run of that period removes
 * the leftovers of runs that are over. A name that is no bundle's staging name is left to a person.
 */
function leftoverOf(path: string): string {
  const day = /^(daily\/\d{4}\/\d{2})\/\.partial-(\d{2})-/.exec(path);
  const adhoc = /^adhoc\/\.partial-([^-/]+)-/.exec(path);
  const rollup = /^rollup\/\.partial-(\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2})-/.exec(path);
  const bundle = day
    ? `${day[1]}/${day[2]}`
    : adhoc
      ? `${FOLDERS.adhoc}/${adhoc[1]}`
      : rollup
        ? `${FOLDERS.rollup}/${rollup[1]}`
        : null;
  return bundle
    ? `(of the bundle ${bundle}: the next run of that period removes it)`
    : '(named for no bundle, so no run removes it: look at what it holds, then remove it)';
}

function isCalendarDate(date: string): boolean {
  const t = Date.parse(`${date}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === date;
}

function entry(location: BundleLocation, problems: string[], notes: string[]): VerifyEntry {
  const ok = problems.length === 0;
  return {
    bundle: location.bundle,
    date: location.date,
    kind: location.kind,
    status: ok ? 'ok' : 'fail',
    ok,
    problems: capProblems(problems),
    notes,
  };
}

function summarize(entries: VerifyEntry[], firstDay: string | null, lastDay: string | null): VerifySummary {
  const count = (test: (e: VerifyEntry) => boolean) => entries.filter(test).length;
  const bundles = count((e) => e.status !== 'missing');
  const daysVerified = count((e) => e.kind === 'daily' && e.ok);
  const adhocVerified = count((e) => e.kind === 'adhoc' && e.ok);
  const rollupVerified = count((e) => e.kind === 'rollup' && e.ok);
  const failed = count((e) => e.status === 'fail');
  const missing = entries.reduce((days, e) => days + (e.status === 'missing' ? (e.days ?? 1) : 0), 0);
  const parts = [plural(bundles, 'bundle'), `${plural(daysVerified, 'day')} verified`];
  if (entries.some((e) => e.kind === 'adhoc')) parts.push(`${adhocVerified} ad-hoc verified`);
  if (entries.some((e) => e.kind === 'rollup')) parts.push(`${rollupVerified} rollup verified`);
  parts.push(`${failed} failed`, `${missing.toLocaleString('en-US')} missing`);
  return {
    bundles,
    daysVerified,
    adhocVerified,
    rollupVerified,
    failed,
    missing,
    firstDay,
    lastDay,
    text: parts.join(', '),
  };
}

function archiveNotes(
  archive: ArchivePort,
  trusted: boolean,
  firstDay: string | null,
  lastDay: string | null,
): string[] {
  const notes: string[] = [];
  if (!trusted) {
    notes.push(
      'signatures were checked with the keys the archive holds itself (keys/): they prove the bundles agree with ' +
        'one another, not who made them; pin the expected certificate with --trust',
    );
  }
  if (!archive.lockState)
    notes.push('this archive has no Object Lock: read-only files stop mistakes, not someone with write access');
  if (firstDay && lastDay) {
    notes.push(
      `the daily series runs from ${firstDay} to ${lastDay}: the chain cannot show days removed after the last one`,
    );
  }
  return notes;
}

async function mapConcurrently<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
