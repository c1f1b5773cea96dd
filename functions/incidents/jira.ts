/**
 * What Jira's REST API v2 is sent for an incident, and what its answers mean: the issue an incident becomes (found
 * again by its `sox-incident-<id>` label), the comment an acknowledgement adds, the transition to done a resolution
 * makes, and a resolution made in Jira read back into the record. Pure: jira-sync.ts makes the requests.
 */
import { formatInstant, parseInstant } from '../time/nanos.js';
import type { IncidentState } from './model.js';

export interface JiraSite {
  url: string;
  project: string;
  issueType: string;
  labels: readonly string[];
}

export function siteUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/** `Basic base64(email:apiToken)`, from the secret as its environment variable holds it; null when malformed. */
export function jiraAuthorization(secret: string): string | null {
  const colon = secret.indexOf(':');
  if (colon <= 0 || colon === secret.length - 1) return null;
  return `Basic ${Buffer.from(secret, 'utf8').toString('base64')}`;
}

export function jiraLabel(id: string): string {
  return `sox-incident-${id}`;
}

export function searchPath(id: string): string {
  return `/rest/api/2/search?jql=${encodeURIComponent(`labels="${jiraLabel(id)}"`)}&fields=key&maxResults=1`;
}

export function issuePath(key: string, rest = ''): string {
  return `/rest/api/2/issue/${encodeURIComponent(key)}${rest}`;
}

export function browseUrl(site: string, key: string): string {
  return `${siteUrl(site)}/browse/${encodeURIComponent(key)}`;
}

/** Jira keeps a summary to 255 characters. */
const SUMMARY_MAX = 255;

export function issueBody(site: JiraSite, incident: IncidentState): string {
  const summary = `[${incident.severity}] ${incident.id}: ${incident.summary}`;
  const evidence = incident.evidence.map((e) => `${e.stream} seq ${e.seq}`).join(', ');
  return JSON.stringify({
    fields: {
      project: { key: site.project },
      issuetype: { name: site.issueType },
      summary: summary.length > SUMMARY_MAX ? `${summary.slice(0, SUMMARY_MAX - 1)}…` : summary,
      description: [
        incident.summary,
        '',
        `Incident: ${incident.id}`,
        `Rule: ${incident.rule}`,
        `Severity: ${incident.severity}`,
        `Subject: ${incident.subject}`,
        `Day: ${incident.day}`,
        `First evidence: ${incident.openedAt}`,
        `Evidence: ${evidence || 'none'}`,
      ].join('\n'),
      labels: [...site.labels.filter((l) => l !== jiraLabel(incident.id)), jiraLabel(incident.id)],
    },
  });
}

/** The key of the issue a label search found, or null. */
export function foundKey(answer: unknown): string | null {
  const issues = (answer as { issues?: unknown } | null)?.issues;
  if (!Array.isArray(issues) || issues.length === 0) return null;
  const key = (issues[0] as { key?: unknown } | null)?.key;
  return typeof key === 'string' && key ? key : null;
}

export function createdKey(answer: unknown): string | null {
  const key = (answer as { key?: unknown } | null)?.key;
  return typeof key === 'string' && key ? key : null;
}

function who(by: { identity: string; name: string | null }): string {
  return by.name ? `${by.name} (${by.identity})` : by.identity;
}

/** The text a change adds to the issue: who acknowledged or resolved it, when, and the note. */
export function changeComment(incident: IncidentState, changeSeq: number): string {
  const made = incident.history.find((h) => h.seq === changeSeq)?.event;
  if (!made || made.type === 'opened') return `${incident.id} changed`;
  const verb = made.type === 'acknowledged' ? 'Acknowledged' : 'Resolved';
  return `${verb} by ${who(made.by)} at ${made.at}${made.note ? `: ${made.note}` : ''} (${incident.id})`;
}

export function commentBody(incident: IncidentState, changeSeq: number): string {
  return JSON.stringify({ body: changeComment(incident, changeSeq) });
}

/**
 * Whether the issue's comments (`GET …/comment`) already hold `text`: a try whose answer was lost made it, and
 * posting it again would say the same thing twice. The text names the incident, who and when, so it is unique.
 */
export function hasComment(answer: unknown, text: string): boolean {
  const comments = (answer as { comments?: unknown } | null)?.comments;
  return Array.isArray(comments) && comments.some((c) => (c as { body?: unknown } | null)?.body === text);
}

/** The transition whose target status is in the done category, from `GET …/transitions`. */
export function doneTransition(answer: unknown): string | null {
  const transitions = (answer as { transitions?: unknown } | null)?.transitions;
  if (!Array.isArray(transitions)) return null;
  for (const t of transitions as { id?: unknown; to?: { statusCategory?: { key?: unknown } } }[]) {
    if (t?.to?.statusCategory?.key === 'done' && typeof t.id === 'string') return t.id;
  }
  return null;
}

export function transitionBody(transitionId: string, incident: IncidentState, changeSeq: number): string {
  return JSON.stringify({
    transition: { id: transitionId },
    update: { comment: [{ add: { body: changeComment(incident, changeSeq) } }] },
  });
}

/** Whether an issue (`GET …/issue/{key}?fields=status,…`) is in the done category. */
export function isDone(answer: unknown): boolean {
  const fields = (answer as { fields?: { status?: { statusCategory?: { key?: unknown } } } } | null)?.fields;
  return fields?.status?.statusCategory?.key === 'done';
}

/** Jira's `2026-11-24T15:00:00.000+0000` as an RFC 3339 instant; null when it is not one. */
export function jiraInstant(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const ns = parseInstant(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return ns === null ? null : formatInstant(ns);
}

export interface JiraResolution {
  at: string;
  by: { identity: string; name: null };
  note: string;
  link: string;
}

/** A done issue as our resolution: by `jira:<assignee>`, at its resolution date (else `now`), with its page. */
export function jiraResolution(answer: unknown, site: string, key: string, now: Date): JiraResolution | null {
  if (!isDone(answer)) return null;
  const fields = (answer as { fields: { resolutiondate?: unknown; assignee?: { displayName?: unknown } | null } })
    .fields;
  const name = fields.assignee?.displayName;
  const assignee = typeof name === 'string' && name.trim() ? name.trim().slice(0, 200) : 'unknown';
  const status = (fields as { status?: { name?: unknown } }).status?.name;
  const link = browseUrl(site, key);
  return {
    at: jiraInstant(fields.resolutiondate) ?? now.toISOString(),
    by: { identity: `jira:${assignee}`, name: null },
    note: `resolved in Jira: ${key}${typeof status === 'string' ? ` is ${status.slice(0, 100)}` : ''} (${link})`,
    link,
  };
}

/** Why Jira refused a request, from its answer (`{errorMessages[], errors{}}`), or just the HTTP status. */
export function jiraError(status: number, text: string): string {
  try {
    const answer = JSON.parse(text) as { errorMessages?: unknown; errors?: unknown };
    const messages = Array.isArray(answer.errorMessages)
      ? answer.errorMessages.filter((m): m is string => typeof m === 'string')
      : [];
    const fields =
      answer.errors && typeof answer.errors === 'object'
        ? Object.entries(answer.errors as Record<string, unknown>)
            .filter(([, v]) => typeof v === 'string')
            .map(([k, v]) => `${k}: ${v as string}`)
        : [];
    const all = [...messages, ...fields];
    if (all.length) return `HTTP ${status}: ${all.join('; ')}`;
  } catch {
    // Not JSON: the status says enough.
  }
  return `HTTP ${status}`;
}
