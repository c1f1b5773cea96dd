import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { catalogueMarkdown, CONTROLS, evaluateControls } from '../../../functions/analysis/controls/catalogue.js';
import type { ControlInputs } from '../../../functions/analysis/controls/inputs.js';
import type { StreamPlanSummary } from '../../../functions/analysis/report-model.js';
import type { ReportV1 } from '../../../functions/analysis/report-model.js';
import { operatorAccess } from '../../support/sample-access.js';
import { sampleReport } from '../../support/sample-report.js';

const STREAMS: ControlInputs['streams'] = [
  { source: 'audit', stream: 'SYS_EVENTS', kind: 'system-events', quiet: false },
  { source: 'audit', stream: 'APP_JS_ADVISORIES', kind: 'advisories', quiet: false },
  { source: 'app', stream: 'TRANSACTIONS', kind: 'transactions', quiet: false },
];
const plan = (stream: string, findings: string[] = []): StreamPlanSummary => ({
  source: 'audit',
  stream,
  kind: 'system-events',
  action: findings.length ? 'drift' : 'ok',
  findings,
});

/** A clean day: the sample report without its deletions, refused attempts, anonymous changes and bad events. */
function cleanReport(): ReportV1 {
  const r = sampleReport();
  r.streams = r.streams.map((s) => ({ ...s, gaps: [], missing: 0 }));
  r.jetstreamChanges = r.jetstreamChanges.filter((c) => c.user !== null && c.target !== 'SYS_EVENTS');
  r.unparseable = 0;
  r.unparseableEvents = [];
  r.authFailures = { total: 0, byUser: [], byHost: [] };
  // The operator-mode sample's reporting user holds only the read-only list.
  r.access = operatorAccess();
  return r;
}

function inputs(overrides: Partial<ControlInputs> = {}): ControlInputs {
  return {
    report: cleanReport(),
    streams: STREAMS,
    previous: null,
    streamPlans: STREAMS.map((s) => plan(s.stream)),
    previousBundle: { state: 'ok', detail: 'daily/2026/11/23 is archived and its manifest verifies' },
    archiveLock: { state: 'none', detail: 'a local archive has no Object Lock' },
    mirrors: null,
    incidents: [],
    incidentDeadlineDays: 7,
    ...overrides,
  };
}

const status = (results: ReturnType<typeof evaluateControls>, id: string) => results.find((r) => r.id === id)!;

describe('the control catalogue', () => {
  it('evaluates every control of the catalogue, in order, and a clean day passes all that apply', () => {
    const results = evaluateControls(inputs());
    expect(results.map((r) => r.id)).toEqual(CONTROLS.map((c) => c.id));
    expect(results.filter((r) => r.status !== 'pass').map((r) => [r.id, r.status])).toEqual([
      ['remote-mirror', 'not-applicable'],
      ['archive-lock', 'not-applicable'],
      ['reports-reviewed', 'not-applicable'],
      ['incident-notifications-delivered', 'not-applicable'],
    ]);
  });

  it('docs/controls.md is the catalogue', () => {
    expect(readFileSync(new URL('../../../docs/controls.md', import.meta.url), 'utf8')).toBe(catalogueMarkdown());
  });

  it('fails capture-configured on a missing stream or subject, and tamper-resistance on weaker settings', () => {
    const results = evaluateControls(
      inputs({
        streamPlans: [
          plan('SYS_EVENTS', [
            'does not capture $SYS.SERVER.*.CLIENT.AUTH.ERR',
            'deny_purge is off (the stream can be purged)',
          ]),
          { ...plan('APP_JS_ADVISORIES'), action: 'absent' },
        ],
        previous: {
          ...sampleReport(),
          controls: [{ id: 'capture-tamper-resistant', title: '', status: 'pass', detail: '' }],
        },
      }),
    );
    expect(status(results, 'capture-configured')).toMatchObject({
      status: 'fail',
      detail:
        'events are not being recorded: APP_JS_ADVISORIES does not exist; ' +
        'SYS_EVENTS does not capture $SYS.SERVER.*.CLIENT.AUTH.ERR (run sox-report provision)',
    });
    expect(status(results, 'capture-tamper-resistant')).toMatchObject({
      status: 'fail',
      detail:
        'SYS_EVENTS: deny_purge is off (the stream can be purged) (weakened since the previous report, ' +
        'which found them intact)',
    });
    expect(status(evaluateControls(inputs({ streamPlans: null })), 'capture-configured').status).toBe('warn');
  });

  it('catches audit messages removed between two reports, and gaps inside the period', () => {
    const previous = sampleReport();
    previous.streams = previous.streams.map((s) => (s.stream === 'SYS_EVENTS' ? { ...s, lastSeq: 90 } : s));
    const results = evaluateControls(inputs({ previous }));
    // This period's SYS_EVENTS starts at 101: 91-100 vanished between the reports.
    expect(status(results, 'audit-completeness')).toMatchObject({
      status: 'fail',
      detail:
        'messages were removed from the audit record: SYS_EVENTS: seq 91-100 were removed between the ' +
        'previous report (ended at 90) and this one',
    });
    const ends: Record<string, number> = { SYS_EVENTS: 100, APP_JS_ADVISORIES: 10 };
    previous.streams = previous.streams.map((s) => ({ ...s, lastSeq: ends[s.stream] ?? s.lastSeq }));
    expect(status(evaluateControls(inputs({ previous })), 'audit-completeness')).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(
        /^no sequence is missing, and each stream continues where the previous report ended\./,
      ),
    });
    previous.streams = previous.streams.map((s) => (s.stream === 'APP_JS_ADVISORIES' ? { ...s, lastSeq: 40 } : s));
    expect(status(evaluateControls(inputs({ previous })), 'audit-completeness').detail).toMatch(
      /but APP_JS_ADVISORIES: starts at seq 11, before the previous report's last \(40\): the periods overlap/,
    );

    const gapped = cleanReport();
    gapped.streams = gapped.streams.map((s) =>
      s.stream === 'SYS_EVENTS' ? { ...s, gaps: [[120, 121]], missing: 2 } : s,
    );
    expect(status(evaluateControls(inputs({ report: gapped })), 'audit-completeness').detail).toBe(
      'messages were removed from the audit record: SYS_EVENTS: 2 messages missing (seq 120-121)',
    );
  });

  it('names deleted financial records, and silent streams not configured as quiet', () => {
    const results = evaluateControls(inputs({ report: sampleReport() }));
    expect(status(results, 'financial-records-complete')).toMatchObject({
      status: 'fail',
      detail: 'financial records were deleted: TRANSACTIONS: 3 records missing (seq 2, 700-701)',
    });
    const silent = cleanReport();
    silent.streams = silent.streams.map((s) =>
      s.stream === 'TRANSACTIONS' ? { ...s, messages: 0, firstSeq: null, lastSeq: null } : s,
    );
    expect(status(evaluateControls(inputs({ report: silent })), 'events-flowing').status).toBe('fail');
    const quiet = STREAMS.map((s) => (s.stream === 'TRANSACTIONS' ? { ...s, quiet: true } : s));
    expect(status(evaluateControls(inputs({ report: silent, streams: quiet })), 'events-flowing').status).toBe('pass');
  });

  it(
    'fails on attempts against the audit streams, ' + 'refused or not, and warns on changes naming only the account',
    () => {
      const results = evaluateControls(inputs({ report: sampleReport() }));
      expect(status(results, 'no-tampering-attempts')).toMatchObject({
        status: 'fail',
        detail:
          '1 attempt against the audit record: stream.purge SYS_EVENTS by APP/(user not recorded) at ' +
          '2026-11-24T23:30:00.000000000Z (refused)',
      });
      expect(status(results, 'changes-attributed').status).toBe('warn');
    },
  );

  it('fails on forged events and warns on malformed ones', () => {
    expect(status(evaluateControls(inputs({ report: sampleReport() })), 'events-understood').status).toBe('fail');
    const malformed = cleanReport();
    malformed.unparseable = 1;
    malformed.unparseableEvents = [
      {
        stream: 'SYS_EVENTS',
        seq: 150,
        subject: '$SYS.ACCOUNT.APP.CONNECT',
        reason: 'payload is not valid JSON',
        kind: 'malformed',
      },
    ];
    expect(status(evaluateControls(inputs({ report: malformed })), 'events-understood').status).toBe('warn');
    // The control reads the parser's kind, never the reason's words: a JSON error that quotes "but the payload names"
    // stays malformed.
    malformed.unparseableEvents = [
      {
        stream: 'SYS_EVENTS',
        seq: 151,
        subject: '$SYS.ACCOUNT.APP.CONNECT',
        reason: 'payload is not valid JSON (Unexpected token b in "but the payload names account X")',
        kind: 'malformed',
      },
    ];
    expect(status(evaluateControls(inputs({ report: malformed })), 'events-understood').status).toBe('warn');
  });

  it('judges login incidents and every incident by their deadline', () => {
    const failing = cleanReport();
    failing.authFailures = { total: 6, byUser: [{ user: 'mallory', count: 6 }], byHost: [] };
    const open = [{ id: 'INC-1', rule: 'brute-force-user', status: 'open' as const, ageDays: 2 }];
    const results = evaluateControls(inputs({ report: failing, incidents: open }));
    expect(status(results, 'auth-failures-investigated')).toMatchObject({
      status: 'warn',
      detail: '1 login incident not yet acknowledged: INC-1',
    });
    expect(status(results, 'incident-deadline').status).toBe('pass');
    const late = [{ ...open[0]!, ageDays: 9 }];
    const overdue = evaluateControls(inputs({ report: failing, incidents: late }));
    expect(status(overdue, 'auth-failures-investigated').status).toBe('fail');
    expect(status(overdue, 'incident-deadline')).toMatchObject({
      status: 'fail',
      detail: '1 incident open longer than 7 days: INC-1 (9 days)',
    });
    const resolved = [{ ...late[0]!, status: 'resolved' as const }];
    expect(status(evaluateControls(inputs({ report: failing, incidents: resolved })), 'incident-deadline').status).toBe(
      'pass',
    );
  });

  it('reads the chain, the archive lock and mirrors as the pipeline found them', () => {
    const missing = evaluateControls(
      inputs({ previousBundle: { state: 'missing', detail: 'daily/2026/11/23 is not in the archive' } }),
    );
    expect(status(missing, 'previous-report-in-chain')).toMatchObject({
      status: 'fail',
      detail: 'daily/2026/11/23 is not in the archive',
    });
    const unlocked = evaluateControls(
      inputs({ archiveLock: { state: 'unlocked', detail: 'report.pdf is in GOVERNANCE mode' } }),
    );
    expect(status(unlocked, 'archive-lock').status).toBe('fail');
    const behind = evaluateControls(
      inputs({ mirrors: [{ stream: 'SYS_EVENTS', mirror: 'SYS_EVENTS_DR', lastSeq: 250, lag: 10 }] }),
    );
    expect(status(behind, 'remote-mirror')).toMatchObject({
      status: 'fail',
      detail: 'SYS_EVENTS_DR is 10 messages behind SYS_EVENTS',
    });
  });

  it('a control that throws fails with the reason instead of vanishing', () => {
    const broken = inputs();
    (broken as { report: unknown }).report = { ...broken.report, streams: null };
    const results = evaluateControls(broken);
    expect(results).toHaveLength(CONTROLS.length);
    expect(status(results, 'audit-completeness')).toMatchObject({ status: 'fail' });
    expect(status(results, 'audit-completeness').detail).toMatch(/^the control could not be evaluated: /);
  });
});
