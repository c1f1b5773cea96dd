import { describe, expect, it } from 'vitest';
import { addMessage } from '../../../functions/analysis/add-event.js';
import { DEFAULT_LIMITS, emptyAggregate, type AggregateState } from '../../../functions/analysis/aggregate-state.js';
import { rollupCoverage } from '../../../functions/analysis/controls/rollup-coverage.js';
import { buildReport } from '../../../functions/analysis/finalize.js';
import type { ReportIncident, ReportV1, StreamCompleteness } from '../../../functions/analysis/report-model.js';
import {
  buildRollupReport,
  joinStreams,
  mergeControls,
  rollupSection,
  type RollupDayInput,
} from '../../../functions/analysis/rollup.js';
import { dailyPeriod, rollupPeriod } from '../../../functions/config/period.js';
import type { RawMessage } from '../../../functions/events/types.js';
import { allCapturedMessages } from '../../support/fixtures.js';

const OPTIONS = { ownConsumerPrefix: 'sox_report_' };
const GENERATED = 1_800_000_000_000_000_000n;
const DATES = ['2026-11-24', '2026-11-25', '2026-11-26'];
const SHA = (n: number) => String(n).repeat(64);

function aggregate(messages: RawMessage[]): AggregateState {
  const state = emptyAggregate(DEFAULT_LIMITS);
  for (const m of messages) addMessage(state, m, OPTIONS);
  return state;
}

const stream = (firstSeq: number | null, lastSeq: number | null, messages: number, gaps: [number, number][]) =>
  ({
    source: 'hub',
    stream: 'SYS_EVENTS',
    kind: 'system-events',
    firstSeq,
    lastSeq,
    messages,
    gaps,
    missing: gaps.reduce((n, [a, b]) => n + b - a + 1, 0),
    firstTime: firstSeq === null ? null : `t${firstSeq}`,
    lastTime: lastSeq === null ? null : `t${lastSeq}`,
  }) satisfies StreamCompleteness;

const incident = (id: string, fields: Partial<ReportIncident>): ReportIncident => ({
  id,
  rule: 'unknown-user',
  severity: 'high',
  status: 'open',
  summary: `incident ${id}`,
  ...fields,
});

describe('rollupCoverage', () => {
  const day = (date: string, status: 'verified' | 'failed' | 'missing'): RollupDayInput =>
    status === 'verified'
      ? ({ date, bundle: `daily/${date}`, status, manifestSha256: SHA(1), report: {} as ReportV1 } as RollupDayInput)
      : { date, bundle: `daily/${date}`, status, manifestSha256: null, problems: ['why'] };

  it('passes when every day verified', () => {
    const section = { ...rollupSection({ first: DATES[0]!, last: DATES[2]! }, []), verified: 3 };
    section.days = DATES.map((date) => ({
      date,
      bundle: `daily/${date}`,
      status: 'verified' as const,
      manifestSha256: SHA(1),
      problems: [],
      figures: null,
    }));
    expect(rollupCoverage(section)).toEqual({ status: 'pass', detail: 'all 3 days rest on a verified daily bundle' });
  });

  it('fails naming each day missing or failed', () => {
    const section = rollupSection({ first: DATES[0]!, last: DATES[2]! }, [
      day(DATES[0]!, 'missing'),
      day(DATES[1]!, 'failed'),
      day(DATES[2]!, 'missing'),
    ]);
    expect(section).toMatchObject({ verified: 0, failed: 1, missing: 2 });
    expect(rollupCoverage(section)).toEqual({
      status: 'fail',
      detail:
        '1 day failed verification (2026-11-25); 2 days missing (2026-11-24, 2026-11-26); ' +
        '0 of 3 days counted in the figures',
    });
  });
});

describe('joinStreams', () => {
  it('joins consecutive days: sequences, messages, and a gap at a day edge counted once', () => {
    expect(
      joinStreams([[stream(1, 10, 9, [[4, 4]])], [stream(null, null, 0, [])], [stream(13, 20, 8, [[11, 12]])]]),
    ).toEqual([
      {
        ...stream(1, 20, 17, [
          [4, 4],
          [11, 12],
        ]),
      },
    ]);
    expect(joinStreams([[stream(1, 10, 10, [[11, 12]])], [stream(13, 20, 8, [[11, 12]])]])).toEqual([
      { ...stream(1, 20, 18, [[11, 12]]) },
    ]);
  });
});

describe('mergeControls', () => {
  it('takes the worst status of each control and names the days it failed or warned', () => {
    expect(
      mergeControls([
        { date: DATES[0]!, controls: [{ id: 'a', title: 'A', status: 'pass', detail: 'fine' }] },
        { date: DATES[1]!, controls: [{ id: 'a', title: 'A', status: 'fail', detail: 'gap 4-5' }] },
        { date: DATES[2]!, controls: [{ id: 'a', title: 'A', status: 'warn', detail: 'not read' }] },
      ]),
    ).toEqual([
      {
        id: 'a',
        title: 'A',
        status: 'fail',
        detail: 'pass on 1 day, fail on 1 day, warn on 1 day; 2026-11-25 fail: gap 4-5; 2026-11-26 warn: not read',
      },
    ]);
  });
});

describe('buildRollupReport', () => {
  // The captured events of a real nats-server in stored-time order, cut into three "days".
  const messages = allCapturedMessages('2.10.27').sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  const cuts = [0, 25, 60, messages.length];
  const slices = DATES.map((_, i) => messages.slice(cuts[i], cuts[i + 1]));
  const period = rollupPeriod({ from: DATES[0], to: DATES[2] }, 'UTC') as ReturnType<typeof rollupPeriod> & {
    days: { first: string; last: string };
  };
  const dayInputs = (): RollupDayInput[] =>
    slices.map((slice, i) => {
      const report = buildReport(dailyPeriod(DATES[i]!, 'UTC'), [], aggregate(slice), GENERATED, { topN: 50 });
      report.controls = [
        { id: 'audit-completeness', title: 'Audit', status: i === 1 ? 'fail' : 'pass', detail: `day ${i}` },
      ];
      report.incidents =
        i === 0
          ? [incident('INC-1', { openedAt: 'a', openedInPeriod: true })]
          : i === 2
            ? [incident('INC-1', { status: 'resolved', openedAt: 'a', openedInPeriod: false, resolvedInPeriod: true })]
            : [];
      return {
        date: DATES[i]!,
        bundle: `daily/${DATES[i]!.replaceAll('-', '/')}`,
        status: 'verified',
        manifestSha256: SHA(i + 1),
        report,
        state: aggregate(slice),
        streams: [],
      };
    });

  it('has the figures of all the days read as one period', () => {
    const whole = buildReport(period, [], aggregate(messages), GENERATED, { topN: 50 });
    const rolled = buildRollupReport({
      period,
      days: dayInputs(),
      generatedAt: GENERATED,
      limits: DEFAULT_LIMITS,
      topN: 50,
    });
    expect(whole.transactions.total).toBeGreaterThan(0);
    expect(whole.connections.connects).toBeGreaterThan(0);
    for (const field of [
      'connections',
      'authFailures',
      'transactions',
      'jetstreamSummary',
      'jetstreamChanges',
    ] as const)
      expect(rolled[field]).toEqual(whole[field]);
    expect(rolled.period).toEqual({ ...whole.period, kind: 'rollup' });
    expect(rolled.transactions.total).toBe(
      dayInputs().reduce((n, d) => n + (d.status === 'verified' ? d.report.transactions.total : 0), 0),
    );
    expect(rolled.controls.map((c) => [c.id, c.status])).toEqual([
      ['rollup-coverage', 'pass'],
      ['audit-completeness', 'fail'],
    ]);
    expect(rolled.incidents).toEqual([
      incident('INC-1', { status: 'resolved', openedAt: 'a', openedInPeriod: true, resolvedInPeriod: true }),
    ]);
    expect(rolled.rollup!.days.map((d) => [d.date, d.status, d.manifestSha256, d.figures?.failingControls])).toEqual([
      ['2026-11-24', 'verified', SHA(1), []],
      ['2026-11-25', 'verified', SHA(2), ['audit-completeness']],
      ['2026-11-26', 'verified', SHA(3), []],
    ]);
  });

  it('leaves a failed day out of the figures, names it, and fails coverage', () => {
    const days = dayInputs();
    days[1] = {
      date: DATES[1]!,
      bundle: 'daily/2026/11/25',
      status: 'failed',
      manifestSha256: SHA(2),
      problems: ['report.json: SHA-256 is x, the manifest says y'],
    };
    const rolled = buildRollupReport({ period, days, generatedAt: GENERATED, limits: DEFAULT_LIMITS, topN: 50 });
    const without = buildReport(period, [], aggregate([...slices[0]!, ...slices[2]!]), GENERATED, { topN: 50 });
    expect(rolled.transactions).toEqual(without.transactions);
    expect(rolled.controls[0]).toEqual({
      id: 'rollup-coverage',
      title: 'Every day of the rollup rests on a verified daily bundle',
      status: 'fail',
      detail: '1 day failed verification (2026-11-25); 2 of 3 days counted in the figures',
    });
    expect(rolled.rollup!.days[1]).toEqual({
      date: '2026-11-25',
      bundle: 'daily/2026/11/25',
      status: 'failed',
      manifestSha256: SHA(2),
      problems: ['report.json: SHA-256 is x, the manifest says y'],
      figures: null,
    });
  });
});
