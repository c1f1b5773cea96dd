import type { ReportIncident } from '../analysis/report-model.js';
import { parseInstant, type Nanos } from '../time/nanos.js';
import { ageDays, type DerivedIncidents, type IncidentAction } from './model.js';

/**
 * The incidents a report shows, so an auditor sees what was mitigated and what not: those whose evidence lies in
 * the period, those resolved during it (with who and the note), and every one still open, with its age.
 */
export function incidentsForReport(
  derived: DerivedIncidents,
  period: { from: Nanos; to: Nanos },
  now: Date,
): ReportIncident[] {
  const within = (iso: string | undefined) => {
    const t = iso === undefined ? null : parseInstant(iso);
    return t !== null && t >= period.from && t < period.to;
  };
  const shown: ReportIncident[] = [];
  for (const state of derived.incidents.values()) {
    const openedInPeriod = within(state.openedAt);
    const resolvedInPeriod = within(state.resolved?.storedAt);
    if (!openedInPeriod && !resolvedInPeriod && state.status === 'resolved') continue;
    shown.push({
      id: state.id,
      rule: state.rule,
      severity: state.severity,
      status: state.status,
      summary: state.summary,
      subject: state.subject,
      openedAt: state.openedAt,
      ageDays: ageDays(state, now),
      openedInPeriod,
      resolvedInPeriod,
      acknowledged: action(state.acknowledged),
      resolved: action(state.resolved),
    });
  }
  const key = (i: ReportIncident) => `${i.openedAt ?? ''} ${i.id}`;
  return shown.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function action(a: IncidentAction | null): ReportIncident['resolved'] {
  if (!a) return null;
  return { at: a.storedAt, by: a.by.name ? `${a.by.name} (${a.by.identity})` : a.by.identity, note: a.note };
}
