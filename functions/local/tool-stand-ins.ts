/**
 * Local stand-ins on 127.0.0.1 for the tools incidents are sent to: a webhook receiver that checks each
 * notification's signature, PagerDuty's Events API v2 and Jira's REST API v2, implementing the requests and answers
 * the integrations use and keeping every request they were sent. The demo runs them; the tests assert against them.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Request {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  status: number;
}

/** An HTTP stand-in on a free loopback port that answers with `handle` and keeps every request it was sent. */
export async function listen(
  handle: (req: IncomingMessage, body: string) => { status: number; body?: unknown },
): Promise<{ server: Server; url: string; requests: Request[]; close(): Promise<void> }> {
  const requests: Request[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const answer = handle(req, body);
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        status: answer.status,
      });
      if (answer.body === undefined) res.writeHead(answer.status).end();
      else res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const close = () => new Promise<void>((r) => server.close(() => r()));
  return { server, url: `http://127.0.0.1:${port}`, requests, close };
}

/** One notification a webhook receiver was sent, and whether its X-Sox-Report-Signature checked out. */
export interface Received {
  type: string;
  incident: string;
  idempotencyKey: string;
  signatureValid: boolean;
}

/**
 * A webhook receiver: checks each POST's HMAC-SHA256 signature against `secret` as a receiver should (on the raw
 * body, in constant time), answers 204 when it holds and 401 when not, and hands each notification to `onReceive`.
 */
export async function webhookReceiver(secret: string, onReceive: (received: Received) => void = () => {}) {
  const received: Received[] = [];
  const listening = await listen((req, body) => {
    if (req.method !== 'POST') return { status: 405 };
    const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`);
    const given = Buffer.from(String(req.headers['x-sox-report-signature'] ?? ''));
    const signatureValid = given.length === expected.length && timingSafeEqual(given, expected);
    const parsed = parseBody(body);
    const notice: Received = {
      type: typeof parsed?.type === 'string' ? parsed.type : '?',
      incident: typeof parsed?.incident?.id === 'string' ? parsed.incident.id : '?',
      idempotencyKey: String(req.headers['idempotency-key'] ?? ''),
      signatureValid,
    };
    received.push(notice);
    onReceive(notice);
    return { status: signatureValid ? 204 : 401 };
  });
  return { ...listening, received };
}

/** A PagerDuty incident as the REST API v2 shows it (the fields the read-back uses). */
export interface PagerdutyIncident {
  id: string;
  incident_key: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  html_url: string;
  last_status_change_at: string;
  last_status_change_by: { type: string; summary: string } | null;
}

const PD_STATUS = { trigger: 'triggered', acknowledge: 'acknowledged', resolve: 'resolved' } as const;
const PD_API_ACCEPT = 'application/vnd.pagerduty+json;version=2';

/**
 * PagerDuty: `POST /v2/enqueue` answers the next queued status (202 when none is queued), as PagerDuty words it,
 * and an accepted event triggers, acknowledges or resolves the incident of its dedup key. `GET /incidents
 * ?incident_key=…` (REST API v2) lists that incident, for `Authorization: Token token=<apiToken>`.
 */
export async function pagerDutyStandIn(apiToken?: string) {
  const statuses: number[] = [];
  const incidents: PagerdutyIncident[] = [];
  let base = '';
  const listening = await listen((req, body) => {
    const url = new URL(req.url ?? '/', 'http://pagerduty');
    if (req.method === 'GET' && url.pathname === '/incidents') {
      if (apiToken === undefined || req.headers.authorization !== `Token token=${apiToken}`)
        return { status: 401, body: { error: { message: 'Unauthorized', code: 2006 } } };
      if (req.headers.accept !== PD_API_ACCEPT)
        return { status: 406, body: { error: { message: 'Not Acceptable', code: 2001 } } };
      const key = url.searchParams.get('incident_key');
      const found = incidents.filter((i) => key !== null && i.incident_key === key);
      return { status: 200, body: { incidents: found, limit: 25, offset: 0, more: false, total: null } };
    }
    if (req.method !== 'POST' || req.url !== '/v2/enqueue') return { status: 404, body: { message: 'Not Found' } };
    const status = statuses.shift() ?? 202;
    if (status === 202) {
      const event = JSON.parse(body) as { dedup_key: string; event_action: keyof typeof PD_STATUS };
      let incident = incidents.find((i) => i.incident_key === event.dedup_key);
      if (!incident && event.event_action === 'trigger') {
        const id = `Q${String(incidents.length + 1).padStart(6, '0')}`;
        incident = {
          id,
          incident_key: event.dedup_key,
          status: 'triggered',
          html_url: `${base}/incidents/${id}`,
          last_status_change_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          last_status_change_by: null,
        };
        incidents.push(incident);
      } else if (incident && incident.status !== 'resolved') {
        incident.status = PD_STATUS[event.event_action];
        incident.last_status_change_at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
        incident.last_status_change_by = { type: 'service_reference', summary: 'Events API' };
      }
      return { status, body: { status: 'success', message: 'Event processed', dedup_key: event.dedup_key } };
    }
    if (status === 400)
      return {
        status,
        body: { status: 'invalid event', message: 'Event object is invalid', errors: ["'dedup_key' is unknown"] },
      };
    return { status, body: { status: 'unavailable', message: 'Service Unavailable' } };
  });
  base = listening.url;
  /** Resolves the incident of a dedup key as someone on call would, in PagerDuty's web app. */
  const resolveIncident = (dedupKey: string, by: string, at: string) => {
    const incident = incidents.find((i) => i.incident_key === dedupKey);
    if (!incident) throw new Error(`no PagerDuty incident for ${dedupKey} in the stand-in`);
    incident.status = 'resolved';
    incident.last_status_change_at = at;
    incident.last_status_change_by = { type: 'user_reference', summary: by };
  };
  return { ...listening, statuses, incidents, resolveIncident };
}

function parseBody(body: string): { type?: unknown; incident?: { id?: unknown } } | null {
  try {
    return JSON.parse(body) as { type?: unknown; incident?: { id?: unknown } } | null;
  } catch {
    return null;
  }
}

export interface Issue {
  key: string;
  fields: Record<string, unknown> & { labels: string[] };
  status: { name: string; category: 'new' | 'indeterminate' | 'done' };
  resolutiondate: string | null;
  assignee: { displayName: string } | null;
  comments: string[];
}

const DONE = { name: 'Done', category: 'done' } as const;

/**
 * Jira: search by label, create, read, comment and transition issues of one project, for one user's basic auth.
 * `createFaults` are statuses the next creates answer with after making the issue all the same (a gateway that
 * timed out after Jira committed).
 */
export async function jiraStandIn(authorization: string) {
  const issues: Issue[] = [];
  const createFaults: number[] = [];
  const listening = await listen((req, body) => {
    if (req.headers.authorization !== authorization)
      return { status: 401, body: { errorMessages: ['You are not authenticated.'], errors: {} } };
    const url = new URL(req.url ?? '/', 'http://jira');
    const get = req.method === 'GET';
    const post = req.method === 'POST';
    if (get && url.pathname === '/rest/api/2/search') {
      const label = /^labels="([^"]+)"$/.exec(url.searchParams.get('jql') ?? '')?.[1];
      const found = issues.filter((i) => label !== undefined && i.fields.labels.includes(label));
      return { status: 200, body: { startAt: 0, maxResults: 1, total: found.length, issues: found.map(brief) } };
    }
    if (post && url.pathname === '/rest/api/2/issue') {
      const fields = (JSON.parse(body) as { fields: Issue['fields'] }).fields;
      const issue: Issue = {
        key: `SEC-${issues.length + 1}`,
        fields,
        status: { name: 'To Do', category: 'new' },
        resolutiondate: null,
        assignee: null,
        comments: [],
      };
      issues.push(issue);
      const fault = createFaults.shift();
      if (fault !== undefined) return { status: fault, body: { errorMessages: ['Service Unavailable'], errors: {} } };
      return { status: 201, body: brief(issue) };
    }
    const m = /^\/rest\/api\/2\/issue\/([A-Z]+-\d+)(\/comment|\/transitions)?$/.exec(url.pathname);
    const issue = m ? issues.find((i) => i.key === m[1]) : undefined;
    if (!m || !issue) return { status: 404, body: { errorMessages: ['Issue does not exist'], errors: {} } };
    if (get && m[2] === undefined)
      return {
        status: 200,
        body: {
          key: issue.key,
          fields: {
            status: { name: issue.status.name, statusCategory: { key: issue.status.category } },
            resolutiondate: issue.resolutiondate,
            assignee: issue.assignee,
          },
        },
      };
    if (get && m[2] === '/comment')
      return { status: 200, body: { comments: issue.comments.map((text, i) => ({ id: `${10001 + i}`, body: text })) } };
    if (post && m[2] === '/comment') {
      issue.comments.push((JSON.parse(body) as { body: string }).body);
      return { status: 201, body: { id: `${10000 + issue.comments.length}` } };
    }
    if (get && m[2] === '/transitions')
      return {
        status: 200,
        body: {
          transitions: [
            { id: '21', name: 'Start', to: { name: 'In Progress', statusCategory: { key: 'indeterminate' } } },
            { id: '31', name: 'Close', to: { name: 'Done', statusCategory: { key: 'done' } } },
          ],
        },
      };
    if (post && m[2] === '/transitions') {
      const sent = JSON.parse(body) as {
        transition: { id: string };
        update?: { comment?: { add: { body: string } }[] };
      };
      if (sent.transition.id !== '31') return { status: 400, body: { errorMessages: ['Bad transition'], errors: {} } };
      issue.status = DONE;
      issue.resolutiondate = '2026-12-04T12:00:00.000+0000';
      for (const c of sent.update?.comment ?? []) issue.comments.push(c.add.body);
      return { status: 204 };
    }
    return { status: 405, body: { errorMessages: ['Method Not Allowed'], errors: {} } };
  });
  /** Moves an issue to Done as someone working it in Jira would, assigned to `assignee`. */
  const markDone = (key: string, assignee: string, at: string) => {
    const issue = issues.find((i) => i.key === key);
    if (!issue) throw new Error(`no issue ${key} in the Jira stand-in`);
    issue.status = DONE;
    issue.resolutiondate = at;
    issue.assignee = { displayName: assignee };
  };
  return { ...listening, issues, createFaults, markDone };
}

function brief(issue: Issue) {
  return { id: issue.key.replace('SEC-', '1000'), key: issue.key, self: `http://jira/rest/api/2/issue/${issue.key}` };
}
