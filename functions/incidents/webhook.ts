/**
 * What a webhook integration is sent for one change of an incident: the exact body, its HMAC-SHA256 signature
 * and the idempotency key. Pure: the same change gives the same bytes on every try, so a receiver can check the
 * signature and drop a repeat by its key.
 */
import { createHmac } from 'node:crypto';
import type { IncidentState } from './model.js';
import type { IncidentChange } from './notifications.js';

export const SIGNATURE_HEADER = 'X-Sox-Report-Signature';
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

export interface WebhookRequest {
  body: string;
  headers: Record<string, string>;
}

const STATUS: Record<IncidentChange, IncidentState['status']> = {
  opened: 'open',
  acknowledged: 'acknowledged',
  resolved: 'resolved',
};

/** The incident as it stood once this change was made, and who made it with which note (null for opened). */
export function webhookBody(incident: IncidentState, change: IncidentChange, changeSeq: number): string {
  const made = incident.history.find((h) => h.seq === changeSeq)?.event;
  const by = made && made.type !== 'opened' ? made : null;
  return JSON.stringify({
    type: `incident.${change}`,
    incident: {
      id: incident.id,
      rule: incident.rule,
      severity: incident.severity,
      status: STATUS[change],
      summary: incident.summary,
      period: { day: incident.day },
      subject: incident.subject,
      openedAt: incident.openedAt,
      evidence: incident.evidence,
      links: [],
      change: by ? { at: by.at, by: by.by, note: by.note } : null,
    },
  });
}

export function signature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export function webhookRequest(
  incident: IncidentState,
  change: IncidentChange,
  changeSeq: number,
  secret: string,
): WebhookRequest {
  const body = webhookBody(incident, change, changeSeq);
  return {
    body,
    headers: {
      'Content-Type': 'application/json',
      [SIGNATURE_HEADER]: signature(body, secret),
      [IDEMPOTENCY_HEADER]: `${incident.id}:${change}`,
    },
  };
}
