import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENV } from '../../../functions/handlers/environment.js';
import { createRollupHandler, type RollupResult } from '../../../functions/handlers/rollup.js';
import {
  MAX_ROLLUP_DAYS,
  parseRollupEvent,
  rollupPeriodOf,
  scheduledRollupRequest,
} from '../../../functions/handlers/rollup-payload.js';
import { formatInstant } from '../../../functions/time/nanos.js';
import {
  captureOutput,
  handlerDeps,
  lambdaConfigDocument,
  lambdaContext,
  mockedClients,
  type MockedClients,
} from '../../support/lambda-fakes.js';

const NY = 'America/New_York';
const at = (iso: string) => Date.parse(iso);
/** The period a schedule event names, as the handler computes it. */
function scheduled(schedule: 'monthly' | 'quarterly', scheduledTime: string, timezone = NY, now = scheduledTime) {
  const period = rollupPeriodOf(scheduledRollupRequest(schedule, at(scheduledTime), timezone), timezone, at(now));
  return { days: period.days, from: formatInstant(period.from), to: formatInstant(period.to), kind: period.kind };
}

describe('a rollup schedule event names the month or quarter that ended last before it fired', () => {
  it('monthly: the month before the one it fires in, midnight to midnight in the configured zone', () => {
    expect(scheduled('monthly', '2026-12-02T11:00:00Z')).toEqual({
      days: { first: '2026-11-01', last: '2026-11-30' },
      // New York leaves daylight time on 1 November: the month starts at 04:00Z and ends at 05:00Z.
      from: '2026-11-01T04:00:00.000000000Z',
      to: '2026-12-01T05:00:00.000000000Z',
      kind: 'rollup',
    });
    // January names December of the year before; March names February, 28 days (2026 is no leap year).
    expect(scheduled('monthly', '2027-01-02T11:00:00Z').days).toEqual({ first: '2026-12-01', last: '2026-12-31' });
    expect(scheduled('monthly', '2026-03-02T11:00:00Z').days).toEqual({ first: '2026-02-01', last: '2026-02-28' });
    expect(scheduled('monthly', '2028-03-01T06:00:00Z').days).toEqual({ first: '2028-02-01', last: '2028-02-29' });
  });

  it('quarterly: the quarter before the one it fires in, across a year end', () => {
    expect(scheduled('quarterly', '2027-01-02T11:00:00Z')).toEqual({
      days: { first: '2026-10-01', last: '2026-12-31' },
      from: '2026-10-01T04:00:00.000000000Z',
      to: '2027-01-01T05:00:00.000000000Z',
      kind: 'rollup',
    });
    expect(scheduled('quarterly', '2026-04-02T10:00:00Z').days).toEqual({ first: '2026-01-01', last: '2026-03-31' });
    expect(scheduled('quarterly', '2026-07-02T10:00:00Z').days).toEqual({ first: '2026-04-01', last: '2026-06-30' });
    expect(scheduled('quarterly', '2026-10-02T10:00:00Z').days).toEqual({ first: '2026-07-01', last: '2026-09-30' });
  });

  it('in the configured zone: the same instant is still the old month in New York and the new one in Tokyo', () => {
    // 2026-12-01T03:00Z is 30 November 22:00 in New York (November has not ended) and 1 December 12:00 in Tokyo.
    expect(scheduled('monthly', '2026-12-01T03:00:00Z', NY).days).toEqual({ first: '2026-10-01', last: '2026-10-31' });
    expect(scheduled('monthly', '2026-12-01T03:00:00Z', 'Asia/Tokyo')).toEqual({
      days: { first: '2026-11-01', last: '2026-11-30' },
      from: '2026-10-31T15:00:00.000000000Z',
      to: '2026-11-30T15:00:00.000000000Z',
      kind: 'rollup',
    });
    // The first second of the quarter in the zone already names the quarter that just ended.
    expect(scheduled('quarterly', '2026-10-01T04:00:00Z', NY).days).toEqual({
      first: '2026-07-01',
      last: '2026-09-30',
    });
    expect(scheduled('quarterly', '2026-10-01T03:59:59Z', NY).days).toEqual({
      first: '2026-04-01',
      last: '2026-06-30',
    });
  });

  it('fired late (a retry days later) still names the period of its scheduled time, not of the clock', () => {
    expect(scheduled('monthly', '2026-12-02T11:00:00Z', NY, '2027-01-05T09:00:00Z').days).toEqual({
      first: '2026-11-01',
      last: '2026-11-30',
    });
    expect(scheduled('quarterly', '2027-01-02T11:00:00Z', NY, '2027-04-09T09:00:00Z').days).toEqual({
      first: '2026-10-01',
      last: '2026-12-31',
    });
  });

  it('refuses a period that has not ended by the clock (a scheduled time in the future)', () => {
    expect(() => scheduled('monthly', '2026-12-02T11:00:00Z', NY, '2026-11-30T12:00:00Z')).toThrow(
      'period: it ends at 2026-12-01T05:00:00.000000000Z, which is in the future ' +
        '(now is 2026-11-30T12:00:00.000000000Z); a report covers only a finished period',
    );
  });
});

describe('the rollup payload', () => {
  it('takes a month, a quarter, a year or first and last day, and recipients', () => {
    for (const rollup of [
      { month: '2026-11' },
      { quarter: '2026-Q4' },
      { year: '2025' },
      { from: '2026-11-03', to: '2026-11-09' },
    ]) {
      expect(parseRollupEvent({ rollup, recipients: ['ops@example.com'] })).toEqual({
        ok: true,
        value: { trigger: 'on-demand-rollup', payload: { rollup, recipients: ['ops@example.com'] } },
      });
    }
    expect(parseRollupEvent({ schedule: 'quarterly', scheduledTime: '2027-01-02T11:00:00Z' })).toEqual({
      ok: true,
      value: {
        trigger: 'scheduled-rollup',
        event: { schedule: 'quarterly', scheduledTime: '2027-01-02T11:00:00Z' },
      },
    });
    const year = rollupPeriodOf({ year: '2024' }, 'UTC', at('2026-12-04T00:00:00Z'));
    expect([year.days, formatInstant(year.from), formatInstant(year.to)]).toEqual([
      { first: '2024-01-01', last: '2024-12-31' },
      '2024-01-01T00:00:00.000000000Z',
      '2025-01-01T00:00:00.000000000Z',
    ]);
  });

  it('refuses bad shapes naming the key, never echoing a value', () => {
    const refused = (event: unknown) => {
      const parsed = parseRollupEvent(event);
      return parsed.ok ? null : parsed.message;
    };
    const payload = 'invalid rollup payload (allowed keys: rollup, recipients): ';
    expect(refused({})).toBe(
      `${payload}"rollup": must be an object: {"month": "YYYY-MM"}, {"quarter": "YYYY-Qn"}, {"year": "YYYY"} ` +
        'or {"from", "to"} (days)',
    );
    expect(refused(undefined)).toBe(refused({}));
    expect(refused({ rollup: { month: 202611 } })).toBe(`${payload}"rollup.month": must be text`);
    expect(refused({ rollup: { week: '2026-W48' } })).toBe(`${payload}"rollup": unknown key "week"`);
    expect(refused({ rollup: { month: '2026-11' }, date: '2026-11-24' })).toBe(`${payload}unknown key "date"`);
    expect(refused({ rollup: { month: '2026-11' }, recipients: ['ops@example.com', 'secret-token'] })).toBe(
      `${payload}"recipients[1]": must be an email address`,
    );
    const schedule = 'invalid schedule event (allowed keys: schedule, scheduledTime): ';
    expect(refused({ schedule: 'weekly', scheduledTime: '2026-12-02T11:00:00Z' })).toBe(
      `${schedule}"schedule": must be "monthly" or "quarterly"`,
    );
    expect(refused({ schedule: 'monthly' })).toBe(`${schedule}"scheduledTime": must be text`);
  });

  it('refuses a span longer than a year', () => {
    expect(() => rollupPeriodOf({ from: '2024-01-01', to: '2025-01-01' }, 'UTC', at('2026-12-04T00:00:00Z'))).toThrow(
      `to: the rollup from 2024-01-01 to 2025-01-01 spans 367 days; at most ${MAX_ROLLUP_DAYS} (a year) fit in one ` +
        'invocation',
    );
  });
});

describe('the rollup handler returns bad input, touching no AWS service', () => {
  const NOW = at('2026-12-04T15:00:00Z');
  let aws: MockedClients;
  let output: ReturnType<typeof captureOutput>;
  beforeEach(() => {
    aws = mockedClients();
    output = captureOutput();
  });
  afterEach(() => {
    output.restore();
    aws.restore();
  });

  async function expectBadInput(event: unknown, message: string, document = lambdaConfigDocument()) {
    const handler = createRollupHandler(handlerDeps({ [ENV.config]: JSON.stringify(document) }, aws.clients, NOW));
    const result: RollupResult = await handler(event, lambdaContext());
    expect(result).toEqual({ ok: false, error: { code: 'bad-input', message } });
    expect(aws.calls()).toBe(0);
  }

  it('values the CLI would refuse, worded with the payload keys', async () => {
    await expectBadInput(
      { rollup: { month: '2026-13' } },
      '"rollup.month": "2026-13" is not a month of the form YYYY-MM (for example 2026-11)',
    );
    await expectBadInput(
      { rollup: { quarter: '2026-Q5' } },
      '"rollup.quarter": "2026-Q5" is not a quarter of the form YYYY-Qn (for example 2026-Q4)',
    );
    await expectBadInput({ rollup: { from: '2026-11-03' } }, '"rollup.from" needs "rollup.to"');
    await expectBadInput(
      { rollup: { month: '2026-11', from: '2026-11-03' } },
      'use either "rollup.month" or "rollup.from", not both',
    );
    await expectBadInput(
      { rollup: { from: '2026-11-09', to: '2026-11-03' } },
      '"rollup.from" 2026-11-09 is after "rollup.to" 2026-11-03',
    );
    await expectBadInput(
      { rollup: { from: '2026-02-30', to: '2026-03-03' } },
      '"rollup.from": "2026-02-30" is not a calendar date of the form YYYY-MM-DD',
    );
    await expectBadInput(
      { rollup: { month: '2026-12' } },
      'period: it ends at 2027-01-01T05:00:00.000000000Z, which is in the future ' +
        '(now is 2026-12-04T15:00:00.000000000Z); a report covers only a finished period',
    );
  });

  it('recipients the configuration does not allow, as for on-demand reports', async () => {
    await expectBadInput(
      { rollup: { month: '2026-11' }, recipients: ['ceo@example.com'] },
      'recipients: ceo@example.com is not allowed ' +
        '(without email.allowedRecipients only the configured email.to addresses may receive reports)',
    );
    await expectBadInput(
      { rollup: { month: '2026-11' }, recipients: ['x@elsewhere.example'] },
      'recipients: x@elsewhere.example is not allowed (email.allowedRecipients names neither it nor its "@domain")',
      lambdaConfigDocument({
        email: { from: 'reports@example.com', to: ['cfo@example.com'], allowedRecipients: ['@example.com'] },
      }),
    );
    await expectBadInput(
      { rollup: { month: '2026-11' }, recipients: ['cfo@example.com'] },
      'recipients: the configuration has no "email" (sender), so this deployment sends no email',
      lambdaConfigDocument({ email: undefined }),
    );
  });

  it('a malformed schedule event is thrown (a deployment fault, retried and alarmed), not returned', async () => {
    const handler = createRollupHandler(
      handlerDeps({ [ENV.config]: JSON.stringify(lambdaConfigDocument()) }, aws.clients, NOW),
    );
    await expect(handler({ schedule: 'weekly', scheduledTime: 'x' }, lambdaContext())).rejects.toThrow(
      'scheduled-rollup report failed: invalid schedule event (allowed keys: schedule, scheduledTime): ' +
        '"schedule": must be "monthly" or "quarterly"',
    );
    await expect(handler({ schedule: 'monthly', scheduledTime: 'yesterday' }, lambdaContext())).rejects.toThrow(
      'scheduled-rollup report failed: scheduledTime: "yesterday" is not an ISO 8601 instant with a zone',
    );
    expect(aws.calls()).toBe(0);
  });
});
