import { describe, expect, it } from 'vitest';
import {
  ageDays,
  deriveIncidents,
  incidentId,
  isIncidentId,
  openedEvent,
  ruleSlug,
  type Actor,
  type Detection,
  type IncidentEvent,
  type StoredIncidentEvent,
} from '../../../functions/incidents/model.js';

const detection: Detection = {
  rule: 'brute-force',
  severity: 'high',
  subject: 'alice',
  summary: '12 failed logins for alice from 10.0.0.7 within 5 minutes',
  day: '2026-11-24',
  at: '2026-11-24T14:03:07.123456789Z',
  evidence: [
    { stream: 'SYS_EVENTS', seq: 41 },
    { stream: 'SYS_EVENTS', seq: 42 },
  ],
};

const opened = openedEvent(detection);
const id = opened.id;
const alice: Actor = { identity: 'AUDIT/audit', name: 'Alice Smith' };
const bob: Actor = { identity: 'AUDIT/audit', name: 'Bob Jones' };

let seq = 0;
function stored(event: IncidentEvent, at = '2026-11-25T09:00:00.000000000Z'): StoredIncidentEvent {
  return { seq: ++seq, storedAt: at, event };
}
const ack = (by: Actor, note: string | null, incident = id): IncidentEvent => ({
  type: 'acknowledged',
  id: incident,
  at: '2026-11-25T09:00:00.000Z',
  by,
  note,
});
const resolved = (by: Actor, note: string, incident = id, at = '2026-11-26T10:00:00.000Z'): IncidentEvent => ({
  type: 'resolved',
  id: incident,
  at,
  by,
  note,
});

describe('incidentId', () => {
  it('is deterministic, short and shaped INC-<day>-<rule>-<8 hex>', () => {
    expect(incidentId('brute-force', 'alice', '2026-11-24')).toBe(incidentId('brute-force', 'alice', '2026-11-24'));
    expect(incidentId('brute-force', 'alice', '2026-11-24')).toMatch(/^INC-20261124-brute-force-[0-9a-f]{8}$/);
    expect(isIncidentId(id)).toBe(true);
    expect(id).toBe(incidentId('brute-force', 'alice', '2026-11-24'));
  });

  it('differs when the rule, the subject or the day differs', () => {
    const ids = new Set([
      incidentId('brute-force', 'alice', '2026-11-24'),
      incidentId('brute-force', 'bob', '2026-11-24'),
      incidentId('brute-force', 'alice', '2026-11-25'),
      incidentId('unknown-user', 'alice', '2026-11-24'),
    ]);
    expect(ids.size).toBe(4);
  });

  it('makes the rule a slug fit for a NATS subject token', () => {
    expect(ruleSlug('JetStream Change / After Hours')).toBe('jetstream-change-after-hours');
    expect(ruleSlug('***')).toBe('rule');
    const weird = incidentId('Stream.Deleted > *', 'ORDERS', '2026-01-02');
    expect(weird).toMatch(/^INC-20260102-stream-deleted-[0-9a-f]{8}$/);
    expect(isIncidentId(weird)).toBe(true);
    // Subjects with dots, wildcards or spaces only ever reach the id through their hash.
    expect(incidentId('r', 'a.b > *', '2026-01-02')).not.toMatch(/[.*> ]/);
  });

  it('refuses a day that is not a calendar day', () => {
    expect(() => incidentId('r', 's', '2026-02-30')).toThrow(/calendar day/);
    expect(() => incidentId('r', 's', '20261124')).toThrow(/calendar day/);
  });

  it('rejects things that are not incident ids', () => {
    for (const bad of [
      '',
      'INC-2026-x-12345678',
      'INC-20261124-brute-force-1A2B3C4D',
      'INC-20261124-a.b-12345678',
      'INC-20261124->-12345678',
    ]) {
      expect(isIncidentId(bad)).toBe(false);
    }
  });
});

describe('openedEvent', () => {
  it('carries the detection and its id', () => {
    expect(opened).toEqual({ type: 'opened', id, ...detection });
  });

  it('refuses a detection the record could not hold', () => {
    expect(() => openedEvent({ ...detection, summary: '  ' })).toThrow(/brute-force.*summary/);
    expect(() => openedEvent({ ...detection, at: 'yesterday' })).toThrow(/RFC 3339/);
  });

  it('keeps the first hundred evidence references and says how many there were', () => {
    const evidence = Array.from({ length: 250 }, (_, i) => ({ stream: 'SYS_EVENTS', seq: i + 1 }));
    const event = openedEvent({ ...detection, evidence });
    expect(event.evidence).toHaveLength(100);
    expect(event.evidenceTotal).toBe(250);
  });
});

describe('deriveIncidents', () => {
  it('follows open → acknowledged → resolved, keeping who, when and the note', () => {
    const events = [
      stored(opened),
      stored(ack(alice, 'looking into it')),
      stored(resolved(bob, 'password reset; the host was a test runner')),
    ];
    const { incidents, anomalies } = deriveIncidents(events);
    expect(anomalies).toEqual([]);
    const state = incidents.get(id)!;
    expect(state).toMatchObject({
      id,
      rule: 'brute-force',
      severity: 'high',
      subject: 'alice',
      day: '2026-11-24',
      openedAt: detection.at,
      status: 'resolved',
      acknowledged: { by: alice, note: 'looking into it', seq: events[1]!.seq },
      resolved: {
        by: bob,
        note: 'password reset; the host was a test runner',
        at: '2026-11-26T10:00:00.000Z',
        seq: events[2]!.seq,
      },
    });
    expect(state.history).toEqual(events);
  });

  it('reports the status of each step', () => {
    const first = stored(opened);
    expect(deriveIncidents([first]).incidents.get(id)!.status).toBe('open');
    expect(deriveIncidents([first, stored(ack(alice, null))]).incidents.get(id)!.status).toBe('acknowledged');
  });

  it('orders by stream sequence, whatever order the events are given in', () => {
    const events = [stored(opened), stored(ack(alice, null)), stored(resolved(bob, 'done'))];
    const state = deriveIncidents([...events].reverse()).incidents.get(id)!;
    expect(state.status).toBe('resolved');
    expect(state.history.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
  });

  it('treats a second opened of the same id as a no-op: the first one stands', () => {
    const first = stored(opened);
    const again = stored({ ...opened, summary: 'a later, different summary' });
    const { incidents, anomalies } = deriveIncidents([first, again]);
    expect(incidents.size).toBe(1);
    expect(incidents.get(id)!.summary).toBe(detection.summary);
    expect(incidents.get(id)!.history).toEqual([first]);
    expect(anomalies).toEqual([]);
  });

  it('ignores and reports a resolve or an ack of an incident that was never opened', () => {
    const ghost = incidentId('brute-force', 'mallory', '2026-11-24');
    const r = stored(resolved(alice, 'nothing to see', ghost));
    const a = stored(ack(alice, null, ghost));
    const { incidents, anomalies } = deriveIncidents([stored(opened), r, a]);
    expect([...incidents.keys()]).toEqual([id]);
    expect(anomalies).toEqual([
      { seq: r.seq, id: ghost, kind: 'unknown-incident', detail: `resolved of ${ghost}, which was never opened` },
      { seq: a.seq, id: ghost, kind: 'unknown-incident', detail: `acknowledged of ${ghost}, which was never opened` },
    ]);
  });

  it('keeps a resolved incident resolved: a later ack or resolve is an anomaly, not a change', () => {
    const events = [stored(opened), stored(resolved(bob, 'false positive'))];
    const lateAck = stored(ack(alice, 'reopening?'));
    const lateResolve = stored(resolved(alice, 'again'));
    const { incidents, anomalies } = deriveIncidents([...events, lateAck, lateResolve]);
    const state = incidents.get(id)!;
    expect(state.status).toBe('resolved');
    expect(state.acknowledged).toBeNull();
    expect(state.resolved).toMatchObject({ by: bob, note: 'false positive' });
    expect(state.history).toEqual(events);
    expect(anomalies.map((a) => [a.seq, a.kind])).toEqual([
      [lateAck.seq, 'after-resolved'],
      [lateResolve.seq, 'after-resolved'],
    ]);
    expect(anomalies[0]!.detail).toContain(
      'after it was resolved by Bob Jones (AUDIT/audit) at 2026-11-26T10:00:00.000Z',
    );
  });

  it('keeps the first acknowledgement and records later ones in the history', () => {
    const events = [stored(opened), stored(ack(alice, 'mine')), stored(ack(bob, 'taking over'))];
    const state = deriveIncidents(events).incidents.get(id)!;
    expect(state.acknowledged).toMatchObject({ by: alice, note: 'mine' });
    expect(state.history).toHaveLength(3);
  });

  it('keeps incidents apart', () => {
    const other = openedEvent({ ...detection, subject: 'bob' });
    const { incidents } = deriveIncidents([stored(opened), stored(other), stored(resolved(alice, 'ok', other.id))]);
    expect(incidents.get(id)!.status).toBe('open');
    expect(incidents.get(other.id)!.status).toBe('resolved');
  });
});

describe('ageDays', () => {
  const state = () => deriveIncidents([stored(opened)]).incidents.get(id)!;

  it('counts whole days since the first evidence', () => {
    expect(ageDays(state(), new Date('2026-11-24T20:00:00Z'))).toBe(0);
    expect(ageDays(state(), new Date('2026-11-25T14:03:07.200Z'))).toBe(1);
    expect(ageDays(state(), new Date('2026-12-04T14:03:06Z'))).toBe(9);
  });

  it('stops counting when the incident is resolved', () => {
    const s = deriveIncidents([
      stored(opened),
      stored(resolved(bob, 'done', id, '2026-11-27T15:00:00Z')),
    ]).incidents.get(id)!;
    expect(ageDays(s, new Date('2027-01-01T00:00:00Z'))).toBe(3);
  });

  it('is never negative', () => {
    expect(ageDays(state(), new Date('2026-11-01T00:00:00Z'))).toBe(0);
  });
});
