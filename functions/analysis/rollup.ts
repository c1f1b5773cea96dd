/**
 * A rollup's report, from its days (pure): the verified days' aggregates merged in day order (exact, as for
 * consecutive slices: merge-aggregates.ts), their streams joined, their controls, detections and incidents
 * gathered, and the rollup section naming every day, the bundle it rests on and whether it verified.
 */
import type { Period } from '../config/period.js';
import type { Nanos } from '../time/nanos.js';
import { emptyAggregate, type AggregateLimits, type AggregateState } from './aggregate-state.js';
import { CONTROLS } from './controls/catalogue.js';
import { reportsReviewed } from './controls/reviews.js';
import { rollupCoverage, ROLLUP_COVERAGE } from './controls/rollup-coverage.js';
import { buildReport } from './finalize.js';
import { mergeAggregates } from './merge-aggregates.js';
import { judgeReviews } from './reviews.js';
import type {
  ControlResult,
  ControlStatus,
  RecordedReviews,
  ReportIncident,
  ReportV1,
  RollupDay,
  RollupDayFigures,
  RollupSection,
  StreamCompleteness,
} from './report-model.js';

/** At most this many of a failed day's problems are kept in report.json; `verify` names them all. */
export const MAX_DAY_PROBLEMS = 10;
/** At most this many days are named in a merged control's detail. */
const NAMED_DAYS = 5;

/** A verified day: its report.json as archived, and its aggregate and streams re-performed from its evidence. */
export interface VerifiedDay {
  date: string;
  bundle: string;
  status: 'verified';
  manifestSha256: string;
  report: ReportV1;
  state: AggregateState;
  streams: StreamCompleteness[];
}

export interface UnverifiedDay {
  date: string;
  bundle: string;
  status: 'failed' | 'missing';
  manifestSha256: string | null;
  problems: string[];
}

export type RollupDayInput = VerifiedDay | UnverifiedDay;

export interface RollupInput {
  period: Period & { days: { first: string; last: string } };
  /** Every day of the period, in order. */
  days: RollupDayInput[];
  generatedAt: Nanos;
  limits: AggregateLimits;
  topN: number;
  /** The sign-offs of the rollup's daily bundles as read (in-report.ts gatherRollupReviews); absent or null: none. */
  reviews?: RecordedReviews | null;
}

export function buildRollupReport(input: RollupInput): ReportV1 {
  const verified = input.days.filter((d): d is VerifiedDay => d.status === 'verified');
  let state = emptyAggregate(input.limits);
  for (const day of verified) state = mergeAggregates(state, day.state);
  const streams = joinStreams(verified.map((d) => d.streams));
  const report = buildReport(input.period, streams, state, input.generatedAt, { topN: input.topN }, null);
  const rollup = rollupSection(input.period.days, input.days);
  const last = verified.at(-1)?.report;
  if (last?.streamSettings) report.streamSettings = last.streamSettings;
  report.incidents = gatherIncidents(verified.map((d) => d.report));
  report.detections = verified.flatMap((d) => d.report.detections ?? []);
  const coverage = rollupCoverage(rollup);
  const controls = mergeControls(verified.map((d) => ({ date: d.date, controls: d.report.controls })));
  if (input.reviews) {
    // The days' own sign-offs, judged on the day the rollup was made, instead of what each day said of its past.
    const reviews = judgeReviews(input.reviews, input.reviews.asOf!);
    const judged = { id: REPORTS_REVIEWED.id, title: REPORTS_REVIEWED.title, ...reportsReviewed({ reviews }) };
    const at = controls.findIndex((c) => c.id === REPORTS_REVIEWED.id);
    if (at >= 0) controls[at] = judged;
    else controls.push(judged);
    report.reviews = reviews;
    rollup.reviews = input.reviews;
  }
  report.controls = [{ id: ROLLUP_COVERAGE.id, title: ROLLUP_COVERAGE.title, ...coverage }, ...controls];
  report.rollup = rollup;
  return report;
}

const REPORTS_REVIEWED = CONTROLS.find((c) => c.id === 'reports-reviewed')!;

export function rollupSection(days: { first: string; last: string }, inputs: RollupDayInput[]): RollupSection {
  const list: RollupDay[] = inputs.map((d) =>
    d.status === 'verified'
      ? {
          date: d.date,
          bundle: d.bundle,
          status: 'verified',
          manifestSha256: d.manifestSha256,
          problems: [],
          figures: dayFigures(d.report),
        }
      : {
          date: d.date,
          bundle: d.bundle,
          status: d.status,
          manifestSha256: d.manifestSha256,
          problems: d.problems.slice(0, MAX_DAY_PROBLEMS),
          figures: null,
        },
  );
  const counted = (status: RollupDay['status']) => list.filter((d) => d.status === status).length;
  return {
    first: days.first,
    last: days.last,
    verified: counted('verified'),
    failed: counted('failed'),
    missing: counted('missing'),
    days: list,
  };
}

/** A day's trend figures, from its report. */
export function dayFigures(report: ReportV1): RollupDayFigures {
  return {
    messages: report.streams.reduce((n, s) => n + s.messages, 0),
    transactions: report.transactions.total,
    connects: report.connections.connects,
    authFailures: report.authFailures.total,
    changes: report.jetstreamSummary.changes,
    incidentsOpened: report.incidents.filter((i) => i.openedInPeriod).length,
    incidentsResolved: report.incidents.filter((i) => i.resolvedInPeriod).length,
    failingControls: report.controls.filter((c) => c.status === 'fail').map((c) => c.id),
  };
}

/**
 * Each stream over consecutive days: its first sequence of the first day that has one, its last of the last, the
 * messages added up, and the gaps joined (a gap at a day's edge is listed by both days: it counts once).
 */
export function joinStreams(days: StreamCompleteness[][]): StreamCompleteness[] {
  const joined = new Map<string, StreamCompleteness>();
  for (const streams of days) {
    for (const s of streams) {
      const key = `${s.source}\u0000${s.stream}`;
      const seen = joined.get(key);
      if (!seen) {
        joined.set(key, { ...s, gaps: s.gaps.map(([a, b]) => [a, b] as [number, number]) });
        continue;
      }
      seen.firstSeq ??= s.firstSeq;
      seen.firstTime ??= s.firstTime;
      if (s.lastSeq !== null) seen.lastSeq = s.lastSeq;
      if (s.lastTime !== null) seen.lastTime = s.lastTime;
      seen.messages += s.messages;
      seen.gaps = coalesce([...seen.gaps, ...s.gaps]);
    }
  }
  return [...joined.values()].map((s) => ({ ...s, missing: s.gaps.reduce((n, [a, b]) => n + (b - a + 1), 0) }));
}

function coalesce(gaps: [number, number][]): [number, number][] {
  const sorted = [...gaps].sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const prev = out.at(-1);
    if (prev && a <= prev[1] + 1) prev[1] = Math.max(prev[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** Every incident the days showed, once, as the latest day showed it; opened or resolved in it if on any day. */
export function gatherIncidents(reports: ReportV1[]): ReportIncident[] {
  const byId = new Map<string, ReportIncident>();
  for (const report of reports) {
    for (const incident of report.incidents) {
      const earlier = byId.get(incident.id);
      const opened = (earlier?.openedInPeriod ?? false) || (incident.openedInPeriod ?? false);
      const resolved = (earlier?.resolvedInPeriod ?? false) || (incident.resolvedInPeriod ?? false);
      byId.set(incident.id, { ...incident, openedInPeriod: opened, resolvedInPeriod: resolved });
    }
  }
  return [...byId.values()].sort(
    (a, b) => (a.openedAt ?? '').localeCompare(b.openedAt ?? '') || a.id.localeCompare(b.id),
  );
}

const SEVERITY: Record<ControlStatus, number> = { fail: 3, warn: 2, pass: 1, 'not-applicable': 0 };

/**
 * Each control of the daily reports over the rollup: its worst status on any verified day, and the days it failed
 * or warned on, each with what it said that day.
 */
export function mergeControls(days: { date: string; controls: ControlResult[] }[]): ControlResult[] {
  const merged = new Map<string, { title: string; days: { date: string; status: ControlStatus; detail: string }[] }>();
  for (const day of days) {
    for (const c of day.controls) {
      const entry = merged.get(c.id) ?? { title: c.title, days: [] };
      entry.days.push({ date: day.date, status: c.status, detail: c.detail });
      merged.set(c.id, entry);
    }
  }
  return [...merged].map(([id, { title, days: results }]) => {
    const status = results.reduce<ControlStatus>(
      (worst, r) => (SEVERITY[r.status] > SEVERITY[worst] ? r.status : worst),
      'not-applicable',
    );
    const counts = (['pass', 'fail', 'warn', 'not-applicable'] as const)
      .map((s) => [s, results.filter((r) => r.status === s).length] as const)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${s} on ${n} ${n === 1 ? 'day' : 'days'}`);
    const exceptions = results.filter((r) => r.status === 'fail' || r.status === 'warn');
    const named = exceptions.slice(0, NAMED_DAYS).map((r) => `${r.date} ${r.status}: ${r.detail}`);
    if (exceptions.length > NAMED_DAYS) named.push(`and ${exceptions.length - NAMED_DAYS} more days`);
    return { id, title, status, detail: [counts.join(', '), ...named].join('; ') };
  });
}
