/**
 * A rollup (sox-report rollup): a period of whole days built from the sealed daily bundles alone, never from NATS
 * (only the days' sign-offs are read from the attestation record).
 * Each day is verified first (archive/verify.ts with --recompute: signatures, hashes, chain, the report re-performed
 * from its evidence); each verified day's evidence is replayed into its aggregate, and the pure stage
 * (analysis/rollup.ts) merges them in day order. A day missing or failing is named and fails rollup-coverage;
 * the rollup is still produced. The sign-offs of its daily bundles are read from the attestation record (recorded in
 * rollup.reviews) and judged by reports-reviewed. It is rendered, sealed, signed and archived as the dailies are, at
 * rollup/<first>_<last>, emailed as a daily is (once per recipient list), and is signed off itself with
 * `sox-report attest --rollup <first>_<last>`. A rollup run that stopped part-way is completed as a daily is
 * (pipeline/run-report.ts `runBundle`): what it stored is locked for years, so the rollup could never be redone there.
 */
import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import { aggregateLimits, reportParameters } from '../analysis/parameters.js';
import type { ReportV1 } from '../analysis/report-model.js';
import { buildRollupReport, MAX_DAY_PROBLEMS, type RollupDayInput } from '../analysis/rollup.js';
import { dailyBundlePath, dayBefore, isEvidenceFile, MANIFEST, REPORT_JSON } from '../archive/layout.js';
import type { ArchivePort } from '../archive/port.js';
import { verifyArchive, type VerifyEntry } from '../archive/verify.js';
import { gatherRollupReviews } from '../attest/in-report.js';
import { readLimitOf } from '../archive/verify-limits.js';
import { daysFrom, type Period } from '../config/period.js';
import type { Config } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import { replayEvidence } from '../evidence/replay-evidence.js';
import { parseManifest, sha256 } from '../seal/manifest.js';
import { producerOf } from '../seal/producer.js';
import { millisFromNanos } from '../time/nanos.js';
import type { Ports, RunOptions, RunResult } from './contracts.js';
import { reportJsonBytes, type Documents } from './documents.js';
import { runBundle } from './run-report.js';

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
  const days = await rollupDays(ports, period.days.first, period.days.last);
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

/** Every day of the rollup: verified (with its aggregate re-performed from its evidence), failed or missing. */
async function rollupDays(ports: Ports, first: string, last: string): Promise<RollupDayInput[]> {
  const verified = await verifyArchive(ports.archive, {
    from: first,
    to: last,
    recompute: true,
    now: new Date(millisFromNanos(ports.now())),
  });
  for (const problem of verified.problems) ports.log(`verify: ${problem}`);
  const entries = new Map<string, VerifyEntry>();
  for (const entry of verified.entries) {
    if (entry.kind !== 'daily' || entry.date === null) continue;
    const dates = entry.lastDate ? daysFrom(entry.date, entry.lastDate) : [entry.date];
    for (const date of dates) entries.set(date, entry);
  }
  const days: RollupDayInput[] = [];
  for (const date of daysFrom(first, last)) {
    const bundle = dailyBundlePath(date);
    const entry = entries.get(date);
    const before = entries.get(dayBefore(date));
    if (entry && !entry.ok && before && !before.ok && onlyPreviousReport(entry)) {
      // The day itself holds: what failed is the day before's report, which is named as failing on its own.
      ports.log(
        `${date}: its only problem is the report of ${dayBefore(date)}, which failed verification itself: counted`,
      );
      days.push(await verifiedDay(ports.archive, date, bundle));
    } else if (!entry || entry.status === 'missing') {
      days.push({ date, bundle, status: 'missing', manifestSha256: null, problems: ['no daily bundle for the day'] });
    } else if (!entry.ok) {
      const manifestSha256 = await manifestSha(ports.archive, bundle);
      days.push({
        date,
        bundle,
        status: 'failed',
        manifestSha256,
        problems: entry.problems.slice(0, MAX_DAY_PROBLEMS),
      });
    } else {
      days.push(await verifiedDay(ports.archive, date, bundle));
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

/** Every problem is about the previous report as recorded against the one archived (verify-recompute.ts). */
function onlyPreviousReport(entry: VerifyEntry): boolean {
  return entry.status === 'fail' && entry.problems.every((p) => p.startsWith('recompute: inputs.previous.'));
}

async function manifestSha(archive: ArchivePort, bundle: string): Promise<string | null> {
  const bytes = await archive.read(`${bundle}/${MANIFEST}`, { maxBytes: readLimitOf(MANIFEST)! }).catch(() => null);
  return bytes === null ? null : sha256(bytes);
}

/**
 * A day that verified, read again for its figures: the manifest, report.json and evidence must be the bytes the
 * manifest lists (the archive could have changed since it was verified), and the evidence is replayed with the
 * parameters the day was produced with.
 */
async function verifiedDay(archive: ArchivePort, date: string, bundle: string): Promise<RollupDayInput> {
  let manifestSha256: string | null = null;
  const failed = (why: string): RollupDayInput => ({ date, bundle, status: 'failed', manifestSha256, problems: [why] });
  try {
    const manifestBytes = await archive.read(`${bundle}/${MANIFEST}`, { maxBytes: readLimitOf(MANIFEST)! });
    if (manifestBytes === null) return failed(`${MANIFEST}: gone after the day was verified`);
    manifestSha256 = sha256(manifestBytes);
    const manifest = parseManifest(manifestBytes);
    if (manifest.schema !== 'sox-report-manifest/v2')
      return failed('sealed before evidence files existed (manifest v1): its figures cannot be merged exactly');
    const reportArtifact = manifest.artifacts.find((a) => a.path === REPORT_JSON);
    const evidenceArtifact = manifest.artifacts.find((a) => isEvidenceFile(a.path));
    if (!reportArtifact || !evidenceArtifact) return failed(`${MANIFEST}: lists no report.json or no evidence file`);
    const reportBytes = await archive.read(`${bundle}/${REPORT_JSON}`, { maxBytes: readLimitOf(REPORT_JSON)! });
    if (reportBytes === null || sha256(reportBytes) !== reportArtifact.sha256)
      return failed(`${REPORT_JSON}: changed after the day was verified`);
    const hash = createHash('sha256');
    let bytes = 0;
    async function* hashed(): AsyncIterable<Uint8Array> {
      for await (const chunk of archive.readStream(`${bundle}/${evidenceArtifact!.path}`)) {
        hash.update(chunk);
        bytes += chunk.length;
        yield chunk;
      }
    }
    const replayed = await replayEvidence(hashed(), manifest.producer.parameters);
    if (bytes !== evidenceArtifact.bytes || hash.digest('hex') !== evidenceArtifact.sha256)
      return failed(`${evidenceArtifact.path}: changed after the day was verified`);
    if (replayed.problems.length > 0) return failed(replayed.problems[0]!);
    const report = JSON.parse(new TextDecoder().decode(reportBytes)) as ReportV1;
    return {
      date,
      bundle,
      status: 'verified',
      manifestSha256,
      report,
      state: replayed.state,
      streams: replayed.streams,
    };
  } catch (err) {
    return failed(`cannot be read for the rollup (${errorMessage(err)})`);
  }
}
