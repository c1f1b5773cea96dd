import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { notificationsDelivered } from '../../../functions/analysis/controls/notifications.js';
import type { ControlInputs } from '../../../functions/analysis/controls/inputs.js';
import { deriveIncidents, type StoredIncidentEvent } from '../../../functions/incidents/model.js';
import {
  decodeNotice,
  deriveNotices,
  dueNotices,
  isNoticeSubject,
  noticesToQueue,
  retryDelayMs,
  undeliveredNotices,
  type StoredNotice,
} from '../../../functions/incidents/notifications.js';
import { webhookRequest } from '../../../functions/incidents/webhook.js';

const ID = 'INC-20261124-brute-force-2bd806c9';
const OTHER = 'INC-20261124-brute-force-aaaaaaaa';
const by = { identity: 'AUDIT/audit', name: 'Jane Roe' };

function opened(seq: number, id: string): StoredIncidentEvent {
  return {
    seq,
    storedAt: '2026-11-24T15:00:00.000000000Z',
    event: {
      type: 'opened',
      id,
      rule: 'brute-force',
      severity: 'high',
      subject: 'alice',
      summary: 'repeated failed logins for alice',
      day: '2026-11-24',
      at: '2026-11-24T14:03:07.000000000Z',
      evidence: [{ stream: 'SYS_EVENTS', seq: 7 }],
    },
  };
}

const events: StoredIncidentEvent[] = [
  opened(1, ID),
  opened(2, OTHER),
  {
    seq: 3,
    storedAt: '2026-11-24T16:00:00.000000000Z',
    event: { type: 'acknowledged', id: ID, at: '2026-11-24T16:00:00.000Z', by, note: 'on it' },
  },
  {
    seq: 4,
    storedAt: '2026-11-24T16:05:00.000000000Z',
    event: { type: 'acknowledged', id: ID, at: '2026-11-24T16:05:00.000Z', by, note: 'still on it' },
  },
  {
    seq: 5,
    storedAt: '2026-11-24T17:00:00.000000000Z',
    event: { type: 'resolved', id: OTHER, at: '2026-11-24T17:00:00.000Z', by, note: 'reset' },
  },
];
const { incidents } = deriveIncidents(events);
const notice = (seq: number, event: StoredNotice['event']): StoredNotice => ({ seq, storedAt: event.at, event });

describe('the notification queue', () => {
  it('queues every change of open incidents, the first acknowledgement only, and no incident resolved unheard', () => {
    expect(noticesToQueue(incidents.values(), [], ['hook'])).toEqual([
      { id: ID, integration: 'hook', change: 'opened', changeSeq: 1 },
      { id: ID, integration: 'hook', change: 'acknowledged', changeSeq: 3 },
    ]);
    // An integration that heard of the resolved incident's opening is told of its resolution.
    const heard = deriveNotices(
      [
        notice(6, {
          type: 'notification',
          id: OTHER,
          integration: 'hook',
          change: 'opened',
          changeSeq: 2,
          at: '2026-11-24T15:00:00.000Z',
        }),
      ],
      incidents,
    ).notices;
    expect(noticesToQueue(incidents.values(), heard, ['hook'], OTHER)).toEqual([
      { id: OTHER, integration: 'hook', change: 'resolved', changeSeq: 5 },
    ]);
  });

  it('folds tries and deliveries, backs off 5 minutes doubling to 6 hours, flags records never queued', () => {
    const base = { id: ID, integration: 'hook', change: 'opened' as const };
    const folded = deriveNotices(
      [
        notice(6, { type: 'notification', ...base, changeSeq: 1, at: '2026-11-24T15:00:00.000Z' }),
        notice(7, { type: 'attempt', ...base, at: '2026-11-24T15:00:00.000Z', error: 'HTTP 500' }),
        notice(8, { type: 'attempt', ...base, at: '2026-11-24T15:06:00.000Z', error: 'HTTP 502' }),
        notice(9, { type: 'delivered', ...base, change: 'resolved', at: '2026-11-24T15:06:00.000Z', status: 200 }),
      ],
      incidents,
    );
    expect(folded.notices).toEqual([
      {
        ...base,
        changeSeq: 1,
        queuedAt: '2026-11-24T15:00:00.000Z',
        attempts: 2,
        lastAttemptAt: '2026-11-24T15:06:00.000Z',
        lastError: 'HTTP 502',
        delivered: null,
      },
    ]);
    expect(folded.anomalies).toEqual([
      {
        seq: 9,
        id: ID,
        kind: 'unknown-incident',
        detail: `delivered for hook of the resolved of ${ID}, never queued`,
      },
    ]);
    expect([0, 1, 2, 3, 7, 8, 20].map(retryDelayMs)).toEqual([
      0, 300_000, 600_000, 1_200_000, 19_200_000, 21_600_000, 21_600_000,
    ]);
    expect(dueNotices(folded.notices, ['hook'], new Date('2026-11-24T15:15:59.999Z'))).toEqual([]);
    expect(dueNotices(folded.notices, ['hook'], new Date('2026-11-24T15:16:00.000Z'))).toHaveLength(1);
    expect(dueNotices(folded.notices, ['other'], new Date('2026-11-25T00:00:00.000Z'))).toEqual([]);
    expect(undeliveredNotices(folded.notices, ['hook'], new Date('2026-11-25T15:00:01.000Z'))).toEqual([
      {
        incident: ID,
        integration: 'hook',
        change: 'opened',
        queuedAt: '2026-11-24T15:00:00.000Z',
        attempts: 2,
        lastError: 'HTTP 502',
        nextAttemptAt: '2026-11-24T15:16:00.000Z',
        ageSeconds: 86_401,
      },
    ]);
  });

  it('decodes only records on their own subject', () => {
    const event = { type: 'delivered', id: ID, integration: 'hook', change: 'opened', at: '2026-11-24T15:00:00Z' };
    const data = new TextEncoder().encode(JSON.stringify({ ...event, status: 204 }));
    const subject = `sox.incidents.${ID}.delivered.hook.opened`;
    expect(isNoticeSubject('sox.incidents', subject)).toBe(true);
    expect(isNoticeSubject('sox.incidents', `sox.incidents.${ID}.resolved`)).toBe(false);
    expect(decodeNotice({ seq: 3, subject, storedAt: 'x', data }, 'sox.incidents')).toEqual({
      seq: 3,
      storedAt: 'x',
      event: { ...event, status: 204 },
    });
    const misfiled = `sox.incidents.${ID}.delivered.hook.resolved`;
    expect(decodeNotice({ seq: 4, subject: misfiled, storedAt: 'x', data }, 'sox.incidents')).toEqual({
      seq: 4,
      id: ID,
      kind: 'subject-mismatch',
      detail: `delivered of ${ID} stored on ${misfiled}, not ${subject}`,
    });
  });

  it('signs the exact body of a change with HMAC-SHA256 and keys it by incident and change', () => {
    const request = webhookRequest(incidents.get(ID)!, 'acknowledged', 3, 's3cret');
    expect(JSON.parse(request.body)).toEqual({
      type: 'incident.acknowledged',
      incident: {
        id: ID,
        rule: 'brute-force',
        severity: 'high',
        status: 'acknowledged',
        summary: 'repeated failed logins for alice',
        period: { day: '2026-11-24' },
        subject: 'alice',
        openedAt: '2026-11-24T14:03:07.000000000Z',
        evidence: [{ stream: 'SYS_EVENTS', seq: 7 }],
        links: [],
        change: { at: '2026-11-24T16:00:00.000Z', by, note: 'on it' },
      },
    });
    expect(request.headers).toEqual({
      'Content-Type': 'application/json',
      'X-Sox-Report-Signature': `sha256=${createHmac('sha256', 's3cret').update(request.body).digest('hex')}`,
      'Idempotency-Key': `${ID}:acknowledged`,
    });
  });
});

describe('incident-notifications-delivered', () => {
  const undelivered = (ageSeconds: number) => ({
    incident: ID,
    integration: 'hook',
    change: 'opened' as const,
    queuedAt: '2026-11-24T15:00:00.000Z',
    attempts: 1,
    lastError: 'HTTP 500',
    nextAttemptAt: '2026-11-24T15:05:00.000Z',
    ageSeconds,
  });
  const judge = (notifications: ControlInputs['notifications']) =>
    notificationsDelivered({ notifications } as ControlInputs);

  it('is not applicable to older reports or without integrations, passes when all were delivered', () => {
    expect(judge(undefined)).toEqual({
      status: 'not-applicable',
      detail: 'this report does not record incident notifications',
    });
    expect(judge({ integrations: [], recordError: null, undelivered: [] }).status).toBe('not-applicable');
    expect(judge({ integrations: ['hook'], recordError: null, undelivered: [] })).toEqual({
      status: 'pass',
      detail: 'every notification to hook was delivered',
    });
  });

  it('warns while one awaits a retry and fails once one is older than a day', () => {
    const detail = `opened of ${ID} to hook (queued 2026-11-24T15:00:00.000Z, 1 failed try, last: HTTP 500)`;
    expect(judge({ integrations: ['hook'], recordError: null, undelivered: [undelivered(86_400)] })).toEqual({
      status: 'warn',
      detail: `1 notification awaiting a retry: ${detail}`,
    });
    expect(judge({ integrations: ['hook'], recordError: null, undelivered: [undelivered(86_401)] })).toEqual({
      status: 'fail',
      detail: `1 notification undelivered for more than a day: ${detail}`,
    });
  });
});
