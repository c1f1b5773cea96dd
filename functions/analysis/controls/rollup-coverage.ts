/**
 * The control of a rollup (never of a daily report): every day of the period rests on a daily bundle that was
 * verified (signatures, hashes, chain, its report re-performed from its evidence). A day missing or failing is
 * named; the rollup is still produced, without that day's figures.
 */
import type { RollupSection } from '../report-model.js';
import { plural, type Verdict } from './verdict.js';

/** At most this many days are named in the detail; the counts are exact. */
const NAMED_DAYS = 10;

export const ROLLUP_COVERAGE = {
  id: 'rollup-coverage',
  title: 'Every day of the rollup rests on a verified daily bundle',
  objective: 'Record timelines',
  evidence:
    'each daily bundle of the period: its manifest signature, the SHA-256 of every file, the chain of manifests, ' +
    'and its report re-performed from its evidence file',
  passes: 'every day of the period has a daily bundle and every one verified',
  fails: 'a day has no daily bundle, or its bundle fails verification (each such day is named)',
  warns: null,
} as const;

export function rollupCoverage(rollup: RollupSection): Verdict {
  const total = rollup.days.length;
  const missing = rollup.days.filter((d) => d.status === 'missing').map((d) => d.date);
  const failed = rollup.days.filter((d) => d.status === 'failed').map((d) => d.date);
  if (missing.length === 0 && failed.length === 0) {
    return { status: 'pass', detail: `all ${plural(total, 'day')} rest on a verified daily bundle` };
  }
  const parts: string[] = [];
  if (failed.length > 0) parts.push(`${plural(failed.length, 'day')} failed verification (${named(failed)})`);
  if (missing.length > 0) parts.push(`${plural(missing.length, 'day')} missing (${named(missing)})`);
  return {
    status: 'fail',
    detail: `${parts.join('; ')}; ${rollup.verified} of ${total} days counted in the figures`,
  };
}

function named(dates: string[]): string {
  const shown = dates.slice(0, NAMED_DAYS).join(', ');
  return dates.length > NAMED_DAYS ? `${shown} and ${dates.length - NAMED_DAYS} more` : shown;
}
