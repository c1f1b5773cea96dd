import { describe, expect, it } from 'vitest';
import { incidentAlert, stderrAlerts } from '../../../functions/incidents/alerts.js';
import { decodeIncidentMessage, eventSubject } from '../../../functions/incidents/codec.js';
import { incidentDetail, incidentTable } from '../../../functions/incidents/format.js';
import { visible } from '../../../functions/text/visible.js';
import { deriveIncidents, openedEvent, type Detection } from '../../../functions/incidents/model.js';
import { incidentStreamSpec, planIncidentStream } from '../../../functions/incidents/stream.js';

const detection: Detection = {
  rule: 'unknown-user',
  severity: 'medium',
  subject: 'evil\u001b[2Juser',
  summary: 'login attempts with an unknown user name',
  day: '2026-03-08',
  at: '2026-03-08T07:30:00Z',
  evidence: [{ stream: 'SYS_EVENTS', seq: 9 }],
};
const opened = openedEvent(detection);
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('decodeIncidentMessage', () => {
  const prefix = 'sox.incidents';
  const subject = eventSubject(prefix, opened.id, 'opened');

  it('reads an event stored on its own subject', () => {
    expect(decodeIncidentMessage({ seq: 3, subject, storedAt: 't', data: encode(opened) }, prefix)).toEqual({ seq: 3, storedAt: 't', event: opened });
  });

  it('turns garbage and schema violations into anomalies', () => {
    expect(decodeIncidentMessage({ seq: 1, subject, storedAt: 't', data: new Uint8Array([0xff, 0xfe]) }, prefix)).toMatchObject({ kind: 'unreadable', seq: 1 });
    const noNote = { type: 'resolved', id: opened.id, at: '2026-03-09T00:00:00Z', by: { identity: 'AUDIT/audit', name: null }, note: '' };
    expect(decodeIncidentMessage({ seq: 2, subject: eventSubject(prefix, opened.id, 'resolved'), storedAt: 't', data: encode(noNote) }, prefix)).toMatchObject({
      kind: 'unreadable',
      detail: expect.stringContaining('note'),
    });
  });

  it('refuses a body filed under another incident or type than its subject', () => {
    const resolved = { type: 'resolved', id: opened.id, at: '2026-03-09T00:00:00Z', by: { identity: 'x', name: null }, note: 'fine' };
    expect(decodeIncidentMessage({ seq: 4, subject: eventSubject(prefix, opened.id, 'acknowledged'), storedAt: 't', data: encode(resolved) }, prefix)).toMatchObject({
      kind: 'subject-mismatch',
      id: opened.id,
    });
  });
});

describe('terminal output', () => {
  const state = deriveIncidents([{ seq: 1, storedAt: '2026-03-08T12:00:00.000000000Z', event: opened }]).incidents.get(opened.id)!;

  it('never passes control characters to the terminal', () => {
    expect(visible('a\u001b[31mb\u202ec')).toBe('a\\u001B[31mb\\u202Ec');
    const lines = [...incidentTable([state], new Date('2026-03-10T08:00:00Z')), ...incidentDetail(state, [], new Date())];
    expect(lines.join('\n')).not.toMatch(/\u001b/);
  });

  it('lists id, status, severity, age, rule and subject', () => {
    const [header, row] = incidentTable([state], new Date('2026-03-10T08:00:00Z'));
    expect(header).toMatch(/^ID\s+STATUS\s+SEVERITY\s+AGE\s+RULE\s+SUBJECT$/);
    expect(row).toMatch(new RegExp(`^${opened.id}\\s+open\\s+medium\\s+2d\\s+unknown-user\\s+evil\\\\u001B\\[2Juser$`));
  });

  it('alerts with the triage fields only', () => {
    expect(incidentAlert(state)).toEqual({
      type: 'incident.opened',
      id: opened.id,
      rule: 'unknown-user',
      severity: 'medium',
      subject: detection.subject,
      summary: detection.summary,
      day: '2026-03-08',
      openedAt: detection.at,
    });
    const lines: string[] = [];
    void stderrAlerts((l) => lines.push(l)).incidentOpened(state);
    expect(lines).toEqual([`ALERT MEDIUM ${opened.id}: login attempts with an unknown user name (rule unknown-user, subject evil\\u001B[2Juser)\n`]);
  });
});

describe('incident stream settings', () => {
  const spec = incidentStreamSpec({ duplicateWindowMs: 1000 });

  it('is append-only, file-backed and never expires', () => {
    expect(spec).toMatchObject({
      name: 'INCIDENTS',
      subjects: ['sox.incidents.>'],
      storage: 'file',
      discard: 'old',
      deny_delete: true,
      deny_purge: true,
      allow_rollup_hdrs: false,
      max_age: 0,
      duplicate_window: 1e9,
    });
    expect(incidentStreamSpec().duplicate_window).toBe(120e9);
  });

  it('refuses names that are not a stream name or a subject prefix', () => {
    expect(() => incidentStreamSpec({ stream: 'A.B' })).toThrow(/stream name/);
    expect(() => incidentStreamSpec({ subjectPrefix: 'sox.>' })).toThrow(/prefix/);
  });

  it('judges an existing stream, including an age limit', () => {
    const good = { subjects: ['sox.incidents.>'], storage: 'file', retention: 'limits', discard: 'old', deny_delete: true, deny_purge: true, allow_rollup_hdrs: false, max_age: 0 };
    expect(planIncidentStream(spec, null).action).toBe('create');
    expect(planIncidentStream(spec, good).action).toBe('ok');
    const weak = planIncidentStream(spec, { ...good, deny_purge: false, max_age: 30 * 86_400e9 });
    expect(weak.action).toBe('drift');
    expect(weak.action === 'drift' && weak.findings).toEqual(['deny_purge is off (the stream can be purged)', 'max_age is 30 days (incidents would expire from the record)']);
  });
});
