/**
 * The shell of the Jira integration: sends a change of an incident to its issue (jira.ts says what), and reads
 * back the issues of open incidents, recording a resolution made in Jira in the incident record.
 */
import type { IntegrationConfig } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import { natsStep } from '../source/nats-steps.js';
import { call, failure, parseJson, redact, type Answer } from './http.js';
import { integrationSecret, secretPlace, type SecretSources } from './integration-secret.js';
import {
  browseUrl,
  changeComment,
  commentBody,
  hasComment,
  createdKey,
  doneTransition,
  foundKey,
  isDone,
  issueBody,
  issuePath,
  jiraAuthorization,
  jiraError,
  jiraResolution,
  searchPath,
  siteUrl,
  transitionBody,
} from './jira.js';
import type { IncidentState } from './model.js';
import type { IncidentLink, NoticeState } from './notifications.js';
import { readIncidents, recordOutsideResolution, type IncidentLog } from './stream.js';

export type JiraConfig = Extract<IntegrationConfig, { type: 'jira' }>;

export type Sent = { ok: true; status: number; link?: { key: string; url: string } } | { ok: false; error: string };

interface JiraOptions extends SecretSources {
  timeoutMs?: number;
}

const ok = (a: Answer) => a.status >= 200 && a.status < 300;

/** The credentials of an integration, or why there are none (never the secret). */
function credentials(integration: JiraConfig, sources: SecretSources): { secret: string; auth: string } | string {
  const read = integrationSecret(integration, sources);
  if ('error' in read) return read.error;
  const auth = jiraAuthorization(read.value);
  if (!auth) return `${secretPlace(integration)} does not hold email:apiToken`;
  return { secret: read.value, auth };
}

/**
 * One change to Jira. Opened: the issue labelled `sox-incident-<id>` if a try before made it, else a new one (its
 * key comes back as the link to record). Acknowledged: a comment, unless a try before posted it. Resolved: the
 * transition to done, unless the issue is done already (resolved in Jira, or an earlier try that got no answer).
 */
export async function sendJira(
  integration: JiraConfig,
  incident: IncidentState,
  notice: NoticeState,
  link: IncidentLink | undefined,
  options: JiraOptions,
): Promise<Sent> {
  const creds = credentials(integration, options);
  if (typeof creds === 'string') return { ok: false, error: creds };
  const timeoutMs = options.timeoutMs ?? 10_000;
  const site = siteUrl(integration.url);
  const get = { method: 'GET' as const, headers: jiraHeaders(creds.auth) };
  const post = (body: string) => ({
    method: 'POST' as const,
    headers: { ...get.headers, 'Content-Type': 'application/json' },
    body,
  });
  const refused = (a: Answer): Sent => ({ ok: false, error: redact(jiraError(a.status, a.text), creds.secret) });
  try {
    if (notice.change === 'opened') {
      if (link) return { ok: true, status: 200, link: { key: link.key, url: link.url } };
      const found = await call(`${site}${searchPath(incident.id)}`, get, timeoutMs);
      if (!ok(found)) return refused(found);
      const existing = foundKey(parseJson(found.text));
      if (existing) return { ok: true, status: found.status, link: { key: existing, url: browseUrl(site, existing) } };
      const created = await call(`${site}/rest/api/2/issue`, post(issueBody(integration, incident)), timeoutMs);
      if (!ok(created)) return refused(created);
      const key = createdKey(parseJson(created.text));
      if (!key) return { ok: false, error: `HTTP ${created.status} without an issue key` };
      return { ok: true, status: created.status, link: { key, url: browseUrl(site, key) } };
    }
    if (!link) return { ok: false, error: `no Jira issue is recorded for ${incident.id} yet` };
    if (notice.change === 'acknowledged') {
      const comments = await call(`${site}${issuePath(link.key, '/comment')}`, get, timeoutMs);
      if (!ok(comments)) return refused(comments);
      if (hasComment(parseJson(comments.text), changeComment(incident, notice.changeSeq)))
        return { ok: true, status: comments.status };
      const body = commentBody(incident, notice.changeSeq);
      const commented = await call(`${site}${issuePath(link.key, '/comment')}`, post(body), timeoutMs);
      return ok(commented) ? { ok: true, status: commented.status } : refused(commented);
    }
    const issue = await call(`${site}${issuePath(link.key, '?fields=status')}`, get, timeoutMs);
    if (!ok(issue)) return refused(issue);
    if (isDone(parseJson(issue.text))) return { ok: true, status: issue.status };
    const transitions = await call(`${site}${issuePath(link.key, '/transitions')}`, get, timeoutMs);
    if (!ok(transitions)) return refused(transitions);
    const id = doneTransition(parseJson(transitions.text));
    if (!id) return { ok: false, error: `issue ${link.key} has no transition to a done status` };
    const body = transitionBody(id, incident, notice.changeSeq);
    const moved = await call(`${site}${issuePath(link.key, '/transitions')}`, post(body), timeoutMs);
    return ok(moved) ? { ok: true, status: moved.status } : refused(moved);
  } catch (err) {
    return { ok: false, error: failure(err, timeoutMs) };
  }
}

/**
 * For each open incident with a Jira issue, reads the issue; one in the done category is recorded as resolved by
 * `jira:<assignee>` at its resolution date, with its page. Returns how many were; what could not be read is logged.
 */
export async function pullJiraResolutions(
  log: IncidentLog,
  integrations: readonly IntegrationConfig[],
  options: JiraOptions & { now: Date; log(message: string): void },
): Promise<number> {
  const jira = integrations.filter((i): i is JiraConfig => i.type === 'jira');
  if (jira.length === 0) return 0;
  const record = await natsStep(log.nc, 'reading the incident record for Jira', () => readIncidents(log));
  if (record === null) return 0;
  const timeoutMs = options.timeoutMs ?? 10_000;
  let resolved = 0;
  for (const integration of jira) {
    const creds = credentials(integration, options);
    const links = record.links.filter(
      (l) => l.integration === integration.name && record.incidents.get(l.id)?.status !== 'resolved',
    );
    if (links.length === 0) continue;
    if (typeof creds === 'string') {
      options.log(`JIRA NOT READ (${integration.name}): ${creds}`);
      continue;
    }
    const site = siteUrl(integration.url);
    for (const link of links) {
      const path = issuePath(link.key, '?fields=status,resolutiondate,assignee');
      let answer: Answer;
      try {
        answer = await call(`${site}${path}`, { method: 'GET', headers: jiraHeaders(creds.auth) }, timeoutMs);
      } catch (err) {
        options.log(`JIRA NOT READ (${integration.name}): issue ${link.key} of ${link.id}: ${failure(err, timeoutMs)}`);
        continue;
      }
      if (!ok(answer)) {
        const why = redact(jiraError(answer.status, answer.text), creds.secret);
        options.log(`JIRA NOT READ (${integration.name}): issue ${link.key} of ${link.id}: ${why}`);
        continue;
      }
      const resolution = jiraResolution(parseJson(answer.text), site, link.key, options.now);
      if (!resolution) continue;
      const stored = await recordOutsideResolution(log, { id: link.id, ...resolution });
      if (stored === null) continue;
      resolved++;
      options.log(`incident ${link.id} resolved in Jira (${link.key}) by ${resolution.by.identity}`);
    }
  }
  return resolved;
}

function jiraHeaders(auth: string): Record<string, string> {
  return { Accept: 'application/json', Authorization: auth };
}

/** pullJiraResolutions for a run, which must not fail because of it: what went wrong is logged. */
export async function pullJiraResolutionsSafely(
  log: IncidentLog,
  integrations: readonly IntegrationConfig[],
  options: JiraOptions & { now: Date; log(message: string): void },
): Promise<number> {
  try {
    return await pullJiraResolutions(log, integrations, options);
  } catch (err) {
    options.log(`Jira resolutions could not be read back: ${errorMessage(err)}`);
    return 0;
  }
}
