import { HOSTILE_OPENED } from '../../support/incident-fixtures.js';
import { describe, expect, it } from 'vitest';
import { decodeIncidentMessage, eventSubject } from '../../../functions/incidents/codec.js';

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('decodeIncidentMessage', () => {
  const prefix = 'sox.incidents';
  const subject = eventSubject(prefix, HOSTILE_OPENED.id, 'opened');

  it('reads an event stored on its own subject', () => {
    expect(decodeIncidentMessage({ seq: 3, subject, storedAt: 't', data: encode(HOSTILE_OPENED) }, prefix)).toEqual({
      seq: 3,
      storedAt: 't',
      event: HOSTILE_OPENED,
    });
  });

  it('turns garbage and schema violations into anomalies', () => {
    expect(
      decodeIncidentMessage({ seq: 1, subject, storedAt: 't', data: new Uint8Array([0xff, 0xfe]) }, prefix),
    ).toMatchObject({ kind: 'unreadable', seq: 1 });
    const noNote = {
      type: 'resolved',
      id: HOSTILE_OPENED.id,
      at: '2026-03-09T00:00:00Z',
      by: { identity: 'AUDIT/audit', name: null },
      note: '',
    };
    expect(
      decodeIncidentMessage(
        { seq: 2, subject: eventSubject(prefix, HOSTILE_OPENED.id, 'resolved'), storedAt: 't', data: encode(noNote) },
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
      id: HOSTILE_OPENED.id,
      at: '2026-03-09T00:00:00Z',
      by: { identity: 'x', name: null },
      note: 'fine',
    };
    expect(
      decodeIncidentMessage(
        {
          seq: 4,
          subject: eventSubject(prefix, HOSTILE_OPENED.id, 'acknowledged'),
          storedAt: 't',
          data: encode(resolved),
        },
        prefix,
      ),
    ).toMatchObject({
      kind: 'subject-mismatch',
      id: HOSTILE_OPENED.id,
    });
  });
});
