import { describe, expect, it } from 'vitest';
import { decodeIncidentMessage, eventSubject } from '../../../functions/incidents/codec.js';
import { openedEvent, type Detection } from '../../../functions/incidents/model.js';

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
    expect(decodeIncidentMessage({ seq: 3, subject, storedAt: 't', data: encode(opened) }, prefix)).toEqual({
      seq: 3,
      storedAt: 't',
      event: opened,
    });
  });

  it('turns garbage and schema violations into anomalies', () => {
    expect(
      decodeIncidentMessage({ seq: 1, subject, storedAt: 't', data: new Uint8Array([0xff, 0xfe]) }, prefix),
    ).toMatchObject({ kind: 'unreadable', seq: 1 });
    const noNote = {
      type: 'resolved',
      id: opened.id,
      at: '2026-03-09T00:00:00Z',
      by: { identity: 'AUDIT/audit', name: null },
      note: '',
    };
    expect(
      decodeIncidentMessage(
        { seq: 2, subject: eventSubject(prefix, opened.id, 'resolved'), storedAt: 't', data: encode(noNote) },
        prefix,
      ),
    ).toMatchObject({
      kind: 'unreadable',
      detail: expect.stringContaining('note'),
    });
  });

  it('refuses a body filed under another incident or type than its subject', () => {
    const resolved = {
      type: 'resolved',
      id: opened.id,
      at: '2026-03-09T00:00:00Z',
      by: { identity: 'x', name: null },
      note: 'fine',
    };
    expect(
      decodeIncidentMessage(
        { seq: 4, subject: eventSubject(prefix, opened.id, 'acknowledged'), storedAt: 't', data: encode(resolved) },
        prefix,
      ),
    ).toMatchObject({
      kind: 'subject-mismatch',
      id: opened.id,
    });
  });
});
