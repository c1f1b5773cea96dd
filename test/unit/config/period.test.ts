import { describe, expect, it } from 'vitest';
import {
  adhocPeriod,
  assertReportable,
  assertTimeZone,
  dailyPeriod,
  previousDay,
  requestedPeriod,
  type Period,
} from '../../../functions/config/period.js';
import { InputError } from '../../../functions/errors.js';
import { formatInstant, millisFromNanos, nanosFromMillis, parseInstant } from '../../../functions/time/nanos.js';

const HOUR = 3_600_000_000_000n;
const DAY = 24n * HOUR;

/** Runs fn and returns the error it throws (failing the test when it does not throw). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

/** What an InputError says is wrong with which input, as data (the shells word it). */
function issueOf(fn: () => unknown): InputError['issue'] {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(InputError);
  return (err as InputError).issue;
}

describe('dailyPeriod', () => {
  it('covers a normal day in America/New_York (EST, 24 hours)', () => {
    const p = dailyPeriod('2026-11-26', 'America/New_York');
    expect(p).toEqual({
      from: 1795669200000000000n, // 2026-11-26T05:00:00Z
      to: 1795755600000000000n, // 2026-11-27T05:00:00Z
      timezone: 'America/New_York',
      kind: 'daily',
      date: '2026-11-26',
    });
    expect(p.to - p.from).toBe(DAY);
    expect(formatInstant(p.from)).toBe('2026-11-26T05:00:00.000000000Z');
    expect(formatInstant(p.to)).toBe('2026-11-27T05:00:00.000000000Z');
  });

  it('is 23 hours on the spring-forward day (2026-03-08)', () => {
    const p = dailyPeriod('2026-03-08', 'America/New_York');
    expect(p.from).toBe(1772946000000000000n); // 2026-03-08T05:00:00Z (EST)
    expect(p.to).toBe(1773028800000000000n); // 2026-03-09T04:00:00Z (EDT)
    expect(p.to - p.from).toBe(23n * HOUR);
    expect(formatInstant(p.from)).toBe('2026-03-08T05:00:00.000000000Z');
    expect(formatInstant(p.to)).toBe('2026-03-09T04:00:00.000000000Z');
  });

  it('is 25 hours on the fall-back day (2026-11-01)', () => {
    const p = dailyPeriod('2026-11-01', 'America/New_York');
    expect(p.from).toBe(1793505600000000000n); // 2026-11-01T04:00:00Z (EDT)
    expect(p.to).toBe(1793595600000000000n); // 2026-11-02T05:00:00Z (EST)
    expect(p.to - p.from).toBe(25n * HOUR);
  });

  it('is midnight to midnight in UTC', () => {
    const p = dailyPeriod('2026-11-26', 'UTC');
    expect(p.from).toBe(1795651200000000000n);
    expect(p.to).toBe(1795737600000000000n);
    expect(p.to - p.from).toBe(DAY);
    expect(p.timezone).toBe('UTC');
  });

  it('handles a half-hour offset (Asia/Kolkata, +05:30)', () => {
    const p = dailyPeriod('2026-11-26', 'Asia/Kolkata');
    expect(formatInstant(p.from)).toBe('2026-11-25T18:30:00.000000000Z');
    expect(formatInstant(p.to)).toBe('2026-11-26T18:30:00.000000000Z');
    expect(p.from).toBe(1795631400000000000n);
    expect(p.to).toBe(1795717800000000000n);
  });

  it('accepts 29 February only in a leap year', () => {
    expect(formatInstant(dailyPeriod('2028-02-29', 'UTC').from)).toBe('2028-02-29T00:00:00.000000000Z');
    expect(issueOf(() => dailyPeriod('2027-02-29', 'UTC'))).toEqual({
      field: 'date',
      problem: '"2027-02-29" is not a calendar date',
    });
  });

  it('refuses a date that does not exist', () => {
    expect(issueOf(() => dailyPeriod('2026-02-30', 'America/New_York'))).toEqual({
      field: 'date',
      problem: '"2026-02-30" is not a calendar date',
    });
    expect(issueOf(() => dailyPeriod('2026-13-01', 'UTC'))).toEqual({
      field: 'date',
      problem: '"2026-13-01" is not a calendar date',
    });
    expect(issueOf(() => dailyPeriod('2026-00-10', 'UTC'))).toEqual({
      field: 'date',
      problem: '"2026-00-10" is not a calendar date',
    });
  });

  it('refuses text that is not of the form YYYY-MM-DD', () => {
    for (const bad of ['2026-2-3', 'x', '', '2026-11-26T00:00:00Z', ' 2026-11-26', '20261126']) {
      expect(issueOf(() => dailyPeriod(bad, 'UTC'))).toEqual({
        field: 'date',
        problem: `"${bad}" is not a date of the form YYYY-MM-DD`,
      });
    }
  });

  it('refuses an unknown time zone, naming it', () => {
    const err = thrown(() => dailyPeriod('2026-11-26', 'Mars/Olympus'));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toBe(
      'timezone: "Mars/Olympus" is not a known IANA time zone (for example "America/New_York" or "UTC")',
    );
  });
});

describe('assertTimeZone', () => {
  it('accepts IANA zones and names the key of a bad one', () => {
    expect(() => assertTimeZone('Europe/Paris')).not.toThrow();
    expect(() => assertTimeZone('UTC')).not.toThrow();
    const err = thrown(() => assertTimeZone('Nowhere/Town', 'report.timezone'));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/^report\.timezone: "Nowhere\/Town" is not a known IANA time zone/);
  });
});

describe('previousDay', () => {
  it('is yesterday in the zone, not in UTC', () => {
    // 2026-11-27T03:00Z is still 2026-11-26 22:00 in New York: yesterday there is the 25th.
    const now = Date.UTC(2026, 10, 27, 3, 0, 0);
    const p = previousDay('America/New_York', now);
    expect(p.date).toBe('2026-11-25');
    expect(p.kind).toBe('daily');
    expect(formatInstant(p.from)).toBe('2026-11-25T05:00:00.000000000Z');
    expect(formatInstant(p.to)).toBe('2026-11-26T05:00:00.000000000Z');
    // The same instant in UTC is already the 27th: yesterday is the 26th.
    expect(previousDay('UTC', now).date).toBe('2026-11-26');
    // In Kolkata it is 08:30 on the 27th.
    expect(previousDay('Asia/Kolkata', now).date).toBe('2026-11-26');
  });

  it('lands on the 25-hour day after a fall-back', () => {
    const p = previousDay('America/New_York', Date.UTC(2026, 10, 2, 12, 0, 0));
    expect(p.date).toBe('2026-11-01');
    expect(p.to - p.from).toBe(25n * HOUR);
  });

  it('refuses an unknown zone', () => {
    expect(thrown(() => previousDay('Bad/Zone', 0))).toBeInstanceOf(InputError);
  });
});

describe('adhocPeriod', () => {
  it('keeps all nine fractional digits as a bigint', () => {
    const p = adhocPeriod('2026-11-26T05:00:00.123456789Z', '2026-11-27T05:00:00.987654321Z', 'America/New_York');
    expect(p).toEqual({
      from: 1795669200123456789n,
      to: 1795755600987654321n,
      timezone: 'America/New_York',
      kind: 'adhoc',
    });
    expect(typeof p.from).toBe('bigint');
    expect(p.date).toBeUndefined();
  });

  it('applies an offset', () => {
    const p = adhocPeriod('2026-11-26T07:00:00+02:00', '2026-11-26T19:00:00.5-05:00', 'UTC');
    expect(formatInstant(p.from)).toBe('2026-11-26T05:00:00.000000000Z');
    expect(formatInstant(p.to)).toBe('2026-11-27T00:00:00.500000000Z');
    expect(p.from).toBe(1795669200000000000n);
  });

  it('refuses an instant without a zone or a non-instant, naming the input', () => {
    expect(issueOf(() => adhocPeriod('2026-11-26T05:00:00', '2026-11-27T05:00:00Z', 'UTC'))).toEqual({
      field: 'from',
      problem: '"2026-11-26T05:00:00" is not an ISO 8601 instant with a zone (for example 2026-11-26T05:00:00Z)',
    });
    expect(issueOf(() => adhocPeriod('2026-11-26T05:00:00Z', 'x', 'UTC'))).toEqual({
      field: 'to',
      problem: '"x" is not an ISO 8601 instant with a zone (for example 2026-11-27T05:00:00Z)',
    });
  });

  it('checks the zone first', () => {
    expect(thrown(() => adhocPeriod('2026-11-26T05:00:00Z', '2026-11-27T05:00:00Z', 'Bad/Zone')).message).toMatch(
      /^timezone: "Bad\/Zone"/,
    );
  });
});

describe('assertReportable', () => {
  const day = dailyPeriod('2026-11-26', 'America/New_York');

  it('accepts a finished period, including one that ends exactly now', () => {
    expect(() => assertReportable(day, day.to)).not.toThrow();
    expect(() => assertReportable(day, day.to + DAY)).not.toThrow();
    expect(() => assertReportable(day, day.to, 1)).not.toThrow();
  });

  it('refuses from >= to', () => {
    const empty: Period = { ...day, to: day.from };
    const err = thrown(() => assertReportable(empty, day.to + DAY));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toBe(
      'period: from (2026-11-26T05:00:00.000000000Z) must be before to (2026-11-26T05:00:00.000000000Z)',
    );
    const backwards = adhocPeriod('2026-11-27T05:00:00Z', '2026-11-26T05:00:00Z', 'UTC');
    expect(thrown(() => assertReportable(backwards, day.to + DAY)).message).toBe(
      'period: from (2026-11-27T05:00:00.000000000Z) must be before to (2026-11-26T05:00:00.000000000Z)',
    );
  });

  it('refuses a period that ends in the future, even by one nanosecond', () => {
    const err = thrown(() => assertReportable(day, day.to - 1n));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toBe(
      'period: it ends at 2026-11-27T05:00:00.000000000Z, which is in the future (now is ' +
        '2026-11-27T04:59:59.999999999Z); ' +
        'a report covers only a finished period',
    );
  });

  it('refuses a period longer than maxDays, accepting exactly maxDays', () => {
    const week = adhocPeriod('2026-11-01T00:00:00Z', '2026-11-08T00:00:00Z', 'UTC');
    const now = week.to + DAY;
    expect(() => assertReportable(week, now, 7)).not.toThrow();
    const err = thrown(() => assertReportable(week, now, 6));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toBe('period: it is longer than the maximum of 6 days');
    const oneNsMore: Period = { ...week, to: week.to + 1n };
    expect(thrown(() => assertReportable(oneNsMore, now, 7)).message).toBe(
      'period: it is longer than the maximum of 7 days',
    );
  });
});

describe('requestedPeriod', () => {
  const now = Date.UTC(2026, 10, 27, 3, 0, 0);

  it('is the day asked for, the span asked for, or else yesterday in the zone', () => {
    expect(requestedPeriod({ date: '2026-11-20' }, 'America/New_York', now)).toEqual(
      dailyPeriod('2026-11-20', 'America/New_York'),
    );
    expect(requestedPeriod({ from: '2026-11-20T00:00:00Z', to: '2026-11-21T00:00:00Z' }, 'UTC', now)).toEqual(
      adhocPeriod('2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z', 'UTC'),
    );
    expect(requestedPeriod({}, 'America/New_York', now).date).toBe('2026-11-25');
  });

  it('refuses a date with from/to, and from or to alone, naming the inputs as data', () => {
    expect(issueOf(() => requestedPeriod({ date: '2026-11-20', to: '2026-11-21T00:00:00Z' }, 'UTC', now))).toEqual({
      field: 'date',
      notWith: ['from', 'to'],
    });
    expect(issueOf(() => requestedPeriod({ from: '2026-11-20T00:00:00Z' }, 'UTC', now))).toEqual({
      field: 'from',
      needs: 'to',
    });
    expect(issueOf(() => requestedPeriod({ to: '2026-11-20T00:00:00Z' }, 'UTC', now))).toEqual({
      field: 'to',
      needs: 'from',
    });
  });
});

describe('parseInstant / formatInstant', () => {
  it('parses RFC 3339 with every fractional digit', () => {
    expect(parseInstant('2026-11-26T05:00:00.123456789Z')).toBe(1795669200123456789n);
    expect(parseInstant('2026-11-26T05:00:00.1Z')).toBe(1795669200100000000n);
    expect(parseInstant('2026-11-26T05:00:00.000000001Z')).toBe(1795669200000000001n);
    expect(parseInstant('2026-11-26T05:00:00Z')).toBe(1795669200000000000n);
    expect(parseInstant('1970-01-01T00:00:00Z')).toBe(0n);
    expect(parseInstant('2026-11-26T10:30:00+05:30')).toBe(1795669200000000000n);
    expect(parseInstant('2026-11-26T00:00:00-05:00')).toBe(1795669200000000000n);
  });

  it('returns null for what is not an instant with a zone', () => {
    for (const bad of [
      'x',
      '',
      '2026-11-26',
      '2026-11-26T05:00:00', // no zone
      '2026-11-26 05:00:00Z',
      '2026-11-26T05:00:00z',
      '2026-11-26T05:00:00.0000000001Z', // ten digits
      '2026-11-26T05:00:00.Z',
      '2026-02-30T00:00:00Z',
      '2027-02-29T00:00:00Z',
      '2026-11-26T23:59:60Z',
      '2026-11-26T05:00:00+24:00',
      '2026-11-26T05:00:00+0200',
    ]) {
      expect(parseInstant(bad), bad).toBeNull();
    }
  });

  it('formats in UTC with exactly nine fractional digits', () => {
    expect(formatInstant(0n)).toBe('1970-01-01T00:00:00.000000000Z');
    expect(formatInstant(1n)).toBe('1970-01-01T00:00:00.000000001Z');
    expect(formatInstant(1795669200123456789n)).toBe('2026-11-26T05:00:00.123456789Z');
    expect(formatInstant(1795669200000000999n)).toBe('2026-11-26T05:00:00.000000999Z');
  });

  it('handles instants before 1970 (negative nanoseconds)', () => {
    expect(formatInstant(-1n)).toBe('1969-12-31T23:59:59.999999999Z');
    expect(formatInstant(-1_000_000n)).toBe('1969-12-31T23:59:59.999000000Z');
    expect(formatInstant(-1_000_000_000n)).toBe('1969-12-31T23:59:59.000000000Z');
    expect(formatInstant(-1_500_000_000n)).toBe('1969-12-31T23:59:58.500000000Z');
    expect(formatInstant(-999_999_999n)).toBe('1969-12-31T23:59:59.000000001Z');
    expect(parseInstant('1969-12-31T23:59:59.999999999Z')).toBe(-1n);
    expect(parseInstant('1969-12-31T23:59:58.5Z')).toBe(-1_500_000_000n);
    expect(parseInstant('1900-01-01T00:00:00Z')).toBe(-2208988800000000000n);
  });

  it('round-trips, keeping nanosecond digits, on both sides of the epoch', () => {
    const texts = [
      '2026-11-26T05:00:00.123456789Z',
      '2026-03-08T07:00:00.000000001Z',
      '1970-01-01T00:00:00.000000000Z',
      '1969-12-31T23:59:59.999999999Z',
      '1969-07-20T20:17:40.123456789Z',
      '1900-01-01T00:00:00.000000001Z',
      '0001-01-01T00:00:00.000000000Z',
      '9999-12-31T23:59:59.999999999Z',
    ];
    for (const text of texts) {
      const ns = parseInstant(text);
      expect(ns, text).not.toBeNull();
      expect(formatInstant(ns!)).toBe(text);
    }
    for (const ns of [-86_400_000_000_001n, -123_456_789n, 1n, 999_999n, 1_000_000n, 1795746764421056256n]) {
      expect(parseInstant(formatInstant(ns))).toBe(ns);
    }
  });

  it('converts milliseconds both ways, truncating toward zero', () => {
    expect(nanosFromMillis(1_795_669_200_000)).toBe(1795669200000000000n);
    expect(nanosFromMillis(1.9)).toBe(1_000_000n);
    expect(nanosFromMillis(-1.9)).toBe(-1_000_000n);
    expect(millisFromNanos(1795669200123456789n)).toBe(1795669200123);
  });
});
