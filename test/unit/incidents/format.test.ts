import { HOSTILE_DETECTION, HOSTILE_OPENED } from '../../support/incident-fixtures.js';
import { describe, expect, it } from 'vitest';
import { incidentAlert, stderrAlerts } from '../../../functions/incidents/alerts.js';
import { incidentDetail, incidentTable } from '../../../functions/incidents/format.js';
import { visible } from '../../../functions/text/visible.js';
import { deriveIncidents } from '../../../functions/incidents/model.js';

describe('terminal output', () => {
  const state = deriveIncidents([
    { seq: 1, storedAt: '2026-03-08T12:00:00.000000000Z', event: HOSTILE_OPENED },
  ]).incidents.get(HOSTILE_OPENED.id)!;

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
    expect(row).toMatch(
      new RegExp(`^${HOSTILE_OPENED.id}\\s+open\\s+medium\\s+2d\\s+unknown-user\\s+evil\\\\u001B\\[2Juser$`),
    );
  });

  it('alerts with the triage fields only', () => {
    expect(incidentAlert(state)).toEqual({
      type: 'incident.opened',
      id: HOSTILE_OPENED.id,
      rule: 'unknown-user',
      severity: 'medium',
      subject: HOSTILE_DETECTION.subject,
      summary: HOSTILE_DETECTION.summary,
      day: '2026-03-08',
      openedAt: HOSTILE_DETECTION.at,
    });
    const lines: string[] = [];
    void stderrAlerts((l) => lines.push(l)).incidentOpened(state);
    expect(lines).toEqual([
      `ALERT MEDIUM ${HOSTILE_OPENED.id}: login attempts with an unknown user name (rule unknown-user, ` +
        'subject evil\\u001B[2Juser)\n',
    ]);
  });
});
