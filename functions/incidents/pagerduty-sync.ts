/**
 * The PagerDuty read-back: for each open incident whose alert reached PagerDuty, asks the REST API v2 for the
 * PagerDuty incident by its incident key (our id, the alert's dedup key); one resolved there is recorded resolved in
 * our record, like a Jira issue moved to done (jira-sync.ts). Only for integrations with `apiTokenEnv`.
 */
import type { IntegrationConfig } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import { natsStep } from '../source/nats-steps.js';
import { call, failure, parseJson, redact, type Answer } from './http.js';
import { pagerdutyApiHeaders, pagerdutyError, pagerdutyIncidentsUrl, pagerdutyResolution } from './pagerduty.js';
import { readIncidents, recordOutsideResolution, type IncidentLog } from './stream.js';

type PagerdutyConfig = Extract<IntegrationConfig, { type: 'pagerduty' }>;

export interface PagerdutyReadOptions {
  env: Readonly<Record<string, string | undefined>>;
  now: Date;
  log(message: string): void;
  timeoutMs?: number;
}

/** Records the resolutions made in PagerDuty; returns how many. What could not be read is logged, never the token. */
export async function pullPagerdutyResolutions(
  log: IncidentLog,
  integrations: readonly IntegrationConfig[],
  options: PagerdutyReadOptions,
): Promise<number> {
  const pagerduty = integrations.filter(
    (i): i is PagerdutyConfig & { apiTokenEnv: string } => i.type === 'pagerduty' && i.apiTokenEnv !== undefined,
  );
  if (pagerduty.length === 0) return 0;
  const record = await natsStep(log.nc, 'reading the incident record for PagerDuty', () => readIncidents(log));
  if (record === null) return 0;
  const timeoutMs = options.timeoutMs ?? 10_000;
  let resolved = 0;
  for (const integration of pagerduty) {
    const ids = record.notices
      .filter(
        (n) =>
          n.integration === integration.name &&
          n.change === 'opened' &&
          n.delivered !== null &&
          record.incidents.get(n.id)?.status !== 'resolved',
      )
      .map((n) => n.id);
    if (ids.length === 0) continue;
    const token = options.env[integration.apiTokenEnv];
    if (!token) {
      options.log(
        `PAGERDUTY NOT READ (${integration.name}): the environment variable ${integration.apiTokenEnv} is not set`,
      );
      continue;
    }
    for (const id of ids) {
      let answer: Answer;
      try {
        answer = await call(
          pagerdutyIncidentsUrl(integration.apiUrl, id),
          { method: 'GET', headers: pagerdutyApiHeaders(token) },
          timeoutMs,
        );
      } catch (err) {
        options.log(`PAGERDUTY NOT READ (${integration.name}): ${id}: ${failure(err, timeoutMs)}`);
        continue;
      }
      if (answer.status !== 200) {
        const why = redact(pagerdutyError(answer.status, answer.text), token);
        options.log(`PAGERDUTY NOT READ (${integration.name}): ${id}: ${why}`);
        continue;
      }
      const resolution = pagerdutyResolution(parseJson(answer.text), id, options.now);
      if (!resolution) continue;
      const stored = await recordOutsideResolution(log, { id, ...resolution });
      if (stored === null) continue;
      resolved++;
      options.log(`incident ${id} resolved in PagerDuty by ${resolution.by.identity}`);
    }
  }
  return resolved;
}

/** pullPagerdutyResolutions for a run, which must not fail because of it: what went wrong is logged. */
export async function pullPagerdutyResolutionsSafely(
  log: IncidentLog,
  integrations: readonly IntegrationConfig[],
  options: PagerdutyReadOptions,
): Promise<number> {
  try {
    return await pullPagerdutyResolutions(log, integrations, options);
  } catch (err) {
    options.log(`PagerDuty resolutions could not be read back: ${errorMessage(err)}`);
    return 0;
  }
}
