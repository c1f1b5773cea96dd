import { describe, expect, it } from 'vitest';
import { redact } from '../../../functions/incidents/http.js';
import {
  doneTransition,
  jiraAuthorization,
  jiraError,
  jiraInstant,
  jiraResolution,
  searchPath,
  hasComment,
} from '../../../functions/incidents/jira.js';
import { deriveIncidents, type StoredIncidentEvent } from '../../../functions/incidents/model.js';
import { decodeNotice, deriveNotices, isNoticeSubject } from '../../../functions/incidents/notifications.js';
import {
  pagerdutyApiHeaders,
  pagerdutyBody,
  pagerdutyError,
  pagerdutyIncidentsUrl,
  pagerdutyResolution,
  pagerdutyUrl,
} from '../../../functions/incidents/pagerduty.js';

const ID = 'INC-20261124-brute-force-2bd806c9';
const opened: StoredIncidentEvent = {
  seq: 1,
  storedAt: '2026-11-24T15:00:00.000000000Z',
  event: {
    type: 'opened',
    id: ID,
    rule: 'brute-force',
    severity: 'medium',
    subject: 'alice',
    summary: 'repeated failed logins for alice',
    day: '2026-11-24',
    at: '2026-11-24T14:03:07.000000000Z',
    evidence: [{ stream: 'SYS_EVENTS', seq: 7 }],
  },
};
const incident = deriveIncidents([opened]).incidents.get(ID)!;
const link = {
  type: 'link' as const,
  id: ID,
  integration: 'jira',
  change: 'opened' as const,
  at: '2026-11-24T15:01:00.000Z',
  key: 'SEC-7',
  url: 'https://acme.atlassian.net/browse/SEC-7',
};

describe('PagerDuty events', () => {
  it('triggers with the payload on its severity scale, and acknowledges and resolves by the dedup key alone', () => {
    expect(pagerdutyUrl('https://events.pagerduty.com/')).toBe('https://events.pagerduty.com/v2/enqueue');
    expect(JSON.parse(pagerdutyBody(incident, 'opened', 'KEY'))).toEqual({
      routing_key: 'KEY',
      event_action: 'trigger',
      dedup_key: ID,
      payload: {
        summary: `${ID}: repeated failed logins for alice`,
        severity: 'warning',
        source: 'alice',
        custom_details: {
          incident: ID,
          rule: 'brute-force',
          severity: 'medium',
          day: '2026-11-24',
          openedAt: '2026-11-24T14:03:07.000000000Z',
          evidence: [{ stream: 'SYS_EVENTS', seq: 7 }],
        },
      },
    });
    expect(pagerdutyBody(incident, 'resolved', 'KEY')).toBe(
      `{"routing_key":"KEY","event_action":"resolve","dedup_key":"${ID}"}`,
    );
  });

  it("words a refusal with PagerDuty's reason", () => {
    const answer = JSON.stringify({ status: 'invalid event', message: 'Event object is invalid', errors: ['a', 'b'] });
    expect(pagerdutyError(400, answer)).toBe('HTTP 400: Event object is invalid (a; b)');
    expect(pagerdutyError(502, '<html>bad gateway</html>')).toBe('HTTP 502');
    expect(pagerdutyError(401, JSON.stringify({ error: { message: 'Unauthorized', code: 2006 } }))).toBe(
      'HTTP 401: Unauthorized',
    );
  });

  it('reads a resolved PagerDuty incident of ours back as a resolution, and nothing else', () => {
    const now = new Date('2026-12-04T11:00:00Z');
    const resolvedOne = {
      id: 'Q1ABC',
      incident_key: ID,
      status: 'resolved',
      html_url: 'https://acme.pagerduty.com/incidents/Q1ABC',
      last_status_change_at: '2026-12-04T10:15:00Z',
      last_status_change_by: { type: 'user_reference', summary: 'Grace Hopper' },
    };
    expect(pagerdutyIncidentsUrl('https://api.pagerduty.com/', ID)).toBe(
      `https://api.pagerduty.com/incidents?incident_key=${ID}`,
    );
    expect(pagerdutyApiHeaders('TOKEN')).toEqual({
      Accept: 'application/vnd.pagerduty+json;version=2',
      Authorization: 'Token token=TOKEN',
    });
    expect(pagerdutyResolution({ incidents: [resolvedOne] }, ID, now)).toEqual({
      at: '2026-12-04T10:15:00.000000000Z',
      by: { identity: 'pagerduty:Grace Hopper', name: null },
      note: 'resolved in PagerDuty: Q1ABC (https://acme.pagerduty.com/incidents/Q1ABC)',
      link: 'https://acme.pagerduty.com/incidents/Q1ABC',
    });
    const anonymous = { ...resolvedOne, last_status_change_by: null, last_status_change_at: 'soon', html_url: 'x' };
    expect(pagerdutyResolution({ incidents: [anonymous] }, ID, now)).toEqual({
      at: '2026-12-04T11:00:00.000Z',
      by: { identity: 'pagerduty:unknown', name: null },
      note: 'resolved in PagerDuty: Q1ABC',
    });
    expect(pagerdutyResolution({ incidents: [{ ...resolvedOne, status: 'acknowledged' }] }, ID, now)).toBeNull();
    expect(pagerdutyResolution({ incidents: [{ ...resolvedOne, incident_key: 'other' }] }, ID, now)).toBeNull();
    expect(pagerdutyResolution({ incidents: [] }, ID, now)).toBeNull();
    expect(pagerdutyResolution(null, ID, now)).toBeNull();
  });
});

describe('Jira', () => {
  it('authenticates with email:token and searches by the incident label', () => {
    expect(jiraAuthorization('me@example.com:tok')).toBe(`Basic ${btoa('me@example.com:tok')}`);
    expect(jiraAuthorization('just-a-token')).toBeNull();
    expect(jiraAuthorization('me@example.com:')).toBeNull();
    expect(searchPath(ID)).toBe(`/rest/api/2/search?jql=labels%3D%22sox-incident-${ID}%22&fields=key&maxResults=1`);
  });

  it('picks the transition into the done category, and reads a done issue as a resolution', () => {
    const transitions = [
      { id: '11', to: { statusCategory: { key: 'indeterminate' } } },
      { id: '41', to: { statusCategory: { key: 'done' } } },
    ];
    expect(doneTransition({ transitions })).toBe('41');
    expect(doneTransition({ transitions: transitions.slice(0, 1) })).toBeNull();
    expect(jiraInstant('2026-11-25T09:30:00.000+0100')).toBe('2026-11-25T08:30:00.000000000Z');
    expect(jiraInstant('yesterday')).toBeNull();
    const now = new Date('2026-11-26T00:00:00.000Z');
    const done = (assignee: unknown, resolutiondate: unknown) => ({
      fields: { status: { name: 'Closed', statusCategory: { key: 'done' } }, assignee, resolutiondate },
    });
    expect(
      jiraResolution(done({ displayName: 'Ada' }, '2026-11-25T09:30:00.000+0000'), 'https://j/', 'SEC-7', now),
    ).toEqual({
      at: '2026-11-25T09:30:00.000000000Z',
      by: { identity: 'jira:Ada', name: null },
      note: 'resolved in Jira: SEC-7 is Closed (https://j/browse/SEC-7)',
      link: 'https://j/browse/SEC-7',
    });
    expect(jiraResolution(done(null, null), 'https://j', 'SEC-7', now)).toMatchObject({
      at: '2026-11-26T00:00:00.000Z',
      by: { identity: 'jira:unknown', name: null },
    });
    const open = { fields: { status: { statusCategory: { key: 'indeterminate' } } } };
    expect(jiraResolution(open, 'https://j', 'SEC-7', now)).toBeNull();
  });

  it('finds a comment a lost answer already posted, by its exact text only', () => {
    const text = 'Acknowledged by AUDIT/audit at 2026-12-04T09:00:00.000000000Z: on it (INC-1)';
    expect(
      hasComment(
        {
          comments: [
            { id: '1', body: 'other' },
            { id: '2', body: text },
          ],
        },
        text,
      ),
    ).toBe(true);
    expect(hasComment({ comments: [{ id: '1', body: `${text} ` }] }, text)).toBe(false);
    expect(hasComment({ comments: [] }, text)).toBe(false);
    expect(hasComment(null, text)).toBe(false);
    expect(hasComment({ comments: 'x' }, text)).toBe(false);
  });

  it("words a refusal with Jira's messages, and never with the secret", () => {
    const answer = JSON.stringify({ errorMessages: ['No project'], errors: { summary: 'too long' } });
    expect(jiraError(400, answer)).toBe('HTTP 400: No project; summary: too long');
    expect(jiraError(503, '')).toBe('HTTP 503');
    expect(redact('bad key me@example.com:s3cr3t-token in s3cr3t-token', 'me@example.com:s3cr3t-token')).toBe(
      'bad key [redacted] in [redacted]',
    );
  });
});

describe('links in the record', () => {
  it('are read from their subject, folded first-one-stands, and an anomaly for an incident never opened', () => {
    const subject = `sox.incidents.${ID}.link.jira.opened`;
    expect(isNoticeSubject('sox.incidents', subject)).toBe(true);
    const raw = { seq: 2, subject, storedAt: link.at, data: new TextEncoder().encode(JSON.stringify(link)) };
    expect(decodeNotice(raw, 'sox.incidents')).toEqual({ seq: 2, storedAt: link.at, event: link });
    const folded = deriveNotices(
      [
        { seq: 2, storedAt: link.at, event: link },
        { seq: 3, storedAt: link.at, event: { ...link, key: 'SEC-8' } },
        { seq: 4, storedAt: link.at, event: { ...link, id: 'INC-20261124-x-00000000' } },
      ],
      deriveIncidents([opened]).incidents,
    );
    expect(folded.links).toEqual([{ id: ID, integration: 'jira', key: 'SEC-7', url: link.url }]);
    expect(folded.anomalies).toEqual([
      {
        seq: 4,
        id: 'INC-20261124-x-00000000',
        kind: 'unknown-incident',
        detail: 'link of INC-20261124-x-00000000 in jira, which was never opened',
      },
    ]);
  });
});
