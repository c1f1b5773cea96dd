import { openedEvent, type Detection } from '../../functions/incidents/model.js';

/** A detection whose subject carries a terminal escape sequence, as event data can. */
export const HOSTILE_DETECTION: Detection = {
  rule: 'unknown-user',
  severity: 'medium',
  subject: 'evil\u001b[2Juser',
  summary: 'login attempts with an unknown user name',
  day: '2026-03-08',
  at: '2026-03-08T07:30:00Z',
  evidence: [{ stream: 'SYS_EVENTS', seq: 9 }],
};

export const HOSTILE_OPENED = openedEvent(HOSTILE_DETECTION);
