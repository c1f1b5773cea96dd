import { describe, expect, it } from 'vitest';
import { cellText, formatBoundary, formatDuration, formatTime } from '../../../functions/render/format.js';
import { buildViewModel, overallStatus } from '../../../functions/render/view-model.js';
import type { Table } from '../../../functions/render/view-model-types.js';
import { heavyReport, HOSTILE, NON_LATIN, SAMPLE_BRANDING, sampleReport } from '../../support/sample-report.js';

const TZ = 'America/New_York';
const view = (report = sampleReport(), maxRows = 500) =>
  buildViewModel(report, { branding: SAMPLE_BRANDING, maxRows, signed: true });
const table = (id: string, vm = view()): Table => vm.sections.flatMap((s) => s.tables).find((t) => t.id === id)!;
const texts = (t: Table) => t.rows.map((row) => row.map((cell) => cellText(cell, TZ)));

describe('formatting', () => {
  it('shows a stored instant in the report time zone with all nine digits', () => {
    expect(formatTime('2026-11-24T14:00:00.123456789Z', TZ)).toBe('2026-11-24 09:00:00.123456789 -05:00');
    expect(formatTime('2026-07-01T12:00:00.000000001Z', TZ)).toBe('2026-07-01 08:00:00.000000001 -04:00');
    // Around the DST change of 2026-11-01 (02:00 EDT becomes 01:00 EST): the same wall time twice, told apart by the
    // offset.
    expect(formatTime('2026-11-01T05:30:00.000000000Z', TZ)).toBe('2026-11-01 01:30:00.000000000 -04:00');
    expect(formatTime('2026-11-01T06:30:00.000000000Z', TZ)).toBe('2026-11-01 01:30:00.000000000 -05:00');
    expect(formatTime('2026-11-24T00:00:00.5Z', 'Asia/Kolkata')).toBe('2026-11-24 05:30:00.500000000 +05:30');
    expect(formatTime('2026-11-24T00:00:00Z', 'UTC')).toBe('2026-11-24 00:00:00.000000000 +00:00');
  });
  it('spells out period boundaries with the zone abbreviation and offset', () => {
    expect(formatBoundary('2026-11-24T05:00:00.000000000Z', TZ)).toBe('Tue 24 Nov 2026 00:00:00 EST (-05:00)');
  });
  it('writes durations as people read them', () => {
    expect(formatDuration(12.5)).toBe('12.5 s');
    expect(formatDuration(245)).toBe('4 min 05 s');
    expect(formatDuration(7384.5)).toBe('2 h 03 min 05 s');
    expect(formatDuration(90_061)).toBe('1 d 01 h 01 min');
  });
});

describe('buildViewModel', () => {
  it('spells out the period, its length and where it is in UTC', () => {
    const vm = view();
    expect(vm.period).toMatchObject({
      heading: 'Daily report for Tuesday, November 24, 2026 (America/New_York)',
      fromLocal: 'Tue 24 Nov 2026 00:00:00 EST (-05:00)',
      toLocal: 'Wed 25 Nov 2026 00:00:00 EST (-05:00)',
      fromUtc: '2026-11-24T05:00:00.000000000Z',
      hours: 24,
      length: '24 hours',
    });
    expect(vm.generatedAtLocal).toBe('2026-11-25 01:00:01.250000000 -05:00');
  });

  it('gives a DST day its 25 hours', () => {
    const report = sampleReport();
    report.period = {
      ...report.period,
      from: '2026-11-01T04:00:00.000000000Z',
      to: '2026-11-02T05:00:00.000000000Z',
      date: '2026-11-01',
    };
    expect(view(report).period.length).toBe('25 hours');
  });

  it('fails overall when a control fails, warns when one warns, and passes only when all pass', () => {
    const c = (status: 'pass' | 'fail' | 'warn' | 'not-applicable') => ({
      id: status,
      title: status,
      status,
      detail: '',
    });
    expect(overallStatus([c('pass'), c('warn'), c('fail')])).toBe('fail');
    expect(overallStatus([c('pass'), c('warn')])).toBe('warn');
    expect(overallStatus([c('pass'), c('not-applicable')])).toBe('pass');
    expect(overallStatus([])).toBe('not-applicable');
    const vm = view();
    expect([vm.status, vm.statusSentence]).toEqual(['fail', '1 of 3 controls failed and 1 warned: see Safeguards.']);
    expect(vm.failedControls.map((x) => x.id)).toEqual(['completeness']);
    expect(vm.openIncidents.map((i) => i.id)).toEqual(['INC-20261124-0001']);
  });

  it('orders the sections as the SOX checklist does', () => {
    expect(view().sections.map((s) => s.id)).toEqual([
      'tampering',
      'timeline',
      'access',
      'safeguards',
      'incidents',
      'completeness',
      'unparseable',
    ]);
  });

  it('carries the key figures of the report', () => {
    const figures = Object.fromEntries(view().keyFigures.map((f) => [f.label, cellText(f.value, TZ)]));
    expect(figures).toEqual({
      'Controls failed': '1',
      'Open incidents': '1',
      Connections: '42',
      'Authentication failures': '7',
      'JetStream changes': '3',
      'Refused changes': '1',
      'Financial transactions': '1,247',
      'Missing messages': '3',
      'Events not understood': '2',
    });
  });

  it(
    "keeps hostile and non-Latin values as they are (escaping is the renderers' job) and says where a value is " +
      'not recorded',
    () => {
      const logins = texts(table('logins-by-user'));
      expect(logins[0]).toEqual([
        'APP',
        'payments-svc',
        '30',
        '30',
        '2 h 03 min 05 s',
        '1 h 00 min 00 s',
        `payments-1, ${HOSTILE.script}`,
        '10.0.0.7, 10.0.0.8',
      ]);
      expect(logins[1]![1]).toBe(NON_LATIN.greek);
      expect(logins[1]![6]).toBe(`${NON_LATIN.cyrillic}, ${HOSTILE.longToken}, …`);
      expect(texts(table('auth-failures-by-user'))).toEqual([
        ['mallory', '5'],
        [NON_LATIN.cyrillic, '1'],
        ['—', '1'],
      ]);
      const changes = texts(table('jetstream-changes'));
      expect(changes[2]).toEqual([
        '2026-11-24 18:30:00.000000000 -05:00',
        'APP',
        '—',
        '—',
        'stream.purge',
        'SYS_EVENTS',
        'REFUSED',
        HOSTILE.header,
      ]);
    },
  );

  it('lists the financial records with their stored times, the deleted ones, and the deletions asked for', () => {
    expect(texts(table('transactions'))[0]).toEqual([
      '2026-11-24 09:00:00.123456789 -05:00',
      'TRANSACTIONS',
      '1',
      'tx.created',
    ]);
    expect(table('transactions').omittedNote).toBe(
      '1,245 more rows are not shown here; every record is in the stream itself, by sequence.',
    );
    expect(texts(table('deleted-records'))).toEqual([['TRANSACTIONS', '2, 700–701', '3']]);
    expect(texts(table('deletions')).map((r) => [r[3], r[4], r[5]])).toEqual([
      ['msg.delete', 'TRANSACTIONS', 'OK'],
      ['stream.purge', 'SYS_EVENTS', 'REFUSED'],
    ]);
  });

  it('bounds detail tables and says how many rows were left out', () => {
    const vm = view(heavyReport(3000), 100);
    const changes = table('jetstream-changes', vm);
    expect([changes.rows.length, changes.total, changes.omitted]).toEqual([100, 3000, 2900]);
    expect(changes.omittedNote).toMatch(/^2,900 more rows are not shown here/);
    expect(table('controls', vm).omitted).toBe(0);
  });

  it('says so when there is nothing to list', () => {
    const report = sampleReport();
    report.incidents = [];
    const vm = view(report);
    expect(table('incident-list', vm).rows).toEqual([]);
    expect(table('incident-list', vm).emptyText).toBe('No security incident was detected in this period.');
    expect(table('incidents-open', vm).emptyText).toBe('No incident is open.');
  });

  it('writes sentences with the shared number format and plurals', () => {
    const [tampering, timeline, access] = view().sections;
    expect(tampering!.paragraphs[0]).toBe(
      '42 client connections and 40 disconnections by 4 users; 1 leaf node connection; 7 failed logins.',
    );
    expect(timeline!.paragraphs[0]).toBe(
      '1,247 financial transactions stored between 2026-11-24 09:00:00.123456789 -05:00 and 2026-11-24 ' +
        '16:00:00.000000000 -05:00.',
    );
    expect(access!.paragraphs[0]).toBe(
      '3 JetStream changes (msg.delete 1, stream.create 1, stream.purge 1), 1 refused. ' +
        "120 read-only API calls; 8 of them this report's own reads, not counted as activity.",
    );
  });
});

describe('incidents in the documents', () => {
  it('separates those detected in the period, those resolved in it (who, note) and those still open (age)', () => {
    const report = sampleReport();
    report.incidents = [
      {
        id: 'INC-A',
        rule: 'brute-force-user',
        severity: 'high',
        status: 'open',
        summary: 'mallory',
        openedInPeriod: true,
        resolvedInPeriod: false,
        ageDays: 0,
        acknowledged: null,
        resolved: null,
      },
      {
        id: 'INC-B',
        rule: 'message-deleted',
        severity: 'medium',
        status: 'resolved',
        summary: 'seq 2',
        openedInPeriod: false,
        resolvedInPeriod: true,
        ageDays: 3,
        acknowledged: null,
        resolved: {
          at: '2026-11-24T15:00:00.000000000Z',
          by: 'Jane Roe (AUDIT/audit)',
          note: 'restored from the ledger',
        },
      },
      {
        id: 'INC-C',
        rule: 'stream-purged',
        severity: 'high',
        status: 'acknowledged',
        summary: 'purge',
        openedInPeriod: false,
        resolvedInPeriod: false,
        ageDays: 12,
        acknowledged: { at: '2026-11-20T10:00:00.000000000Z', by: 'ops (APP/ops)', note: 'looking' },
        resolved: null,
      },
    ];
    const vm = view(report);
    expect(texts(table('incident-list', vm)).map((r) => r[0])).toEqual(['INC-A']);
    expect(texts(table('incidents-resolved', vm))).toEqual([
      [
        'INC-B',
        'message-deleted',
        '2026-11-24 10:00:00.000000000 -05:00',
        'Jane Roe (AUDIT/audit)',
        'restored from the ledger',
      ],
    ]);
    expect(texts(table('incidents-open', vm))).toEqual([
      ['INC-A', 'brute-force-user', 'high', 'OPEN', '0', '—'],
      ['INC-C', 'stream-purged', 'high', 'WARNING', '12', 'ops (APP/ops): looking'],
    ]);
    expect(vm.sections.find((s) => s.id === 'incidents')!.paragraphs).toEqual([
      '1 incident detected in this period; 1 resolved in it; 2 still open.',
    ]);
  });
});
