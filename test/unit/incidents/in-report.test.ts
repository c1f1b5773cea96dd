import { describe, expect, it } from 'vitest';
import { incidentsForReport } from '../../../functions/incidents/in-report.js';
import {
  deriveIncidents,
  openedEvent,
  type Detection,
  type StoredIncidentEvent,
} from '../../../functions/incidents/model.js';
import { parseInstant } from '../../../functions/time/nanos.js';

const detection = (rule: string, subject: string, day: string, at: string): Detection => ({
  rule,
  severity: 'high',
  subject,
  summary: `${rule} on ${subject}`,
  day,
  at,
  evidence: [{ stream: 'SYS_EVENTS', seq: 1 }],
});

describe('incidentsForReport', () => {
  const older = openedEvent(detection('stream-purged', 'TRANSACTIONS', '2026-11-20', '2026-11-20T14:00:00.000000000Z'));
  const today = openedEvent(detection('brute-force-user', 'mallory', '2026-11-24', '2026-11-24T14:00:00.000000000Z'));
  const longDone = openedEvent(
    detection('message-deleted', 'TRANSACTIONS', '2026-11-10', '2026-11-10T14:00:00.000000000Z'),
  );
  const by = { identity: 'AUDIT/audit', name: 'Jane Roe' };
  const events: StoredIncidentEvent[] = [
    { seq: 1, storedAt: '2026-11-10T15:00:00.000000000Z', event: longDone },
    {
      seq: 2,
      storedAt: '2026-11-11T09:00:00.000000000Z',
      event: { type: 'resolved', id: longDone.id, at: '2026-11-11T09:00:00.000000000Z', by, note: 'expected clean-up' },
    },
    { seq: 3, storedAt: '2026-11-21T06:00:00.000000000Z', event: older },
    {
      seq: 4,
      storedAt: '2026-11-24T16:00:00.000000000Z',
      event: {
        type: 'resolved',
        id: older.id,
        at: '2026-11-24T16:00:00.000000000Z',
        by,
        note: 'purge was the quarterly archive job',
      },
    },
    { seq: 5, storedAt: '2026-11-25T06:00:00.000000000Z', event: today },
  ];
  const period = { from: parseInstant('2026-11-24T05:00:00Z')!, to: parseInstant('2026-11-25T05:00:00Z')! };
  const shown = incidentsForReport(deriveIncidents(events), period, new Date('2026-11-25T06:00:00Z'));

  it(
    'shows what was detected in the period, what was resolved in it, and what is still open; ' +
      'not what was closed long ago',
    () => {
      expect(shown.map((i) => [i.id, i.status, i.openedInPeriod, i.resolvedInPeriod])).toEqual([
        [older.id, 'resolved', false, true],
        [today.id, 'open', true, false],
      ]);
    },
  );

  it('says who resolved it, when and why, and how old an open one is', () => {
    expect(shown[0]!.resolved).toEqual({
      at: '2026-11-24T16:00:00.000000000Z',
      by: 'Jane Roe (AUDIT/audit)',
      note: 'purge was the quarterly archive job',
    });
    expect(shown[0]!.ageDays).toBe(4);
    expect(shown[1]!).toMatchObject({
      ageDays: 0,
      acknowledged: null,
      resolved: null,
      severity: 'high',
      summary: 'brute-force-user on mallory',
    });
  });
});
