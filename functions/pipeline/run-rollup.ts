/**
 * A rollup (sox-report rollup): a period of whole days built from the sealed daily bundles alone, never from NATS
 * (only the days' sign-offs are read from the attestation record).
 * Each day is verified first (archive/verify.ts with --recompute: signatures, hashes, chain, the report re-performed
 * from its evidence), trusting only the key the rollup signs with; each verified day is counted from the bytes that
 * verification read, and only when its period is the day in the rollup's time zone (rollup-day-checks.ts); its
 * evidence is replayed into its aggregate, and the pure stage (analysis/rollup.ts) merges them in day order. A day
 * missing or failing (signed by another key, changed since it was verified, a day of another zone) is named and
 * fails rollup-coverage; the rollup is still produced. The sign-offs of its daily bundles are read from the
 * attestation record (recorded in rollup.reviews) and judged by reports-reviewed. It is rendered, sealed, signed
 * and archived as the dailies are, at rollup/<first>_<last>, emailed as a daily is (once per recipient list), and
 * is signed off itself with `sox-report attest --rollup <first>_<last>`. A rollup run that stopped part-way is
 * completed as a daily is (pipeline/run-report.ts `runBundle`): what it stored is locked for years, so the rollup
 * could never be redone there.
 */
import { DateTime } from 'luxon';
import { aggregateLimits, reportParameters } from '../analysis/parameters.js';
import { buildRollupReport, MAX_DAY_PROBLEMS, type RollupDayInput } from '../analysis/rollup.js';
import { dailyBundlePath, dayBefore, MANIFEST, MANIFEST_SIG } from '../archive/layout.js';
import type { ArchivePort } from '../archive/port.js';
import { countedDespiteDayBefore, readRolledDay } from '../archive/rollup-day.js';
import { verifyArchive, type VerifyEntry } from '../archive/verify.js';
import { gatherRollupReviews } from '../attest/in-report.js';
import { capProblems, readLimitOf } from '../archive/verify-limits.js';
import { daysFrom, type Period } from '../config/period.js';
import type { Config } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import { parseManifest, sha256 } from '../seal/manifest.js';
import { producerOf } from '../seal/producer.js';
import { millisFromNanos } from '../time/nanos.js';
import type { Ports, RunOptions, RunResult } from './contracts.js';
import { reportJsonBytes, type Documents } from './documents.js';
import { dayManifestProblems, trustedKeysOf, untrustedSigner, type TrustedKeys } from './rollup-day-checks.js';
import { runBundle } from './run-report.js';
import { recordReads, type VerifiedReads } from './verified-reads.js';

export type RollupPeriod = Period & { kind: 'rollup'; days: { first: string; last: string } };

export async function runRollup(
  config: Config,
  period: RollupPeriod,
  ports: Ports,
  options: RunOptions = {},
): Promise<RunResult> {
  // Emailed like a daily: once per recipient list, a receipt archived after sending (receipts/rollup/…).
  return runBundle(config, period, ports, options, 'rollup', () => rollupDocuments(config, period, ports));
}

/** The rollup's report from its verified days; it rests on their evidence, so it has no evidence file of its own. */
async function rollupDocuments(config: Config, period: RollupPeriod, ports: Ports): Promise<Documents> {
  const days = await rollupDays(ports, period);
  const parameters = reportParameters(config);
  const generatedAt = ports.now();
  // The days' sign-offs, judged on the day (in the configured zone) the rollup is made.
  const asOf = DateTime.fromMillis(millisFromNanos(generatedAt), { zone: config.timezone }).toISODate()!;
  const report = buildRollupReport({
    period,
    days,
    generatedAt,
    reviews: await gatherRollupReviews(config, ports, days, asOf),
    limits: aggregateLimits(parameters),
    topN: parameters.report.topN,
  });
  return {
    report,
    reportJson: reportJsonBytes(report),
    evidence: null,
    producer: producerOf(config, [], parameters),
    chainLink: null,
    discard: () => Promise.resolve(),
  };
}

/**
 * Every day of the rollup: verified (with its aggregate re-performed from its evidence), failed or missing. Only
 * days signed by the key the rollup signs with count (a renewed certificate of it is the same key); the bytes a day
 * is counted from are those verification read; and its period must be the day in the rollup's time zone.
 */
async function rollupDays(ports: Ports, period: RollupPeriod): Promise<RollupDayInput[]> {
  const { first, last } = period.days;
  const trusted = trustedKeysOf(ports.signer);
  const reads = recordReads(ports.archive);
  const verified = await verifyArchive(reads.archive, {
    from: first,
    to: last,
    recompute: true,
    // The rollups already archived in the span are not what this one rests on: not re-performed here.
    dailiesOnly: true,
    trust: { pems: [ports.signer.publicKeyPem] },
    now: new Date(millisFromNanos(ports.now())),
  });
  for (const problem of capProblems(verified.problems)) ports.log(`verify: ${problem}`);
  const entries = new Map<string, VerifyEntry>();
  for (const entry of verified.entries) {
    if (entry.kind !== 'daily' || entry.date === null) continue;
    const dates = entry.lastDate ? daysFrom(entry.date, entry.lastDate) : [entry.date];
    for (const date of dates) entries.set(date, entry);
  }
  const context: DayContext = { archive: ports.archive, reads, trusted, timezone: period.timezone };
  const days: RollupDayInput[] = [];
  for (const date of daysFrom(first, last)) {
    const bundle = dailyBundlePath(date);
    const entry = entries.get(date);
    const before = entries.get(dayBefore(date));
    if (entry && entry.status === 'fail' && countedDespiteDayBefore(entry.problems, before?.ok === false)) {
      // The day itself holds: what failed is the day before's report, which is named as failing on its own.
      ports.log(
        `${date}: its only problem is the report of ${dayBefore(date)}, which failed verification itself: counted`,
      );
      days.push(await verifiedDay(context, date, bundle));
    } else if (!entry || entry.status === 'missing') {
      days.push({ date, bundle, status: 'missing', manifestSha256: null, problems: ['no daily bundle for the day'] });
    } else if (!entry.ok) {
      days.push(await failedDay(context, date, bundle, entry.problems));
    } else {
      days.push(await verifiedDay(context, date, bundle));
    }
  }
  for (const line of dayStatusLines(days)) ports.log(line);
  return days;
}

/** A line a day, but a run of missing days in one line: a rollup over years without dailies says so in a few. */
export function dayStatusLines(days: readonly Pick<RollupDayInput, 'date' | 'status'>[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < days.length; i++) {
    const day = days[i]!;
    let last = i;
    while (day.status === 'missing' && days[last + 1]?.status === 'missing') last += 1;
    lines.push(
      last === i ? `${day.date}: ${day.status}` : `${day.date} to ${days[last]!.date}: missing (${last - i + 1} days)`,
    );
    i = last;
  }
  return lines;
}

interface DayContext {
  /** The archive itself: what verification read is read again at the version it read. */
  archive: ArchivePort;
  reads: VerifiedReads;
  trusted: TrustedKeys;
  /** The rollup's time zone. */
  timezone: string;
}

/** Reads a file of a day's bundle at the version verification read (S3), within its cap. */
function readAsVerified(context: DayContext, path: string): Promise<Uint8Array | null> {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return context.archive.read(path, { maxBytes: readLimitOf(name)!, ...context.reads.versionOf(path) });
}

/**
 * A day that failed verification, with the SHA-256 of its manifest (as verification read it, when it read one) and,
 * first, that it is signed by a key the rollup does not trust when its manifest says so.
 */
async function failedDay(
  context: DayContext,
  date: string,
  bundle: string,
  problems: readonly string[],
): Promise<RollupDayInput> {
  const path = `${bundle}/${MANIFEST}`;
  const bytes = await readAsVerified(context, path).catch(() => null);
  let signer: string | null = null;
  try {
    if (bytes !== null) signer = untrustedSigner(parseManifest(bytes).signer, context.trusted);
  } catch {
    // An unreadable manifest is among the problems verification named.
  }
  const seen = [...new Set(context.reads.sha256Of(path))];
  return {
    date,
    bundle,
    status: 'failed',
    manifestSha256: seen.length === 1 ? seen[0]! : bytes === null ? null : sha256(bytes),
    problems: [...(signer ? [signer] : []), ...problems].slice(0, MAX_DAY_PROBLEMS),
  };
}

/**
 * A day that verified, read again for its figures: the manifest must be the bytes verification read, signed by a
 * trusted key, for the rollup's day (rollup-day-checks.ts); then the day is read as `verify --recompute` reads a
 * rollup's day (archive/rollup-day.ts: report.json and the evidence the bytes that manifest lists, each at the
 * version verification read, the evidence replayed with the parameters the day was produced with).
 */
async function verifiedDay(context: DayContext, date: string, bundle: string): Promise<RollupDayInput> {
  let manifestSha256: string | null = null;
  let manifestBytes: Uint8Array | null = null;
  const failed = (...problems: string[]): RollupDayInput => ({
    date,
    bundle,
    status: 'failed',
    manifestSha256,
    problems: problems.slice(0, MAX_DAY_PROBLEMS),
  });
  try {
    manifestBytes = await readAsVerified(context, `${bundle}/${MANIFEST}`);
    if (manifestBytes === null) return failed(`${MANIFEST}: gone after the day was verified`);
    manifestSha256 = sha256(manifestBytes);
    const problems = dayManifestProblems({
      date,
      timezone: context.timezone,
      bytes: manifestBytes,
      manifest: parseManifest(manifestBytes),
      signature: await readAsVerified(context, `${bundle}/${MANIFEST_SIG}`),
      verifiedSha256: context.reads.sha256Of(`${bundle}/${MANIFEST}`),
      trusted: context.trusted,
    });
    if (problems.length > 0) return failed(...problems);
  } catch (err) {
    return failed(`cannot be read for the rollup (${errorMessage(err)})`);
  }
  return readRolledDay(context.archive, date, bundle, {
    manifestBytes,
    versionOf: (name) => context.reads.versionOf(`${bundle}/${name}`).versionId,
  });
}
