/**
 * What PagerDuty's Events API v2 is sent for one change of an incident: a trigger, acknowledge or resolve event
 * deduplicated by the incident id, so a retry or a second run is the same alert. Pure.
 */
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

/** Why PagerDuty refused an event, from its answer (`{status, message, errors[]}`), or just the HTTP status. */
export function pagerdutyError(status: number, text: string): string {
  try {
    const answer = JSON.parse(text) as { message?: unknown; errors?: unknown };
    const message = typeof answer.message === 'string' ? answer.message : null;
    const errors = Array.isArray(answer.errors) ? answer.errors.filter((e) => typeof e === 'string') : [];
    if (message) return `HTTP ${status}: ${message}${errors.length ? ` (${errors.join('; ')})` : ''}`;
  } catch {
    // Not JSON: the status says enough.
  }
  return `HTTP ${status}`;
}
