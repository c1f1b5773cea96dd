import { describe, expect, it } from 'vitest';
import { addEvent, addMessage } from '../../../functions/analysis/add-event.js';
import { emptyAggregate } from '../../../functions/analysis/aggregate-state.js';
import { densestWindow } from '../../../functions/analysis/detection/failure-window.js';
import { withinBusinessHours } from '../../../functions/analysis/detection/business-hours.js';
import {
  detect,
  detectionContext,
  DETECTION_RULES,
  type DetectionContext,
} from '../../../functions/analysis/detection/detect.js';
import { MAX_DETECTION_EVIDENCE, reportDay } from '../../../functions/analysis/detection/common.js';
import { buildReport } from '../../../functions/analysis/finalize.js';
import { reportParameters } from '../../../functions/analysis/parameters.js';
import type { AuthFailureEvent, JetStreamChange, ReportV1 } from '../../../functions/analysis/report-model.js';
import { adhocPeriod, dailyPeriod } from '../../../functions/config/period.js';
import { parseConfig } from '../../../functions/config/load.js';
import type { DetectionConfig } from '../../../functions/config/schema.js';
import { parseMessage } from '../../../functions/events/parse.js';
import type { RawMessage } from '../../../functions/events/types.js';
import { openedEvent, type Detection } from '../../../functions/incidents/model.js';
import { formatInstant, parseInstant } from '../../../functions/time/nanos.js';
import { HOSTILE, NON_LATIN, sampleReport } from '../../support/sample-report.js';

const TZ = 'America/New_York';
const AUDIT_STREAMS = ['SYS_EVENTS', 'APP_JS_ADVISORIES', 'AUDIT_JS_ADVISORIES'];
const MINUTE = 60_000_000_000n;

function config(detection: unknown = undefined) {
  return parseConfig({
    timezone: TZ,
    sources: [
      {
        name: 'audit',
        nats: { servers: ['nats://127.0.0.1:4222'] },
        streams: [
          { stream: 'SYS_EVENTS', kind: 'system-events' },
          { stream: 'APP_JS_ADVISORIES', kind: 'advisories', account: 'APP' },
          { stream: 'AUDIT_JS_ADVISORIES', kind: 'advisories', account: 'AUDIT' },
        ],
      },
      {
        name: 'app',
        nats: { servers: ['nats://127.0.0.1:4222'] },
        streams: [{ stream: 'TRANSACTIONS', kind: 'transactions' }],
      },
    ],
    ...(detection === undefined ? {} : { detection }),
  });
}

const DEFAULTS: DetectionConfig = config().detection;

/** An ordinary Tuesday (2026-11-24, New York): known users, changes in business hours, nothing removed or broken. */
function ordinary(): ReportV1 {
  const r = sampleReport();
  r.streams = r.streams.map((s) => ({ ...s, gaps: [], missing: 0 }));
  r.authFailures = { total: 0, byUser: [], byHost: [] };
  r.authFailureEvents = [];
  r.jetstreamChanges = [
    change({ time: '2026-11-24T13:05:00.000000001Z', operation: 'stream.create', target: 'ORDERS' }),
    change({ time: '2026-11-24T14:00:00.000000000Z', operation: 'consumer.create', target: 'ORDERS/ledger' }),
    change({ time: '2026-11-24T15:00:00.000000000Z', operation: 'stream.update', target: 'ORDERS' }),
  ];
  r.unparseable = 0;
  r.unparseableEvents = [];
  r.baseline = {
    users: ['APP/payments-svc', 'AUDIT/audit'],
    userHosts: [
      { user: 'APP/payments-svc', hosts: ['10.0.0.7', '10.0.0.8'], hostsTruncated: false },
      { user: 'AUDIT/audit', hosts: ['127.0.0.1'], hostsTruncated: false },
    ],
    truncated: false,
    newHosts: [],
  };
  return r;
}

/** The day before, whose baseline this one carries. */
function previousDay(): ReportV1 {
  const r = ordinary();
  r.period = {
    ...r.period,
    from: '2026-11-23T05:00:00.000000000Z',
    to: '2026-11-24T05:00:00.000000000Z',
    date: '2026-11-23',
  };
  return r;
}

let evidenceSeq = 1000;
function change(
  fields: Partial<JetStreamChange> & Pick<JetStreamChange, 'time' | 'operation' | 'target'>,
): JetStreamChange {
  return {
    account: 'APP',
    user: 'ops-admin',
    client: 'nats-cli',
    host: '10.0.0.2',
    success: true,
    detail: null,
    evidence: [{ stream: 'APP_JS_ADVISORIES', seq: ++evidenceSeq }],
    ...fields,
  };
}

let failureSeq = 0;
function failures(user: string | null, host: string | null, times: string[]): AuthFailureEvent[] {
  return times.map((time) => ({ time, user, host, stream: 'SYS_EVENTS', seq: ++failureSeq }));
}

/** `n` instants `stepNs` apart from `start`. */
function times(start: string, n: number, stepNs: bigint): string[] {
  const t0 = parseInstant(start)!;
  return Array.from({ length: n }, (_, i) => formatInstant(t0 + BigInt(i) * stepNs));
}

function withFailures(r: ReportV1, list: AuthFailureEvent[]): ReportV1 {
  const sorted = [...list].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  const count = (key: (f: AuthFailureEvent) => string | null) => {
    const m = new Map<string | null, number>();
    for (const f of sorted) m.set(key(f), (m.get(key(f)) ?? 0) + 1);
    return [...m];
  };
  r.authFailureEvents = sorted;
  r.authFailures = {
    total: sorted.length,
    byUser: count((f) => f.user).map(([user, c]) => ({ user, count: c })),
    byHost: count((f) => f.host).map(([host, c]) => ({ host, count: c })),
  };
  return r;
}

function context(overrides: Partial<DetectionContext> = {}): DetectionContext {
  return { previous: previousDay(), thresholds: DEFAULTS, auditStreams: AUDIT_STREAMS, timezone: TZ, ...overrides };
}

const rulesOf = (ds: Detection[]) => ds.map((d) => `${d.rule} ${d.severity} ${d.subject}`);
const only = (ds: Detection[], rule: string) => ds.filter((d) => d.rule === rule);

describe('detect', () => {
  it('stays quiet on an ordinary day', () => {
    expect(detect(ordinary(), context())).toEqual([]);
    expect(detect(ordinary(), context({ previous: null }))).toEqual([]);
  });

  it('has one rule per id, all in kebab-case', () => {
    const ids = DETECTION_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z]+(-[a-z]+)*$/);
    expect(ids).toEqual([
      'brute-force-user',
      'brute-force-host',
      'unknown-user',
      'new-host',
      'revoked-user-connected',
      'off-hours-change',
      'access-change',
      'stream-deleted',
      'consumer-deleted',
      'message-deleted',
      'stream-purged',
      'audit-stream-attempt',
      'stream-settings-weakened',
      'gap',
      'malformed-event',
      'forged-event',
    ]);
  });

  it('finds what the hostile sample day holds, and every detection can open an incident', () => {
    const found = detect(sampleReport(), context({ previous: null }));
    expect(rulesOf(found).sort()).toEqual(
      [
        'audit-stream-attempt critical SYS_EVENTS',
        'forged-event critical SYS_EVENTS',
        'gap high TRANSACTIONS',
        'malformed-event medium SYS_EVENTS',
        'message-deleted high TRANSACTIONS',
        `unknown-user medium ${NON_LATIN.cyrillic}`,
        'unknown-user medium (no user name)',
        'unknown-user medium mallory',
      ].sort(),
    );
    for (const d of found) {
      expect(() => openedEvent(d)).not.toThrow();
      expect(d.day).toBe('2026-11-24');
      expect(d.summary).not.toMatch(/[\r\n]/);
    }
    const purge = only(found, 'audit-stream-attempt')[0]!;
    expect(purge.summary).toContain(
      'stream.purge refused at 2026-11-24 18:30:00.000000000 -05:00 by APP (user not recorded)',
    );
  });

  it('orders detections by first evidence, then rule, then subject, and gives the same answer twice', () => {
    const r = sampleReport();
    const a = detect(r, context({ previous: null }));
    expect(detect(r, context({ previous: null }))).toEqual(a);
    const keys = a.map((d) => d.at);
    expect([...keys].sort()).toEqual(keys);
  });

  it('builds its context from the configuration', () => {
    const previous = previousDay();
    const drift = [{ stream: 'SYS_EVENTS', findings: ['deny_delete is off (messages can be deleted)'] }];
    expect(detectionContext(reportParameters(config()), previous, drift)).toEqual({
      previous,
      thresholds: DEFAULTS,
      auditStreams: AUDIT_STREAMS,
      timezone: TZ,
      driftFindings: drift,
    });
    expect(detectionContext(reportParameters(config()), null)).not.toHaveProperty('driftFindings');
  });
});

describe('brute-force-user and brute-force-host', () => {
  it('fire on five failed logins of one user from one host within ten minutes, once a day each', () => {
    const r = withFailures(ordinary(), [
      ...failures('mallory', '203.0.113.9', times('2026-11-24T14:00:00Z', 5, MINUTE)),
      // A second burst later the same day: still one detection per user and host.
      ...failures('mallory', '203.0.113.9', times('2026-11-24T20:00:00Z', 6, MINUTE)),
    ]);
    const found = detect(r, context({ previous: previousDay() }));
    const user = only(found, 'brute-force-user');
    const host = only(found, 'brute-force-host');
    expect(rulesOf(user)).toEqual(['brute-force-user high mallory']);
    expect(rulesOf(host)).toEqual(['brute-force-host high 203.0.113.9']);
    // The densest window is reported: the later burst of six.
    expect(user[0]!.summary).toBe(
      '6 failed logins for user mallory within 10 minutes (from 2026-11-24 15:00:00.000000000 -05:00 to ' +
        '2026-11-24 15:05:00.000000000 -05:00; ' +
        'threshold 5 in 10 min), 11 in the period; from hosts: 203.0.113.9',
    );
    expect(user[0]!.at).toBe('2026-11-24T20:00:00.000000000Z');
    expect(user[0]!.evidence).toHaveLength(6);
    expect(host[0]!.summary).toContain('user names tried: mallory');
  });

  it('stay quiet below the threshold', () => {
    const r = withFailures(ordinary(), failures('mallory', '203.0.113.9', times('2026-11-24T14:00:00Z', 4, MINUTE)));
    const found = detect(r, context());
    expect(only(found, 'brute-force-user')).toEqual([]);
    expect(only(found, 'brute-force-host')).toEqual([]);
  });

  it('count failures exactly W minutes apart as within the window, and not a nanosecond more', () => {
    const inside = withFailures(
      ordinary(),
      failures('app', '10.0.0.7', times('2026-11-24T14:00:00Z', 5, (10n * MINUTE) / 4n)),
    );
    expect(rulesOf(only(detect(inside, context()), 'brute-force-user'))).toEqual(['brute-force-user high app']);
    const spread = times('2026-11-24T14:00:00Z', 5, (10n * MINUTE) / 4n);
    spread[4] = formatInstant(parseInstant(spread[4]!)! + 1n);
    const outside = withFailures(ordinary(), failures('app', '10.0.0.7', spread));
    expect(only(detect(outside, context()), 'brute-force-user')).toEqual([]);
  });

  it('take the threshold and window from the configuration', () => {
    const r = withFailures(ordinary(), failures('app', '10.0.0.7', times('2026-11-24T14:00:00Z', 3, 20n * MINUTE)));
    expect(only(detect(r, context()), 'brute-force-user')).toEqual([]);
    const loose = config({ bruteForce: { failures: 3, windowMinutes: 45 } }).detection;
    expect(rulesOf(only(detect(r, context({ thresholds: loose })), 'brute-force-user'))).toEqual([
      'brute-force-user high app',
    ]);
  });

  it('spot password spraying: many user names from one host', () => {
    const sprayed = ['alice', 'bob', 'carol', 'dave', 'erin'].flatMap((u, i) =>
      failures(u, '198.51.100.4', [formatInstant(parseInstant('2026-11-24T14:00:00Z')! + BigInt(i) * MINUTE)]),
    );
    const found = detect(withFailures(ordinary(), sprayed), context());
    expect(only(found, 'brute-force-user')).toEqual([]);
    expect(rulesOf(only(found, 'brute-force-host'))).toEqual(['brute-force-host high 198.51.100.4']);
    expect(only(found, 'brute-force-host')[0]!.summary).toContain('user names tried: alice, bob, carol, dave, erin');
  });

  it('group failures without a user name, and leave failures without a host out of the host rule', () => {
    const r = withFailures(ordinary(), failures(null, null, times('2026-11-24T14:00:00Z', 5, MINUTE)));
    const found = detect(r, context());
    expect(rulesOf(only(found, 'brute-force-user'))).toEqual(['brute-force-user high (no user name)']);
    expect(only(found, 'brute-force-user')[0]!.summary).toMatch(/^5 failed logins with no user name within 10 minutes/);
    expect(only(found, 'brute-force-host')).toEqual([]);
  });

  it('densestWindow picks the earliest of equally dense windows', () => {
    const list = failures('x', 'h', [
      ...times('2026-11-24T14:00:00Z', 3, MINUTE),
      ...times('2026-11-24T16:00:00Z', 3, MINUTE),
    ]);
    expect(densestWindow(list, 10)!.first.time).toBe('2026-11-24T14:00:00.000000000Z');
    expect(densestWindow([], 10)).toBeNull();
  });
});

describe('unknown-user', () => {
  it('fires on a user name never seen logging in successfully, and on failures without a name', () => {
    const r = withFailures(ordinary(), [
      ...failures('mallory', '203.0.113.9', ['2026-11-24T14:00:00Z']),
      ...failures(null, '203.0.113.9', ['2026-11-24T14:01:00Z']),
    ]);
    const found = only(detect(r, context()), 'unknown-user');
    expect(rulesOf(found)).toEqual(['unknown-user medium mallory', 'unknown-user medium (no user name)']);
    expect(found[0]!.summary).toBe(
      '1 failed login as mallory, a user name never seen logging in successfully; ' +
        'first at 2026-11-24 09:00:00.000000000 -05:00 from 203.0.113.9',
    );
    expect(found[0]!.evidence).toEqual([{ stream: 'SYS_EVENTS', seq: r.authFailureEvents![0]!.seq }]);
  });

  it('knows users from the previous baseline and from this period, in any account', () => {
    const previous = previousDay();
    previous.baseline!.users.push('OTHER/ops-admin');
    const r = withFailures(ordinary(), [
      ...failures('payments-svc', '10.0.0.7', ['2026-11-24T14:00:00Z']), // in both baselines
      ...failures('ops-admin', '10.0.0.2', ['2026-11-24T14:00:01Z']), // only in the previous baseline
    ]);
    r.baseline!.users.push('APP/night-batch');
    r.authFailureEvents!.push(...failures('night-batch', '10.0.0.3', ['2026-11-24T14:00:02Z'])); // only this period
    expect(only(detect(r, context({ previous })), 'unknown-user')).toEqual([]);
  });

  it('on the first day, knows only who logged in that day', () => {
    const r = withFailures(ordinary(), failures('payments-svc', '10.0.0.7', ['2026-11-24T14:00:00Z']));
    expect(only(detect(r, context({ previous: null })), 'unknown-user')).toEqual([]);
  });

  it('still names users whose failures came after the listed ones, without times', () => {
    const r = ordinary();
    r.authFailures = { total: 3, byUser: [{ user: 'mallory', count: 3 }], byHost: [{ host: '203.0.113.9', count: 3 }] };
    const [d] = only(detect(r, context()), 'unknown-user');
    expect(d).toMatchObject({ subject: 'mallory', at: r.period.from, evidence: [] });
    expect(d!.summary).toContain('3 failed logins as mallory');
  });
});

describe('new-host', () => {
  const login = (user: string, host: string, time: string, seq: number) => ({
    time,
    user,
    host,
    stream: 'SYS_EVENTS',
    seq,
  });

  it('fires when a known user logs in from a host not in their baseline', () => {
    const r = ordinary();
    r.baseline!.newHosts = [login('APP/payments-svc', '198.51.100.23', '2026-11-24T16:00:00.000000000Z', 77)];
    const found = only(detect(r, context()), 'new-host');
    expect(rulesOf(found)).toEqual(['new-host medium APP/payments-svc']);
    expect(found[0]).toMatchObject({
      at: '2026-11-24T16:00:00.000000000Z',
      evidence: [{ stream: 'SYS_EVENTS', seq: 77 }],
    });
    expect(found[0]!.summary).toBe(
      'APP/payments-svc logged in from a host not seen for this user before: ' +
        '198.51.100.23 (first at 2026-11-24 11:00:00.000000000 -05:00); known hosts: 10.0.0.7, 10.0.0.8',
    );
  });

  it('raises nothing on the first day, when no previous baseline exists', () => {
    const r = ordinary();
    r.baseline!.newHosts = [login('APP/payments-svc', '198.51.100.23', '2026-11-24T16:00:00.000000000Z', 77)];
    expect(only(detect(r, context({ previous: null })), 'new-host')).toEqual([]);
    const older = previousDay();
    delete older.baseline; // a report written before baselines existed
    expect(only(detect(r, context({ previous: older })), 'new-host')).toEqual([]);
  });

  it('leaves users new to the baseline, known hosts and users with a cut host list alone', () => {
    const previous = previousDay();
    previous.baseline!.users.push('APP/fleet');
    previous.baseline!.userHosts.push({ user: 'APP/fleet', hosts: ['10.1.0.1'], hostsTruncated: true });
    const r = ordinary();
    r.baseline!.newHosts = [
      login('APP/brand-new', '10.9.9.9', '2026-11-24T16:00:00.000000000Z', 1),
      login('APP/payments-svc', '10.0.0.8', '2026-11-24T16:00:01.000000000Z', 2),
      login('APP/fleet', '10.1.0.99', '2026-11-24T16:00:02.000000000Z', 3),
    ];
    expect(only(detect(r, context({ previous })), 'new-host')).toEqual([]);
  });

  it('works from the aggregate: a second day with a login from a new host', () => {
    const connect = (seq: number, iso: string, host: string) =>
      ({
        stream: 'SYS_EVENTS',
        seq,
        ts: parseInstant(iso)!,
        type: 'connect',
        client: { account: 'APP', user: 'app', name: 'svc', host, kind: 'Client' },
      }) as const;
    const day1 = emptyAggregate();
    addEvent(day1, connect(1, '2026-11-23T15:00:00Z', '10.0.0.7'));
    const first = buildReport(dailyPeriod('2026-11-23', TZ), [], day1, 0n, { topN: 50 }, null);
    expect(only(detect(first, context({ previous: null })), 'new-host')).toEqual([]);

    const day2 = emptyAggregate();
    addEvent(day2, connect(2, '2026-11-24T15:00:00Z', '10.0.0.7'));
    addEvent(day2, connect(3, '2026-11-24T15:30:00Z', '10.0.0.66'));
    const second = buildReport(dailyPeriod('2026-11-24', TZ), [], day2, 0n, { topN: 50 }, first);
    expect(second.baseline!.newHosts).toEqual([login('APP/app', '10.0.0.66', '2026-11-24T15:30:00.000000000Z', 3)]);
    const found = only(detect(second, context({ previous: first })), 'new-host');
    expect(rulesOf(found)).toEqual(['new-host medium APP/app']);
    expect(found[0]!.summary).toContain(
      '10.0.0.66 (first at 2026-11-24 10:30:00.000000000 -05:00); known hosts: 10.0.0.7',
    );
  });
});

describe('off-hours-change', () => {
  const at = (time: string, extra: Partial<JetStreamChange> = {}) =>
    change({ time, operation: 'stream.update', target: 'ORDERS', ...extra });
  const offHours = (r: ReportV1, thresholds = DEFAULTS, timezone = TZ) =>
    only(detect(r, context({ thresholds, timezone })), 'off-hours-change');

  it('fires on changes, made or refused, outside business hours, one detection per person', () => {
    const r = ordinary();
    r.jetstreamChanges.push(
      at('2026-11-25T01:00:00.000000000Z'), // 20:00 New York
      at('2026-11-25T02:00:00.000000000Z', { operation: 'stream.delete', success: false, detail: 'refused: x' }),
      at('2026-11-25T03:00:00.000000000Z', { account: 'AUDIT', user: null, client: null, host: null }),
    );
    const found = offHours(r);
    expect(rulesOf(found)).toEqual([
      'off-hours-change medium APP/ops-admin',
      'off-hours-change medium AUDIT (user not recorded)',
    ]);
    expect(found[0]!.summary).toBe(
      'APP/ops-admin made 2 JetStream changes outside business hours (mon, tue, wed, thu, ' +
        'fri 07:00–19:00 America/New_York): ' +
        'stream.update ORDERS at 2026-11-24 20:00:00.000000000 -05:00, ' +
        'stream.delete ORDERS (refused) at 2026-11-24 21:00:00.000000000 -05:00',
    );
    expect(found[0]!.evidence).toHaveLength(2);
  });

  it('counts 07:00 as inside and 19:00 as outside business hours', () => {
    const hours = DEFAULTS.businessHours;
    expect(withinBusinessHours('2026-11-24T12:00:00.000000000Z', hours, TZ)).toBe(true); // 07:00:00
    expect(withinBusinessHours('2026-11-24T11:59:59.999999999Z', hours, TZ)).toBe(false); // 06:59:59.999999999
    expect(withinBusinessHours('2026-11-24T23:59:59.999999999Z', hours, TZ)).toBe(true); // 18:59:59.999999999
    expect(withinBusinessHours('2026-11-25T00:00:00.000000000Z', hours, TZ)).toBe(false); // 19:00:00
    expect(withinBusinessHours('2026-11-28T15:00:00.000000000Z', hours, TZ)).toBe(false); // Saturday 10:00
    const r = ordinary();
    r.jetstreamChanges = [at('2026-11-24T12:00:00.000000000Z'), at('2026-11-25T00:00:00.000000000Z')];
    expect(offHours(r).map((d) => d.at)).toEqual(['2026-11-25T00:00:00.000000000Z']);
  });

  it('follows the clocks on DST days', () => {
    const hours = DEFAULTS.businessHours;
    const everyDay = { ...hours, days: [...DEFAULTS.businessHours.days, 'sat', 'sun'] as typeof hours.days };
    // 11:30Z is 06:30 on the Friday before the clocks go forward (EST), 07:30 on the Monday after (EDT).
    expect(withinBusinessHours('2026-03-06T11:30:00Z', hours, TZ)).toBe(false);
    expect(withinBusinessHours('2026-03-09T11:30:00Z', hours, TZ)).toBe(true);
    // On the day itself (Sunday 8 March: 02:00 EST becomes 03:00 EDT), 11:00Z is 07:00 EDT: inside.
    expect(withinBusinessHours('2026-03-08T11:00:00Z', everyDay, TZ)).toBe(true);
    expect(withinBusinessHours('2026-03-08T10:59:59Z', everyDay, TZ)).toBe(false);
    // And back (Sunday 1 November 2026: 02:00 EDT becomes 01:00 EST): 11:30Z is 06:30 EST on the Monday after.
    expect(withinBusinessHours('2026-11-02T11:30:00Z', hours, TZ)).toBe(false);
    expect(withinBusinessHours('2026-10-30T11:30:00Z', hours, TZ)).toBe(true);
  });

  it('uses the configured hours, days and time zone', () => {
    const r = ordinary();
    r.jetstreamChanges = [at('2026-11-24T13:05:00.000000000Z')]; // Tuesday 08:05 New York, 13:05 UTC
    expect(offHours(r)).toEqual([]);
    const late = config({ businessHours: { start: '09:00', end: '17:00' } }).detection;
    expect(offHours(r, late)).toHaveLength(1);
    const weekend = config({ businessHours: { days: ['sat', 'sun'] } }).detection;
    expect(offHours(r, weekend)).toHaveLength(1);
    expect(offHours(r, DEFAULTS, 'Asia/Tokyo')).toHaveLength(1); // 22:05 in Tokyo
  });

  it('leaves reads through consumers and the server removing idle consumers out', () => {
    const r = ordinary();
    r.jetstreamChanges = [
      at('2026-11-25T01:00:00.000000000Z', { operation: 'consumer.create', target: 'ORDERS/ephemeral1' }),
      at('2026-11-25T01:10:00.000000000Z', {
        operation: 'consumer.delete',
        target: 'ORDERS/ephemeral1',
        user: null,
        client: null,
        host: null,
      }),
    ];
    expect(offHours(r)).toEqual([]);
    r.jetstreamChanges.push(
      at('2026-11-25T01:20:00.000000000Z', { operation: 'consumer.delete', target: 'ORDERS/ledger' }),
    );
    expect(offHours(r).map((d) => d.summary)).toEqual([
      expect.stringContaining('1 JetStream change outside business hours'),
    ]);
  });
});

describe('stream-deleted, consumer-deleted, message-deleted, stream-purged', () => {
  function day(...changes: JetStreamChange[]): Detection[] {
    const r = ordinary();
    r.jetstreamChanges = changes;
    return detect(r, context());
  }

  it('fire on each kind of removal that took effect, on any stream, one detection per subject', () => {
    const found = day(
      change({ time: '2026-11-24T14:00:00.000000000Z', operation: 'stream.delete', target: 'TEMP' }),
      change({ time: '2026-11-24T14:01:00.000000000Z', operation: 'consumer.delete', target: 'TEMP/C1' }),
      change({
        time: '2026-11-24T14:02:00.000000000Z',
        operation: 'msg.delete',
        target: 'TRANSACTIONS',
        detail: 'seq 2',
      }),
      change({
        time: '2026-11-24T14:03:00.000000000Z',
        operation: 'msg.delete',
        target: 'TRANSACTIONS',
        detail: 'seq 9',
        user: 'other',
      }),
      change({
        time: '2026-11-24T14:04:00.000000000Z',
        operation: 'stream.purge',
        target: 'ORDERS',
        detail: 'filter tx.x; purged 3',
      }),
    );
    expect(rulesOf(found)).toEqual([
      'stream-deleted high TEMP',
      'consumer-deleted low TEMP/C1',
      'message-deleted high TRANSACTIONS',
      'stream-purged high ORDERS',
    ]);
    expect(only(found, 'stream-deleted')[0]!.summary).toBe(
      'stream TEMP deleted by APP/ops-admin at 2026-11-24 09:00:00.000000000 -05:00',
    );
    expect(only(found, 'message-deleted')[0]!.summary).toBe(
      '2 messages deleted from TRANSACTIONS by APP/ops-admin, APP/other: ' +
        'seq 2 at 2026-11-24 09:02:00.000000000 -05:00, seq 9 at 2026-11-24 09:03:00.000000000 -05:00',
    );
    expect(only(found, 'message-deleted')[0]!.evidence).toHaveLength(2);
    expect(only(found, 'stream-purged')[0]!.summary).toBe(
      'stream ORDERS purged by APP/ops-admin: filter tx.x; purged 3 at 2026-11-24 09:04:00.000000000 -05:00',
    );
  });

  it('stay quiet on refused attempts and on the server removing an idle ephemeral consumer', () => {
    expect(
      day(
        change({
          time: '2026-11-24T14:00:00.000000000Z',
          operation: 'stream.delete',
          target: 'ORDERS',
          success: false,
          detail: 'refused: x',
        }),
        change({
          time: '2026-11-24T14:01:00.000000000Z',
          operation: 'msg.delete',
          target: 'ORDERS',
          success: false,
          detail: 'refused: x',
        }),
        change({
          time: '2026-11-24T14:02:00.000000000Z',
          operation: 'consumer.delete',
          target: 'ORDERS/eph',
          user: null,
          client: null,
          host: null,
        }),
      ),
    ).toEqual([]);
  });

  it("do not see the report's own consumers, which the aggregate counts as its own reads", () => {
    const s = emptyAggregate();
    const ts = parseInstant('2026-11-24T14:00:00Z')!;
    addEvent(s, {
      stream: 'AUDIT_JS_ADVISORIES',
      seq: 1,
      ts,
      type: 'js-action',
      account: 'AUDIT',
      operation: 'consumer.delete',
      target: 'SYS_EVENTS/sox-report_X1',
      own: true,
    });
    addEvent(s, {
      stream: 'AUDIT_JS_ADVISORIES',
      seq: 2,
      ts,
      type: 'api-audit',
      account: 'AUDIT',
      user: 'audit',
      client: 'sox-report',
      host: '127.0.0.1',
      operation: 'consumer.delete',
      target: 'SYS_EVENTS/sox-report_X1-start',
      success: true,
      detail: null,
      own: true,
    });
    const r = buildReport(dailyPeriod('2026-11-24', TZ), [], s, 0n, { topN: 50 }, null);
    expect(r.jetstreamSummary.ownReads).toBe(2);
    expect(detect(r, context())).toEqual([]);
  });

  it('bound the evidence to the first twenty references', () => {
    const many = Array.from({ length: 30 }, (_, i) =>
      change({
        time: formatInstant(parseInstant('2026-11-24T14:00:00Z')! + BigInt(i)),
        operation: 'msg.delete',
        target: 'TRANSACTIONS',
        detail: `seq ${i}`,
      }),
    );
    const [d] = day(...many);
    expect(d!.evidence).toHaveLength(MAX_DETECTION_EVIDENCE);
    expect(d!.evidence[0]).toEqual(many[0]!.evidence[0]);
    expect(d!.summary).toContain('30 messages deleted');
    expect(d!.summary).toContain('and 25 more');
  });
});

describe('audit-stream-attempt', () => {
  const attempts = (...changes: JetStreamChange[]) => {
    const r = ordinary();
    r.jetstreamChanges = changes;
    return only(detect(r, context()), 'audit-stream-attempt');
  };

  it('fires, critical, on any attempt to change an audit stream, refused or not', () => {
    const found = attempts(
      change({
        time: '2026-11-24T14:00:00.000000000Z',
        operation: 'msg.delete',
        target: 'SYS_EVENTS',
        success: false,
        detail: 'seq 1; refused: message delete not permitted (10057)',
        account: 'AUDIT',
        user: 'audit',
      }),
      change({
        time: '2026-11-24T14:00:01.000000000Z',
        operation: 'stream.purge',
        target: 'SYS_EVENTS',
        success: false,
        detail: 'refused: stream purge not permitted (10110)',
        account: 'AUDIT',
        user: 'audit',
      }),
      change({ time: '2026-11-24T14:00:02.000000000Z', operation: 'stream.update', target: 'APP_JS_ADVISORIES' }),
    );
    expect(rulesOf(found)).toEqual([
      'audit-stream-attempt critical SYS_EVENTS',
      'audit-stream-attempt critical APP_JS_ADVISORIES',
    ]);
    expect(found[0]!.summary).toBe(
      '2 attempts against audit stream SYS_EVENTS, all refused: msg.delete refused at 2026-11-24 ' +
        '09:00:00.000000000 -05:00 by AUDIT/audit, ' +
        'stream.purge refused at 2026-11-24 09:00:01.000000000 -05:00 by AUDIT/audit',
    );
    expect(found[1]!.summary).toContain('(1 ALLOWED)');
  });

  it('recognises the stream in other API calls, and leaves provisioning and reading alone', () => {
    expect(
      rulesOf(
        attempts(
          change({
            time: '2026-11-24T14:00:00.000000000Z',
            operation: 'other',
            target: 'STREAM.SNAPSHOT.AUDIT_JS_ADVISORIES',
          }),
        ),
      ),
    ).toEqual(['audit-stream-attempt critical AUDIT_JS_ADVISORIES']);
    expect(
      attempts(
        change({ time: '2026-11-24T14:00:00.000000000Z', operation: 'stream.create', target: 'SYS_EVENTS' }),
        change({ time: '2026-11-24T14:00:01.000000000Z', operation: 'consumer.create', target: 'SYS_EVENTS/reader' }),
        change({ time: '2026-11-24T14:00:02.000000000Z', operation: 'consumer.delete', target: 'SYS_EVENTS/reader' }),
        change({ time: '2026-11-24T14:00:03.000000000Z', operation: 'stream.purge', target: 'SYS_EVENTS_COPY' }),
      ),
    ).toEqual([]);
  });
});

describe('gap', () => {
  it('fires per stream with gaps: high for transactions, critical for the audit streams', () => {
    const r = ordinary();
    r.streams = r.streams.map((s) =>
      s.stream === 'TRANSACTIONS'
        ? {
            ...s,
            gaps: [
              [2, 2],
              [700, 701],
            ],
            missing: 3,
          }
        : s.stream === 'SYS_EVENTS'
          ? { ...s, gaps: [[5, 1_000_000_000]], missing: 999_999_996 }
          : s,
    );
    const found = only(detect(r, context()), 'gap');
    expect(rulesOf(found)).toEqual(['gap critical SYS_EVENTS', 'gap high TRANSACTIONS']);
    const tx = found.find((d) => d.subject === 'TRANSACTIONS')!;
    expect(tx.summary).toBe('transactions stream TRANSACTIONS: 3 messages missing (seq 2, 700-701) of seq 1-1250');
    expect(tx.evidence).toEqual([2, 700, 701].map((seq) => ({ stream: 'TRANSACTIONS', seq })));
    expect(tx.at).toBe('2026-11-24T14:00:00.123456789Z');
    // A huge gap is not enumerated: the evidence stops at the bound.
    expect(found.find((d) => d.subject === 'SYS_EVENTS')!.evidence).toHaveLength(MAX_DETECTION_EVIDENCE);
  });
});

describe('malformed-event and forged-event', () => {
  const raw = (subject: string, data: string, seq: number): RawMessage => ({
    stream: 'SYS_EVENTS',
    kind: 'system-events',
    seq,
    subject,
    ts: 1n,
    data: new TextEncoder().encode(data),
  });
  const reasonOf = (m: RawMessage) => {
    const r = parseMessage(m, { ownConsumerPrefix: 'sox-report_' });
    if (r.ok) throw new Error('expected unparseable');
    return r.unparseable;
  };
  const forged = reasonOf(
    raw(
      '$SYS.ACCOUNT.APP.CONNECT',
      JSON.stringify({ type: 'io.nats.server.advisory.v1.client_connect', client: { acc: 'AUDIT', user: 'x' } }),
      7,
    ),
  );
  const broken = reasonOf(
    raw('$SYS.ACCOUNT.APP.CONNECT', '{"note": "subject is for account A but the payload names account B", ', 8),
  );

  it('tell a forged event from a malformed one by the kind the parser gave it', () => {
    expect(forged.reason).toBe('subject is for account APP but the payload names account AUDIT');
    expect(forged.kind).toBe('forged');
    // A JSON error quotes the payload: its words cannot make a broken message look forged.
    expect(broken.reason).toMatch(/^payload is not valid JSON/);
    expect(broken.kind).toBe('malformed');
    // Every other reason's kind is asserted where it is made (test/unit/events/parse.test.ts).
  });

  it('fire once per stream: forged critical, malformed medium', () => {
    const r = ordinary();
    r.unparseableEvents = [
      broken,
      forged,
      {
        stream: 'TRANSACTIONS',
        seq: 3,
        subject: 'tx.created',
        reason: 'a transaction must be a JSON object',
        kind: 'malformed',
      },
    ];
    r.unparseable = 5; // two more than the report lists
    const found = detect(r, context());
    expect(rulesOf(found)).toEqual([
      'malformed-event medium SYS_EVENTS',
      'malformed-event medium TRANSACTIONS',
      'forged-event critical SYS_EVENTS',
    ]);
    expect(found.find((d) => d.rule === 'forged-event')!).toMatchObject({
      evidence: [{ stream: 'SYS_EVENTS', seq: 7 }],
      at: r.period.from,
      summary:
        '1 forged message in SYS_EVENTS: seq 7 ($SYS.ACCOUNT.APP.CONNECT): ' +
        'subject is for account APP but the payload names account AUDIT; ' +
        '2 more not understood are not listed in the report',
    });
  });
});

describe('stream-settings-weakened', () => {
  it('fires per stream with drift findings: critical on an audit stream', () => {
    const driftFindings = [
      {
        stream: 'SYS_EVENTS',
        findings: [
          'deny_delete is off (messages can be deleted)',
          'max_msgs is 10 (the oldest events are dropped silently when it is reached)',
        ],
      },
      { stream: 'TRANSACTIONS', findings: ['deny_purge is off (the stream can be purged)'] },
      { stream: 'APP_JS_ADVISORIES', findings: [] },
    ];
    const found = detect(ordinary(), context({ driftFindings }));
    expect(rulesOf(found)).toEqual([
      'stream-settings-weakened critical SYS_EVENTS',
      'stream-settings-weakened high TRANSACTIONS',
    ]);
    expect(found[0]).toMatchObject({
      at: ordinary().generatedAt,
      evidence: [],
      summary:
        'audit stream SYS_EVENTS is weaker than its tamper-resistant settings: ' +
        'deny_delete is off (messages can be deleted), max_msgs is 10 (the oldest events are dropped ' +
        'silently when it is reached)',
    });
    expect(detect(ordinary(), context())).toEqual([]);
  });

  it('fires on what weakened since the previous report, not again on a stream that stayed as weak', () => {
    const previous = {
      ...ordinary(),
      streamSettings: [
        { source: 'app', stream: 'TRANSACTIONS', findings: ['deny_purge is off (the stream can be purged)'] },
      ],
    };
    const same = [{ stream: 'TRANSACTIONS', findings: ['deny_purge is off (the stream can be purged)'] }];
    expect(detect(ordinary(), context({ previous, driftFindings: same }))).toEqual([]);
    const worse = [
      {
        stream: 'TRANSACTIONS',
        findings: ['deny_purge is off (the stream can be purged)', 'deny_delete is off (messages can be deleted)'],
      },
    ];
    const found = detect(ordinary(), context({ previous, driftFindings: worse }));
    expect(found.map((d) => d.summary)).toEqual([
      'stream TRANSACTIONS is weaker than its tamper-resistant settings: deny_delete is off (messages can be deleted)',
    ]);
  });
});

describe('detections as the incident record takes them', () => {
  it('are dated by the report day: the daily date, or the local day an ad-hoc period starts', () => {
    const r = ordinary();
    expect(reportDay(r)).toBe('2026-11-24');
    const adhoc = adhocPeriod('2026-11-25T03:00:00Z', '2026-11-25T09:00:00Z', TZ);
    r.period = { from: formatInstant(adhoc.from), to: formatInstant(adhoc.to), timezone: TZ, kind: 'adhoc' };
    expect(reportDay(r)).toBe('2026-11-24'); // 22:00 the evening before, in New York
    r.period.timezone = 'UTC';
    expect(reportDay(r)).toBe('2026-11-25');
  });

  it('keep hostile names on one line and within the record’s limits', () => {
    const r = withFailures(
      ordinary(),
      failures(HOSTILE.header, HOSTILE.longToken.repeat(8), times('2026-11-24T14:00:00Z', 6, MINUTE)),
    );
    const found = detect(r, context());
    expect(found.map((d) => d.rule)).toEqual(['brute-force-user', 'brute-force-host', 'unknown-user']);
    for (const d of found) {
      const opened = openedEvent(d);
      expect(opened.summary).not.toMatch(/[\r\n]/);
      expect(opened.subject.length).toBeLessThanOrEqual(500);
    }
    expect(found[0]!.subject).toBe('evil\\u000d\\u000aBcc: attacker@example.com');
  });

  it('work on a report from the captured events as the aggregate builds it', () => {
    const s = emptyAggregate();
    const ts = parseInstant('2026-11-24T14:00:00Z')!;
    for (let i = 0; i < 6; i++) {
      addMessage(
        s,
        {
          stream: 'SYS_EVENTS',
          kind: 'system-events',
          seq: i + 1,
          subject: '$SYS.SERVER.NABC.CLIENT.AUTH.ERR',
          ts: ts + BigInt(i) * 1_000_000_000n,
          data: new TextEncoder().encode(
            JSON.stringify({
              type: 'io.nats.server.advisory.v1.client_disconnect',
              client: { acc: '$G', user: 'app', host: '127.0.0.1' },
              reason: 'Authentication Failure',
            }),
          ),
        },
        { ownConsumerPrefix: 'sox-report_' },
      );
    }
    const r = buildReport(dailyPeriod('2026-11-24', TZ), [], s, 0n, { topN: 50 }, previousDay());
    expect(r.authFailureEvents).toHaveLength(6);
    expect(rulesOf(detect(r, context()))).toEqual([
      'brute-force-user high app',
      'brute-force-host high 127.0.0.1',
      'unknown-user medium app',
    ]);
  });
});
