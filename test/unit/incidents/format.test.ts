import { describe, expect, it } from 'vitest';
import { incidentAlert, stderrAlerts } from '../../../functions/incidents/alerts.js';
import { incidentDetail, incidentTable } from '../../../functions/incidents/format.js';
import { visible } from '../../../functions/text/visible.js';
import { deriveIncidents, openedEvent, type Detection } from '../../../functions/incidents/model.js';

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
const _encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('terminal output', () => {
  const state = deriveIncidents([{ seq: 1, storedAt: '2026-03-08T12:00:00.000000000Z', event: opened }]).incidents.get(
    opened.id,
  )!;

  it('never passes control characters to the terminal', () => {
    expect(visible('a\u001b[31mb\u202ec')).toBe('a\\u001B[31mb\\u202Ec');
    const lines = [
      ...incidentTable([state], new Date('2026-03-10T08:00:00Z')),
      ...incidentDetail(state, [], new Date()),
    ];
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
    expect(lines).toEqual([
      `ALERT MEDIUM ${opened.id}: login attempts with an unknown user name (rule unknown-user, ` +
        'subject evil\\u001B[2Juser)\n',
    ]);
  });
});
