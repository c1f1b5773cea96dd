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
import { dueNotices, noticesToQueue, noticeSubject, type NoticeEvent, type NoticeState } from './notifications.js';
import { readIncidents, type IncidentLog, type IncidentRecord } from './stream.js';
import { webhookRequest } from './webhook.js';

export interface NotifyOptions {
  /** Where secrets are read by the name the configuration gives (process.env). */
  env: Readonly<Record<string, string | undefined>>;
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

type Sent = { ok: true; status: number } | { ok: false; error: string };

/** The reason a request failed, without its URL or anything it carried. */
function failure(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))
    return `no answer within ${timeoutMs} ms`;
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'string' ? `connection failed (${cause.code})` : 'connection failed';
}

async function sendWebhook(
  integration: IntegrationConfig,
  incident: IncidentState,
  notice: NoticeState,
  options: NotifyOptions,
): Promise<Sent> {
  const secret = options.env[integration.secretEnv];
  if (!secret) return { ok: false, error: `the secret environment variable ${integration.secretEnv} is not set` };
  const request = webhookRequest(incident, notice.change, notice.changeSeq, secret);
  const timeoutMs = options.timeoutMs ?? 10_000;
  try {
    const response = await fetch(integration.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer().catch(() => undefined);
    return response.ok ? { ok: true, status: response.status } : { ok: false, error: `HTTP ${response.status}` };
  } catch (err) {
    return { ok: false, error: failure(err, timeoutMs) };
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
    const sent = await sendWebhook(integration, incident, notice, options);
    const base = {
      id: notice.id,
      integration: notice.integration,
      change: notice.change,
      at: options.now.toISOString(),
    };
    if (sent.ok) {
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
