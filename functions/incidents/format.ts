/**
 * Incidents as a person reads them in a terminal. Subjects and summaries come from events on the wire (user
 * names, client names), notes and names from whoever ran `ack` or `resolve`: control characters and bidirectional
 * overrides in them could rewrite what the terminal shows, so every value is shown through `visible`.
 */
import { visible } from '../text/visible.js';
import {
  ageDays,
  type IncidentAction,
  type IncidentAnomaly,
  type IncidentState,
  type StoredIncidentEvent,
} from './model.js';

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** Newest day first, then by id, so the same record always lists the same way. */
export function sortIncidents(incidents: Iterable<IncidentState>): IncidentState[] {
  return [...incidents].sort((a, b) => (a.day === b.day ? a.id.localeCompare(b.id) : b.day.localeCompare(a.day)));
}

export function incidentTable(incidents: readonly IncidentState[], now: Date): string[] {
  const header = ['ID', 'STATUS', 'SEVERITY', 'AGE', 'RULE', 'SUBJECT'];
  const rows = incidents.map((i) => [
    i.id,
    i.status,
    i.severity,
    `${ageDays(i, now)}d`,
    visible(i.rule),
    clip(visible(i.subject), 60),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ');
  return [line(header), ...rows.map(line)];
}

function who(action: { by: IncidentAction['by'] }): string {
  return action.by.name
    ? `${visible(action.by.name)} [${visible(action.by.identity)}]`
    : `[${visible(action.by.identity)}]`;
}

function historyLine(stored: StoredIncidentEvent): string {
  const { event } = stored;
  const head = `  #${stored.seq}  ${stored.storedAt}  ${event.type}`;
  if (event.type === 'opened') return `${head} (first evidence ${event.at})`;
  const note = event.note === null ? '' : `: ${visible(event.note)}`;
  return `${head} by ${who(event)}${note}`;
}

export function anomalyLine(anomaly: IncidentAnomaly): string {
  return `  seq ${anomaly.seq}  ${anomaly.kind}: ${visible(anomaly.detail)}`;
}

/** The whole story of one incident: what it is, where it stands, and every event in order. */
export function incidentDetail(incident: IncidentState, anomalies: readonly IncidentAnomaly[], now: Date): string[] {
  const evidence = incident.evidence.map((e) => `${visible(e.stream)}#${e.seq}`).join(', ') || '(none)';
  const field = (label: string, value: string) => `  ${label.padEnd(13)}${value}`;
  const lines = [
    `${incident.id}  ${incident.status.toUpperCase()}`,
    field('rule', visible(incident.rule)),
    field('severity', incident.severity),
    field('subject', visible(incident.subject)),
    field('summary', visible(incident.summary)),
    field('day', incident.day),
    field(
      'opened at',
      `${incident.openedAt} (first evidence), ${ageDays(incident, now)} days ` +
        `${incident.resolved ? 'until resolved' : 'ago'}`,
    ),
    field('evidence', evidence),
  ];
  if (incident.acknowledged)
    lines.push(field('acknowledged', `${incident.acknowledged.at} by ${who(incident.acknowledged)}`));
  if (incident.resolved)
    lines.push(
      field('resolved', `${incident.resolved.at} by ${who(incident.resolved)}: ${visible(incident.resolved.note)}`),
    );
  lines.push('history (stream sequence, stored time, event)');
  lines.push(...incident.history.map(historyLine));
  if (anomalies.length) {
    lines.push('anomalies (recorded but not applied)');
    lines.push(...anomalies.map(anomalyLine));
  }
  return lines;
}

/** The list's JSON form: the state without the history (show --json has it). */
export function incidentSummary(incident: IncidentState, now: Date) {
  const { history: _history, ...rest } = incident;
  return { ...rest, ageDays: ageDays(incident, now) };
}
