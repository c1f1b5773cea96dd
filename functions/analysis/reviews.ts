/**
 * The sign-offs of earlier daily bundles as a report judges them (pure): each bundle is reviewed when an attestation
 * names its archived manifest's SHA-256, overdue when it is older than the deadline without one, and a hash mismatch
 * when an attestation names other bytes than the archived manifest's.
 */
import type { RecordedReviews, ReportReviews, ReviewStatus } from './report-model.js';

const DAY_MS = 86_400_000;

/** Whole calendar days from `from` to `to` (both YYYY-MM-DD). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** The `count` calendar days before `date`, newest first: the days whose bundles a daily report looks back on. */
export function earlierDays(date: string, count: number): string[] {
  const start = Date.parse(`${date}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => new Date(start - (i + 1) * DAY_MS).toISOString().slice(0, 10));
}

export function judgeReviews(recorded: RecordedReviews, reportDate: string): ReportReviews {
  const bundles = recorded.bundles.map((b) => {
    const ageDays = daysBetween(b.date, reportDate);
    const matching = b.attestations.filter((a) => a.manifestSha256 === b.manifestSha256);
    let status: ReviewStatus;
    if (matching.length < b.attestations.length) status = 'hash-mismatch';
    else if (matching.length > 0) status = 'reviewed';
    else status = ageDays > recorded.deadlineDays ? 'overdue' : 'not-yet-due';
    return {
      bundle: b.bundle,
      date: b.date,
      ageDays,
      status,
      manifestSha256: b.manifestSha256,
      attestations: b.attestations,
    };
  });
  return {
    deadlineDays: recorded.deadlineDays,
    lookbackDays: recorded.lookbackDays,
    ...(recorded.asOf === undefined ? {} : { asOf: recorded.asOf }),
    recordError: recorded.recordError,
    bundles,
    notReviewed: bundles.filter((b) => b.attestations.length === 0).map((b) => b.bundle),
  };
}
