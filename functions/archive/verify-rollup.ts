/**
 * What `verify` checks of a rollup bundle beyond what every bundle gets (its manifest, signature, documents): that
 * its report.json has the shape of a rollup over the days its folder names; that every daily manifest it rests on
 * is still the one archived (read only when the rollup's own signature and report.json hold); that none of those
 * days fails verification in the same run (verify.ts); and with --recompute, the rollup re-performed from its days'
 * evidence (rollup-day.ts, analysis/rollup.ts) and compared with report.json field by field.
 */
import { z } from 'zod';
import { describeDifference, jsonDifferences, type Difference } from '../analysis/json-diff.js';
import { aggregateLimits } from '../analysis/parameters.js';
import type { RecordedReviews } from '../analysis/report-model.js';
import { buildRollupReport, MAX_DAY_PROBLEMS, type RollupDayInput, type RollupInput } from '../analysis/rollup.js';
import { plural } from '../analysis/wording.js';
import { daysFrom, MAX_ROLLUP_SPAN_DAYS, rollupPeriod } from '../config/period.js';
import { errorMessage } from '../errors.js';
import { sha256, type Manifest } from '../seal/manifest.js';
import { issueText } from '../text/zod-issue.js';
import { parseInstant } from '../time/nanos.js';
import { dailyBundlePath, dayBefore, daysOfRollupBundle, MANIFEST } from './layout.js';
import type { ArchivePort } from './port.js';
import { countedDespiteDayBefore, readRolledDay } from './rollup-day.js';
import { append } from './verify-limits.js';
import { MAX_NAMED, type RecomputeResult } from './verify-recompute.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const day = z.string().regex(DAY, 'must be a day YYYY-MM-DD');
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lower-case hex SHA-256');
const count = z.number().int().nonnegative();
/** More attestations of one daily bundle than anyone records; a bound on what a report.json can make verify hold. */
const MAX_ATTESTATIONS = 10_000;

const figuresSchema = z.looseObject({
  messages: count,
  transactions: count,
  connects: count,
  authFailures: count,
  changes: count,
  incidentsOpened: count,
  incidentsResolved: count,
  failingControls: z.array(z.string()).max(1000),
});

const rollupDaySchema = z
  .looseObject({
    date: day,
    bundle: z.string(),
    status: z.enum(['verified', 'failed', 'missing']),
    manifestSha256: sha256Hex.nullable(),
    problems: z.array(z.string()).max(MAX_DAY_PROBLEMS),
    figures: figuresSchema.nullable(),
  })
  .refine((d) => d.status !== 'verified' || (d.manifestSha256 !== null && d.figures !== null), {
    message: 'a verified day names the SHA-256 of the manifest it rests on, and its figures',
  });

const reviewsSchema = z.looseObject({
  deadlineDays: count,
  lookbackDays: count,
  asOf: day,
  recordError: z.string().nullable(),
  bundles: z
    .array(
      z.looseObject({
        bundle: z.string(),
        date: day,
        manifestSha256: sha256Hex,
        attestations: z
          .array(
            z.looseObject({
              by: z.string(),
              decision: z.string(),
              note: z.string().nullable(),
              at: z.string(),
              manifestSha256: z.string(),
            }),
          )
          .max(MAX_ATTESTATIONS),
      }),
    )
    .max(MAX_ROLLUP_SPAN_DAYS),
});

// In the order a person looks for what is wrong: the days first (zod names the issues in the order of the keys).
const rollupSectionSchema = z.looseObject({
  days: z.array(rollupDaySchema).max(MAX_ROLLUP_SPAN_DAYS),
  first: day,
  last: day,
  verified: count,
  failed: count,
  missing: count,
  reviews: reviewsSchema.optional(),
});

/** The parts of a rollup's report.json that verify reads; the rest is compared whole by --recompute. */
const rollupReportSchema = z.looseObject({ rollup: rollupSectionSchema, generatedAt: z.string() });

export type RollupSectionShape = z.output<typeof rollupSectionSchema>;

export interface ParsedRollupReport {
  /** report.json as parsed, every field: what --recompute compares. */
  json: unknown;
  generatedAt: string;
  rollup: RollupSectionShape;
}

/**
 * A rollup's report.json, checked for the shape verify relies on: a problem naming the first field that is wrong
 * (never its value) instead of an exception. Not JSON, or not an object: no problem here (checkReportJson says so).
 */
export function parseRollupReport(bytes: Uint8Array): { report: ParsedRollupReport } | { problems: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return { problems: [] };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { problems: [] };
  // Counted before anything is parsed: a list of millions of days is refused by its length alone.
  const days = (json as { rollup?: { days?: unknown } }).rollup?.days;
  if (Array.isArray(days) && days.length > MAX_ROLLUP_SPAN_DAYS) {
    return {
      problems: [
        `report.json: rollup.days lists ${days.length.toLocaleString('en-US')} days, more than a rollup may span ` +
          `(${MAX_ROLLUP_SPAN_DAYS.toLocaleString('en-US')})`,
      ],
    };
  }
  const parsed = rollupReportSchema.safeParse(json);
  if (!parsed.success) {
    const { issues } = parsed.error;
    const more = issues.length > 1 ? ` (and ${plural(issues.length - 1, 'other problem')} with its shape)` : '';
    return { problems: [`report.json: ${issueText(issues[0]!, '')}${more}`] };
  }
  return { report: { json, generatedAt: parsed.data.generatedAt, rollup: parsed.data.rollup } };
}

/**
 * The rollup section against the folder it is in (pure): its first and last day are the folder's, it lists each day
 * of them once, in order, at the day's daily bundle, its counts add up, and the sign-offs it read are of the days it
 * rests on. `usable` is false when the days are not the folder's: nothing the list names is then read.
 */
export function rollupSectionProblems(
  bundle: string,
  rollup: RollupSectionShape,
): { problems: string[]; usable: boolean } {
  const folder = daysOfRollupBundle(bundle);
  // A folder that names no days, or no real ones, is named by the placement check.
  if (!folder || !isCalendarDay(folder.first) || !isCalendarDay(folder.last) || folder.first > folder.last)
    return { problems: [], usable: false };
  const span = Math.round((Date.parse(folder.last) - Date.parse(folder.first)) / 86_400_000) + 1;
  if (span > MAX_ROLLUP_SPAN_DAYS) {
    const problem =
      `rollup: ${bundle} spans ${span.toLocaleString('en-US')} days, more than a rollup may span ` +
      `(${MAX_ROLLUP_SPAN_DAYS.toLocaleString('en-US')}): the days it lists were not read`;
    return { problems: [problem], usable: false };
  }
  const problems: string[] = [];
  if (rollup.first !== folder.first || rollup.last !== folder.last) {
    problems.push(
      `report.json: rollup.first and rollup.last are ${rollup.first} and ${rollup.last}, ` +
        `but the bundle is the rollup of ${folder.first} to ${folder.last}`,
    );
  }
  const expected = daysFrom(folder.first, folder.last);
  if (rollup.days.length !== expected.length) {
    problems.push(
      `report.json: rollup.days lists ${plural(rollup.days.length, 'day')}, ` +
        `but ${folder.first} to ${folder.last} is ${plural(expected.length, 'day')}: the days it lists were not read`,
    );
    return { problems, usable: false };
  }
  const wrong = rollup.days.findIndex((d, i) => d.date !== expected[i] || d.bundle !== dailyBundlePath(d.date));
  if (wrong >= 0) {
    const listed = rollup.days[wrong]!;
    problems.push(
      `report.json: rollup.days[${wrong}] is the day ${listed.date} at ${listed.bundle}, ` +
        `but day ${wrong + 1} of the rollup is ${expected[wrong]} at ${dailyBundlePath(expected[wrong]!)}: ` +
        'the days it lists were not read',
    );
    return { problems, usable: false };
  }
  for (const status of ['verified', 'failed', 'missing'] as const) {
    const listed = rollup.days.filter((d) => d.status === status).length;
    if (rollup[status] !== listed)
      problems.push(`report.json: rollup.${status} is ${rollup[status]}, but ${listed} days are listed ${status}`);
  }
  if (rollup.reviews) {
    // gatherRollupReviews reads the sign-offs of every day with a manifest, in day order.
    const read = rollup.reviews.bundles.map(({ bundle: b, date, manifestSha256 }) => ({
      bundle: b,
      date,
      manifestSha256,
    }));
    const days = rollup.days.flatMap((d) =>
      d.manifestSha256 === null ? [] : [{ bundle: d.bundle, date: d.date, manifestSha256: d.manifestSha256 }],
    );
    append(problems, named(jsonDifferences(read, days, 'rollup.reviews.bundles'), 'report.json', 'read', 'days'));
  }
  return { problems, usable: true };
}

/** How verify reads the daily bundles a rollup rests on: only what the archive's listing found. */
export interface RestedBundles {
  /** The bundle's manifest.json, at the version listed: its bytes, null when the archive has none, or why not. */
  manifest(bundle: string): Promise<Uint8Array | null | string>;
  /** The version of a file of the bundle that the listing found (S3). */
  versionOf(bundle: string, name: string): string | undefined;
}

/** A day a rollup counted: the daily bundle its figures rest on. */
export interface RestedDay {
  date: string;
  bundle: string;
}

/**
 * Each day the rollup counted as verified names its daily bundle's manifest by SHA-256, and that manifest must
 * still be the one archived (the daily bundle itself is checked on its own, as a day of the series).
 */
export async function checkRestedDays(
  rollup: RollupSectionShape,
  bundles: RestedBundles,
): Promise<{ problems: string[]; notes: string[]; restsOn: RestedDay[] }> {
  const problems: string[] = [];
  const restsOn: RestedDay[] = [];
  for (const d of rollup.days) {
    if (d.status !== 'verified') continue;
    restsOn.push({ date: d.date, bundle: d.bundle });
    const found = await bundles.manifest(d.bundle);
    if (found === null) problems.push(`rollup: the day ${d.date} rests on ${d.bundle}, which is not in the archive`);
    else if (typeof found === 'string') problems.push(`rollup: the day ${d.date} rests on ${d.bundle}: ${found}`);
    else if (sha256(found) !== d.manifestSha256) {
      problems.push(
        `rollup: the day ${d.date} rests on ${d.bundle}/${MANIFEST} with SHA-256 ${d.manifestSha256}, ` +
          `but the archive holds ${sha256(found)}`,
      );
    }
  }
  const notes = problems.length === 0 ? [`rests on ${restsOn.length} daily manifests, each the one archived`] : [];
  return { problems, notes, restsOn };
}

/**
 * What the days a rollup counted say in this verification (pure): a day whose bundle fails makes the rollup fail,
 * naming it, but for a day that fails only on the report of the day before, when that day fails itself (the rollup
 * counted it so: rollup-day.ts `countedDespiteDayBefore`). `outcomeOf` gives a daily bundle's problems as verified
 * in this run, 'unchecked' for one the run did not verify (outside --from/--to), undefined for one not archived.
 */
export function restedDayFindings(
  restsOn: readonly RestedDay[],
  outcomeOf: (bundle: string) => readonly string[] | 'unchecked' | undefined,
): { problems: string[]; notes: string[] } {
  const problems: string[] = [];
  const counted: string[] = [];
  let unchecked = 0;
  for (const { date, bundle } of restsOn) {
    const outcome = outcomeOf(bundle);
    if (outcome === 'unchecked') unchecked += 1;
    if (outcome === undefined || outcome === 'unchecked' || outcome.length === 0) continue;
    const before = outcomeOf(dailyBundlePath(dayBefore(date)));
    if (countedDespiteDayBefore(outcome, Array.isArray(before) && before.length > 0)) {
      counted.push(date);
      continue;
    }
    problems.push(
      `rollup: the day ${date} it rests on fails verification (${bundle}: ${plural(outcome.length, 'problem')}, ` +
        'named on that day)',
    );
  }
  const notes: string[] = [];
  if (counted.length > 0) {
    const shown = counted.slice(0, 5).join(', ') + (counted.length > 5 ? ` and ${counted.length - 5} more` : '');
    notes.push(
      `counted as the rollup counted them: ${shown}, which fail only on the report of the day before, ` +
        'which fails itself',
    );
  }
  if (unchecked > 0) {
    notes.push(
      `${plural(unchecked, 'day')} it rests on ${unchecked === 1 ? 'was' : 'were'} not verified in this run ` +
        '(outside the days asked for)',
    );
  }
  return { problems, notes };
}

/**
 * `verify --recompute` of a rollup: each day it counted is read again from the daily bundle whose manifest has the
 * SHA-256 it recorded, its evidence replayed with that day's parameters (rollup-day.ts, as `sox-report rollup` reads
 * it), and the rollup built again by the pure `buildRollupReport` with what report.json recorded besides the events
 * (its period, generatedAt, the sign-offs it read, the days it did not count, with their status and problems) and
 * the limits of its own manifest's parameters. Every field that differs from report.json is named with both values.
 */
export async function recomputeRollup(
  archive: ArchivePort,
  manifest: Manifest,
  bundle: string,
  parsed: ParsedRollupReport,
  bundles: RestedBundles,
): Promise<RecomputeResult> {
  const fail = (why: string): RecomputeResult => ({ problems: [`recompute: ${why}`], notes: [] });
  if (manifest.schema !== 'sox-report-manifest/v2')
    return fail('the rollup was sealed without its parameters (manifest v1): nothing to re-perform it with');
  const { rollup } = parsed;
  const generatedAt = parseInstant(parsed.generatedAt);
  if (generatedAt === null) return fail(`generatedAt ${JSON.stringify(parsed.generatedAt)} is not an instant`);
  let period: RollupInput['period'];
  try {
    const days = { first: rollup.first, last: rollup.last };
    period = { ...rollupPeriod({ from: days.first, to: days.last }, manifest.period.timezone), days };
  } catch (err) {
    return fail(`the period of ${bundle}: ${errorMessage(err)}`);
  }

  const problems: string[] = [];
  const days: RollupDayInput[] = [];
  for (const d of rollup.days) {
    if (d.status !== 'verified') {
      // What the rollup found of a day it did not count is kept as it recorded it.
      const { date, bundle: b, status, manifestSha256, problems: why } = d;
      days.push({ date, bundle: b, status, manifestSha256, problems: why });
      continue;
    }
    const read = await readRolledDay(archive, d.date, d.bundle, {
      manifestSha256: d.manifestSha256!,
      versionOf: (name) => bundles.versionOf(d.bundle, name),
    });
    if (read.status === 'verified') days.push(read);
    else problems.push(`recompute: the day ${d.date} (${d.bundle}) cannot be re-performed: ${read.problems[0]}`);
  }
  if (problems.length > 0) return { problems, notes: [] };

  let recomputed: unknown;
  try {
    const report = buildRollupReport({
      period,
      days,
      generatedAt,
      reviews: (rollup.reviews as RecordedReviews | undefined) ?? null,
      limits: aggregateLimits(manifest.producer.parameters),
      topN: manifest.producer.parameters.report.topN,
    });
    recomputed = JSON.parse(JSON.stringify(report));
  } catch (err) {
    // The days' report.json are anyone's who could write them: a shape the merge cannot take is a finding.
    return fail(`the rollup could not be re-performed (${errorMessage(err)})`);
  }
  const differences = jsonDifferences(parsed.json, recomputed);
  append(problems, named(differences, 'recompute', 'report', 'evidence'));
  return { problems, notes: [] };
}

/** The first MAX_NAMED differences in words, and how many more there are. */
function named(differences: Difference[], prefix: string, left: string, right: string): string[] {
  const lines = differences.slice(0, MAX_NAMED).map((d) => `${prefix}: ${describeDifference(d, left, right)}`);
  if (differences.length > MAX_NAMED) lines.push(`${prefix}: and ${differences.length - MAX_NAMED} more fields differ`);
  return lines;
}

function isCalendarDay(date: string): boolean {
  const t = Date.parse(`${date}T00:00:00Z`);
  return DAY.test(date) && !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === date;
}
