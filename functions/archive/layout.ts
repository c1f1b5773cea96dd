/**
 * Where everything lives in an archive (docs/architecture.md, "The bundle"), both ways: the path of what is to be
 * written, and what a path that was found names. A leaf: the writers, `verify` and the tests all read the layout
 * from here, so a path that one side writes is the path the other side looks for.
 */
import { createHash } from 'node:crypto';
import { formatInstant, type Nanos } from '../time/nanos.js';

/** The folders at the archive's root. */
export const FOLDERS = {
  daily: 'daily',
  adhoc: 'adhoc',
  rollup: 'rollup',
  keys: 'keys',
  receipts: 'receipts',
} as const;

export const MANIFEST = 'manifest.json';
export const MANIFEST_SIG = 'manifest.json.sig';
/** The manifest's schema names, here because the key file a manifest names depends on them (keyPathOfManifest). */
export const MANIFEST_SCHEMA = 'sox-report-manifest/v2';
/** Manifests sealed before the evidence file and the producer were added: still verified, never written. */
export const MANIFEST_SCHEMA_V1 = 'sox-report-manifest/v1';
export const REPORT_JSON = 'report.json';
export const REPORT_HTML = 'report.html';
export const REPORT_PDF = 'report.pdf';
/**
 * The three documents of a bundle, in the order they are written: after the intent and the evidence file, before
 * the manifest's signature and the manifest.
 */
export const ARTIFACTS = [REPORT_JSON, REPORT_HTML, REPORT_PDF] as const;
export const EVIDENCE_FILE = 'evidence.jsonl.gz';

/** What makes an archived file an evidence file: a manifest may name one of several such files. */
export function isEvidenceFile(name: string): boolean {
  return /(^|\/)[^/]*evidence[^/]*\.jsonl\.gz$/.test(name);
}

const INTENT_NAME = /^intent-[0-9A-Za-z-]{1,64}\.json$/;

export function intentFileName(run: string): string {
  return `intent-${run}.json`;
}

export function isIntentFile(name: string): boolean {
  return INTENT_NAME.test(name);
}

/** What bundlePath needs of a period (config/period.ts `Period`). */
export interface PeriodPlace {
  kind: 'daily' | 'adhoc' | 'rollup';
  /** The calendar day of a daily period. */
  date?: string | undefined;
  /** The first and last day of a rollup period. */
  days?: { first: string; last: string } | undefined;
  from: Nanos;
  to: Nanos;
}

/** Where a period's bundle lives: `daily/YYYY/MM/DD`, `rollup/<first>_<last>`, `adhoc/<from>_<to>` (compact UTC). */
export function bundlePath(period: PeriodPlace): string {
  if (period.kind === 'rollup' && period.days) return rollupBundlePath(period.days.first, period.days.last);
  return period.kind === 'daily' && period.date
    ? dailyBundlePath(period.date)
    : adhocBundlePath(period.from, period.to);
}

/** `daily/YYYY/MM/DD` of a calendar date (YYYY-MM-DD). */
export function dailyBundlePath(date: string): string {
  const [y, m, d] = date.split('-');
  return `${FOLDERS.daily}/${y}/${m}/${d}`;
}

/** `adhoc/20261126T05Z_20261127T05Z`: the instants in basic ISO 8601, fractions without trailing zeros. */
export function adhocBundlePath(from: Nanos, to: Nanos): string {
  return `${FOLDERS.adhoc}/${compactInstant(from)}_${compactInstant(to)}`;
}

function compactInstant(ns: Nanos): string {
  const iso = formatInstant(ns); // 2026-11-26T05:00:00.000000000Z (or an expanded year: +010000-01-01T…)
  const sign = iso.startsWith('+') || iso.startsWith('-') ? iso[0]! : '';
  const [whole, frac] = iso.slice(sign.length, -1).split('.');
  const basic = whole!.replaceAll('-', '').replaceAll(':', '');
  const trimmed = frac!.replace(/0+$/, '');
  return `${sign}${basic}${trimmed ? `.${trimmed}` : ''}Z`;
}

/** `rollup/2026-11-01_2026-11-30`: the first and last day (YYYY-MM-DD, inclusive) the rollup rests on. */
export function rollupBundlePath(first: string, last: string): string {
  return `${FOLDERS.rollup}/${first}_${last}`;
}

const ROLLUP_BUNDLE = /^rollup\/(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})$/;

/** The first and last day a rollup bundle's folder names, or null for any other path. */
export function daysOfRollupBundle(bundle: string): { first: string; last: string } | null {
  const m = ROLLUP_BUNDLE.exec(bundle);
  return m ? { first: m[1]!, last: m[2]! } : null;
}

const DAILY_BUNDLE = /^daily\/(\d{4})\/(\d{2})\/(\d{2})$/;

/** The date (YYYY-MM-DD) a daily bundle path spells, or null for any other path. Calendar days are not checked. */
export function dateOfDailyBundle(bundle: string): string | null {
  const m = DAILY_BUNDLE.exec(bundle);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : null;
}

/** The UTC day an ad-hoc bundle's period starts (`adhoc/20261126T050000Z_…` → 2026-11-26); null if it names none. */
export function adhocStartDay(bundle: string): string | null {
  const m = /^adhoc\/(\d{4})(\d{2})(\d{2})T/.exec(bundle);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : null;
}

/** The calendar day before `date` (both YYYY-MM-DD): the daily bundle a day's manifest links to first. */
export function dayBefore(date: string): string {
  const t = Date.parse(`${date}T00:00:00Z`) - 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/** Where an entry under daily/ or adhoc/ sits: its bundle folder and, unless it is that folder, its name there. */
export type EntryPlace =
  | {
      kind: 'daily';
      bundle: string;
      /** As the path spells it: not necessarily a calendar day. */
      date: string;
      name: string | undefined;
    }
  | { kind: 'adhoc' | 'rollup'; bundle: string; date: null; name: string | undefined };

// A name may hold any character a file system or S3 allows, line breaks included (`s`: `.` matches them too): a
// file in a bundle folder belongs to that bundle whatever its name, so verify names it there.
const DAILY_ENTRY = /^daily\/(\d{4})\/(\d{2})\/(\d{2})(?:\/(.+))?$/s;
const ADHOC_ENTRY = /^adhoc\/([^/]+)(?:\/(.+))?$/s;
const ROLLUP_ENTRY = /^rollup\/([^/]+)(?:\/(.+))?$/s;

/** The bundle an archive path is in, or null when in no bundle folder (`daily/2026`, `adhoc`, `rollup`, `keys/…`). */
export function placeOfEntry(path: string): EntryPlace | null {
  const day = DAILY_ENTRY.exec(path);
  if (day) {
    const date = `${day[1]}-${day[2]}-${day[3]}`;
    return { kind: 'daily', bundle: dailyBundlePath(date), date, name: day[4] };
  }
  const rollup = ROLLUP_ENTRY.exec(path);
  if (rollup) return { kind: 'rollup', bundle: `${FOLDERS.rollup}/${rollup[1]}`, date: null, name: rollup[2] };
  const adhoc = ADHOC_ENTRY.exec(path);
  return adhoc ? { kind: 'adhoc', bundle: `${FOLDERS.adhoc}/${adhoc[1]}`, date: null, name: adhoc[2] } : null;
}

const ADHOC_BUNDLE = /^adhoc\/[+-]?\d{8,}T\d{2,6}(?:\.\d{1,9})?Z_[+-]?\d{8,}T\d{2,6}(?:\.\d{1,9})?Z$/;

/**
 * Whether a bundle folder's path is one the layout writes (`daily/YYYY/MM/DD`, `adhoc/<from>_<to>` in compact
 * instants, `rollup/<first>_<last>`), whatever it holds. A folder of any other name under adhoc/ or rollup/ is
 * checked as a bundle too, and fails: `verify` names a few such folders and counts the rest.
 */
export function isLayoutBundlePath(bundle: string): boolean {
  return DAILY_BUNDLE.test(bundle) || ROLLUP_BUNDLE.test(bundle) || ADHOC_BUNDLE.test(bundle);
}

/**
 * How deep an archive is walked, in path segments below its root. The deepest the layout writes is a daily
 * bundle's receipt, `receipts/daily/YYYY/MM/DD/email-….json` (6); a folder at this depth is named, never walked
 * into, so a tree nested thousands of folders deep (or a path longer than the system allows) is a finding.
 */
export const DEEPEST_WALKED = 8;

/** Where the layout has folders above the bundles (daily, its years and months, adhoc, rollup, keys). */
export function isLayoutFolder(path: string): boolean {
  return /^(daily(\/\d{4}(\/\d{2})?)?|adhoc|rollup|keys)$/.test(path);
}

/**
 * One file per certificate, named by the key and the certificate: a renewed certificate for the same key is a new
 * file beside the old one, never a different content under an existing (locked) name.
 */
export function keyPathOf(publicKeySha256: string, certificateSha256: string): string {
  return `${FOLDERS.keys}/${publicKeySha256}-${certificateSha256}.pem`;
}

/** The key file a manifest names: one per certificate, or for a v1 manifest the one file of its key. */
export function keyPathOfManifest(manifest: {
  schema: string;
  signer: { publicKeySha256: string; certificateSha256: string };
}): string {
  const { publicKeySha256, certificateSha256 } = manifest.signer;
  return manifest.schema === MANIFEST_SCHEMA_V1
    ? `${FOLDERS.keys}/${publicKeySha256}.pem`
    : keyPathOf(publicKeySha256, certificateSha256);
}

/**
 * What a key file's name says it holds: `keys/<public key SHA-256>-<certificate SHA-256>.pem`, or, for bundles
 * sealed before one file per certificate (manifest v1), `keys/<public key SHA-256>.pem` (certificate not named).
 */
export function keyOfKeyPath(path: string): { publicKeySha256: string; certificateSha256: string | null } | null {
  const m = /^keys\/([0-9a-f]{64})(?:-([0-9a-f]{64}))?\.pem$/.exec(path);
  return m ? { publicKeySha256: m[1]!, certificateSha256: m[2] ?? null } : null;
}

/**
 * What names one delivery of a bundle's email: the archive it is in, the bundle and its set of recipients
 * (`daily/2026/11/24/email-…`). An on-demand run to other people is another delivery; a retry to the same people
 * is the same one; the same period archived in another archive is another bundle.
 */
export function deliveryKey(archiveRoot: string, bundle: string, recipients: readonly string[]): string {
  return `${bundle}/email-${shortHash([archiveRoot, bundle, ...normalized(recipients)])}`;
}

/** One receipt per bundle and set of recipients, in the bundle's archive: a retry to the same people sends not. */
export function receiptPath(bundle: string, recipients: readonly string[]): string {
  return `${FOLDERS.receipts}/${bundle}/email-${shortHash(normalized(recipients))}.json`;
}

function normalized(recipients: readonly string[]): string[] {
  return [...recipients].map((r) => r.toLowerCase()).sort();
}

function shortHash(parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16);
}
