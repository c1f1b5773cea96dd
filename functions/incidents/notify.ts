/**
 * The imperative shell of the outbound queue: queues what the record says is missing (notifications.ts), sends what
 * is due, and appends each failed try and each delivery to the incident record. An integration that is down never
 * fails the caller: the try is recorded and a later run retries it after its backoff.
 */
import { JetStreamApiCodes } from '@nats-io/jetstream';
import type { IntegrationConfig } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import { isJetStreamApiError } from '../source/api-error.js';
import { natsStep } from '../source/nats-steps.js';
import type { IncidentState } from './model.js';
import {
  dueNotices,
  noticesToQueue,
  noticeSubject,
  type IncidentLink,
  type NoticeEvent,
  type NoticeState,
} from './notifications.js';
import { call, failure, redact } from './http.js';
import { integrationSecret, type SecretSources } from './integration-secret.js';
import { sendJira, type Sent } from './jira-sync.js';
import { pagerdutyBody, pagerdutyError, pagerdutyUrl } from './pagerduty.js';
import { readIncidents, type IncidentLog, type IncidentRecord } from './stream.js';
import { webhookRequest } from './webhook.js';

export interface NotifyOptions extends SecretSources {
  now: Date;
  log(message: string): void;
  /** Only this incident (the CLI after ack/resolve); every incident otherwise (a run). */
  only?: string;
  /** How long one request may take. */
  timeoutMs?: number;
}

export interface NotifyOutcome {
  queued: number;
  delivered: number;
  failed: number;
}

/** Appends one record of the queue; `once` ones (queued, delivered) the server keeps to one per subject. */
async function appendNotice(log: IncidentLog, event: NoticeEvent): Promise<void> {
  const once = event.type !== 'attempt';
  const subject = noticeSubject(log.prefix, event);
  try {
    await natsStep(log.nc, `recording the ${event.type} of a notification of ${event.id}`, () =>
      log.js.publish(subject, JSON.stringify(event), {
        expect: { streamName: log.stream, ...(once ? { lastSubjectSequence: 0 } : {}) },
        ...(once ? { msgID: `${event.id}:${event.type}:${event.integration}:${event.change}` } : {}),
      }),
    );
  } catch (err) {
    // Queued or delivered already (a concurrent run): the record holds it once, which is the point.
    if (once && isJetStreamApiError(err, JetStreamApiCodes.StreamWrongLastSequence)) return;
    throw err;
  }
}

/** One change to a webhook: the signed body; any 2xx is a delivery. */
async function sendWebhook(
  integration: Extract<IntegrationConfig, { type: 'webhook' }>,
  incident: IncidentState,
  notice: NoticeState,
  options: NotifyOptions,
): Promise<Sent> {
  const secret = integrationSecret(integration, options);
  if ('error' in secret) return { ok: false, error: secret.error };
  const request = webhookRequest(incident, notice.change, notice.changeSeq, secret.value);
  const timeoutMs = options.timeoutMs ?? 10_000;
  try {
    const answer = await call(
      integration.url,
      { method: 'POST', headers: request.headers, body: request.body },
      timeoutMs,
    );
    return answer.status >= 200 && answer.status < 300
      ? { ok: true, status: answer.status }
      : { ok: false, error: `HTTP ${answer.status}` };
  } catch (err) {
    return { ok: false, error: failure(err, timeoutMs) };
  }
}

/** One event to PagerDuty: 202 is accepted; anything else is a failed try with PagerDuty's reason. */
async function sendPagerduty(
  integration: Extract<IntegrationConfig, { type: 'pagerduty' }>,
  incident: IncidentState,
  notice: NoticeState,
  options: NotifyOptions,
): Promise<Sent> {
  const secret = integrationSecret(integration, options);
  if ('error' in secret) return { ok: false, error: secret.error };
  const routingKey = secret.value;
  const timeoutMs = options.timeoutMs ?? 10_000;
  try {
    const answer = await call(
      pagerdutyUrl(integration.url),
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: pagerdutyBody(incident, notice.change, routingKey),
      },
      timeoutMs,
    );
    return answer.status === 202
      ? { ok: true, status: answer.status }
      : { ok: false, error: redact(pagerdutyError(answer.status, answer.text), routingKey) };
  } catch (err) {
    return { ok: false, error: failure(err, timeoutMs) };
  }
}

function send(
  integration: IntegrationConfig,
  incident: IncidentState,
  notice: NoticeState,
  link: IncidentLink | undefined,
  options: NotifyOptions,
): Promise<Sent> {
  switch (integration.type) {
    case 'webhook':
      return sendWebhook(integration, incident, notice, options);
    case 'pagerduty':
      return sendPagerduty(integration, incident, notice, options);
    case 'jira':
      return sendJira(integration, incident, notice, link, options);
  }
}

/**
 * Queues every change the configured integrations have not been told of, then sends each due notification once.
 * Reads the record itself (the caller may have just appended to it).
 */
export async function syncNotifications(
  log: IncidentLog,
  integrations: readonly IntegrationConfig[],
  options: NotifyOptions,
): Promise<NotifyOutcome> {
  const outcome: NotifyOutcome = { queued: 0, delivered: 0, failed: 0 };
  if (integrations.length === 0) return outcome;
  const record: IncidentRecord | null = await natsStep(log.nc, 'reading the incident record for notifications', () =>
    readIncidents(log),
  );
  if (record === null) return outcome;
  const names = integrations.map((i) => i.name);
  const at = options.now.toISOString();
  const notices = [...record.notices];
  for (const entry of noticesToQueue(record.incidents.values(), notices, names, options.only)) {
    await appendNotice(log, { type: 'notification', ...entry, at });
    notices.push({ ...entry, queuedAt: at, attempts: 0, lastAttemptAt: null, lastError: null, delivered: null });
    outcome.queued++;
  }
  const due = dueNotices(notices, names, options.now).filter(
    (n) => options.only === undefined || n.id === options.only,
  );
  const failedPairs = new Set<string>();
  for (const notice of due) {
    const pair = `${notice.id} ${notice.integration}`;
    // A later change waits for the earlier one that failed just now.
    if (failedPairs.has(pair)) continue;
    const integration = integrations.find((i) => i.name === notice.integration)!;
    const incident = record.incidents.get(notice.id)!;
    const link = record.links.find((l) => l.id === notice.id && l.integration === notice.integration);
    const sent = await send(integration, incident, notice, link, options);
    const base = {
      id: notice.id,
      integration: notice.integration,
      change: notice.change,
      at: options.now.toISOString(),
    };
    if (sent.ok) {
      // Where the incident lives in the tool is recorded before the delivery: later changes go there.
      if (sent.link && !link) {
        const { key, url } = sent.link;
        await appendNotice(log, {
          type: 'link',
          id: notice.id,
          integration: notice.integration,
          change: 'opened',
          at: base.at,
          key,
          url,
        });
        record.links.push({ id: notice.id, integration: notice.integration, key, url });
      }
      await appendNotice(log, { type: 'delivered', ...base, status: sent.status });
      outcome.delivered++;
    } else {
      failedPairs.add(pair);
      await appendNotice(log, { type: 'attempt', ...base, error: sent.error });
      options.log(
        `NOTIFICATION NOT DELIVERED: ${notice.change} of ${notice.id} to ${notice.integration} ` +
          `(try ${notice.attempts + 1}): ${sent.error}`,
      );
      outcome.failed++;
    }
  }
  return outcome;
}

/** syncNotifications for callers that must not fail because of it: what went wrong is logged. */
export async function syncNotificationsSafely(
  log: IncidentLog,
  integrations: readonly IntegrationConfig[],
  options: NotifyOptions,
): Promise<NotifyOutcome | null> {
  try {
    return await syncNotifications(log, integrations, options);
  } catch (err) {
    options.log(`incident notifications could not be processed: ${errorMessage(err)}`);
    return null;
  }
}
