import type { ControlInputs } from './inputs.js';
import type { Verdict } from './verdict.js';
import { plural } from './verdict.js';

/**
 * Every earlier daily bundle was signed off within the deadline, on exactly the manifest the archive holds. In a
 * rollup: every daily bundle it rests on, judged on the day the rollup was made (reviews.asOf).
 */
export function reportsReviewed({ reviews }: Pick<ControlInputs, 'reviews'>): Verdict {
  if (!reviews) return { status: 'not-applicable', detail: 'sign-offs are judged in daily reports' };
  const days = plural(reviews.deadlineDays, 'day');
  if (reviews.recordError !== null)
    return { status: 'warn', detail: `the sign-offs could not be judged: ${reviews.recordError}` };
  const mismatched = reviews.bundles.filter((b) => b.status === 'hash-mismatch');
  const overdue = reviews.bundles.filter((b) => b.status === 'overdue');
  const problems = [
    ...mismatched.map((b) => {
      const other = b.attestations.find((a) => a.manifestSha256 !== b.manifestSha256)!;
      return (
        `${b.bundle}: an attestation by ${other.by} names manifest SHA-256 ${other.manifestSha256}, ` +
        `the archived manifest's is ${b.manifestSha256}`
      );
    }),
    ...overdue.map((b) => `${b.bundle} was not reviewed within ${days} (${b.ageDays} days old)`),
  ];
  if (problems.length) return { status: 'fail', detail: problems.join('; ') };
  if (reviews.bundles.length === 0) {
    const none = reviews.asOf
      ? 'no daily bundle of the rollup is archived'
      : `no earlier daily bundle in the last ${reviews.lookbackDays} days`;
    return { status: 'pass', detail: none };
  }
  const reviewed = reviews.bundles.filter((b) => b.status === 'reviewed').length;
  const pending = reviews.bundles.filter((b) => b.status === 'not-yet-due');
  return {
    status: 'pass',
    detail:
      `${reviewed} of ${plural(reviews.bundles.length, 'earlier daily bundle')} signed off` +
      (pending.length ? `; not yet due (deadline ${days}): ${pending.map((b) => b.bundle).join(', ')}` : ''),
  };
}
