/**
 * What PagerDuty's Events API v2 is sent for one change of an incident: a trigger, acknowledge or resolve event
 * deduplicated by the incident id, so a retry or a second run is the same alert; and what its REST API v2 answers
 * about that alert's incident, read back as a resolution. Pure: notify.ts and pagerduty-sync.ts make the requests.
 */
import { formatInstant, parseInstant } from '../time/nanos.js';
import type { IncidentState, Severity } from './model.js';
import type { IncidentChange } from './notifications.js';

export const DEFAULT_PAGERDUTY_URL = 'https://events.pagerduty.com';

/** Our severities on PagerDuty's scale. */
export const PAGERDUTY_SEVERITY: Record<Severity, 'critical' | 'error' | 'warning' | 'info'> = {
  critical: 'critical',
  high: 'error',
  medium: 'warning',
  low: 'info',
};

const ACTION: Record<IncidentChange, 'trigger' | 'acknowledge' | 'resolve'> = {
  opened: 'trigger',
  acknowledged: 'acknowledge',
  resolved: 'resolve',
};

/** PagerDuty keeps a summary to 1024 characters. */
const SUMMARY_MAX = 1024;

export function pagerdutyUrl(base: string): string {
  return `${base.replace(/\/+$/, '')}/v2/enqueue`;
}

/** The event's JSON: a trigger carries the payload; acknowledge and resolve name the alert by its dedup key. */
export function pagerdutyBody(incident: IncidentState, change: IncidentChange, routingKey: string): string {
  const event = { routing_key: routingKey, event_action: ACTION[change], dedup_key: incident.id };
  if (change !== 'opened') return JSON.stringify(event);
  const summary = `${incident.id}: ${incident.summary}`;
  return JSON.stringify({
    ...event,
    payload: {
      summary: summary.length > SUMMARY_MAX ? `${summary.slice(0, SUMMARY_MAX - 1)}…` : summary,
      severity: PAGERDUTY_SEVERITY[incident.severity],
      source: incident.subject,
      custom_details: {
        incident: incident.id,
        rule: incident.rule,
        severity: incident.severity,
        day: incident.day,
        openedAt: incident.openedAt,
        evidence: incident.evidence,
      },
    },
  });
}

/** Why PagerDuty refused a request, from its answer (`{status, message, errors[]}`), or just the HTTP status. */
export function pagerdutyError(status: number, text: string): string {
  try {
    const answer = JSON.parse(text) as { message?: unknown; errors?: unknown; error?: { message?: unknown } };
    // The Events API words it `{message}`, the REST API `{error: {message}}`.
    const message =
      typeof answer.message === 'string'
        ? answer.message
        : typeof answer.error?.message === 'string'
          ? answer.error.message
          : null;
    const errors = Array.isArray(answer.errors) ? answer.errors.filter((e) => typeof e === 'string') : [];
    if (message) return `HTTP ${status}: ${message}${errors.length ? ` (${errors.join('; ')})` : ''}`;
  } catch {
    // Not JSON: the status says enough.
  }
  return `HTTP ${status}`;
}

/** The REST API v2 request for the PagerDuty incident of our incident (its dedup key is the incident key). */
export function pagerdutyIncidentsUrl(apiUrl: string, id: string): string {
  return `${apiUrl.replace(/\/+$/, '')}/incidents?incident_key=${encodeURIComponent(id)}`;
}

export function pagerdutyApiHeaders(token: string): Record<string, string> {
  return { Accept: 'application/vnd.pagerduty+json;version=2', Authorization: `Token token=${token}` };
}

export interface PagerdutyResolution {
  at: string;
  by: { identity: string; name: null };
  note: string;
  link?: string;
}

interface PagerdutyIncident {
  id?: unknown;
  incident_key?: unknown;
  status?: unknown;
  html_url?: unknown;
  last_status_change_at?: unknown;
  last_status_change_by?: { summary?: unknown } | null;
}

/**
 * A resolved PagerDuty incident of ours (`GET /incidents?incident_key=…`) as our resolution: by
 * `pagerduty:<who changed its status last>`, at that change (else `now`), with its page. Null unless resolved.
 */
export function pagerdutyResolution(answer: unknown, id: string, now: Date): PagerdutyResolution | null {
  const incidents = (answer as { incidents?: unknown } | null)?.incidents;
  if (!Array.isArray(incidents)) return null;
  const found = (incidents as (PagerdutyIncident | null)[]).find(
    (i) => i?.status === 'resolved' && (i.incident_key === undefined || i.incident_key === id),
  );
  if (!found) return null;
  const summary = found.last_status_change_by?.summary;
  const who = typeof summary === 'string' && summary.trim() ? summary.trim().slice(0, 200) : 'unknown';
  const changed = typeof found.last_status_change_at === 'string' ? parseInstant(found.last_status_change_at) : null;
  const url = found.html_url;
  const link = typeof url === 'string' && /^https?:\/\/\S{1,1990}$/.test(url) ? url : null;
  const name = typeof found.id === 'string' && found.id ? found.id.slice(0, 100) : 'its incident';
  return {
    at: changed === null ? now.toISOString() : formatInstant(changed),
    by: { identity: `pagerduty:${who}`, name: null },
    note: `resolved in PagerDuty: ${name}${link ? ` (${link})` : ''}`,
    ...(link ? { link } : {}),
  };
}
