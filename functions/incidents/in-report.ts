import type { IncidentInTool, ReportIncident } from '../analysis/report-model.js';
import type { IntegrationConfig } from '../config/schema.js';
import { parseInstant, type Nanos } from '../time/nanos.js';
import { ageDays, type DerivedIncidents, type IncidentAction, type IncidentState } from './model.js';
import type { IncidentLink, NoticeState } from './notifications.js';

/**
 * The incidents a report shows, so an auditor sees what was mitigated and what not: those whose evidence lies in
 * the period, those resolved during it (with who and the note), and every one still open, with its age.
 */
export function incidentsForReport(
  derived: DerivedIncidents & { notices?: readonly NoticeState[]; links?: readonly IncidentLink[] },
  period: { from: Nanos; to: Nanos },
  now: Date,
  integrations: readonly Pick<IntegrationConfig, 'name' | 'type'>[] = [],
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
    const tools = inTools(state, derived.notices ?? [], derived.links ?? [], integrations);
    if (tools.length) shown[shown.length - 1]!.integrations = tools;
  }
  const key = (i: ReportIncident) => `${i.openedAt ?? ''} ${i.id}`;
  return shown.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function action(a: (IncidentAction & { link?: string }) | null): ReportIncident['resolved'] {
  if (!a) return null;
  const by = a.by.name ? `${a.by.name} (${a.by.identity})` : a.by.identity;
  return { at: a.storedAt, by, note: a.note, ...(a.link === undefined ? {} : { link: a.link }) };
}

/** Each configured tool that has heard of the incident, in configuration order: where it is, and if in sync. */
function inTools(
  state: IncidentState,
  notices: readonly NoticeState[],
  links: readonly IncidentLink[],
  integrations: readonly Pick<IntegrationConfig, 'name' | 'type'>[],
): IncidentInTool[] {
  const tools: IncidentInTool[] = [];
  for (const { name, type } of integrations) {
    const mine = notices.filter((n) => n.id === state.id && n.integration === name);
    if (mine.length === 0) continue;
    const link = links.find((l) => l.id === state.id && l.integration === name);
    const key = type === 'pagerduty' ? state.id : type === 'jira' ? (link?.key ?? null) : null;
    const url = type === 'jira' ? (link?.url ?? null) : null;
    const sync = mine.every((n) => n.delivered) ? 'delivered' : 'pending';
    tools.push({ integration: name, type, key, url, sync });
  }
  return tools;
}
