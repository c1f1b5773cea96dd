/**
 * Local stand-ins for PagerDuty's Events API v2 and Jira's REST API v2 on 127.0.0.1, implementing the requests and
 * answers the integrations use, and keeping every request they were sent for the tests to assert.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Request {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  status: number;
}

async function listen(
  handle: (req: IncomingMessage, body: string) => { status: number; body?: unknown },
): Promise<{ server: Server; url: string; requests: Request[] }> {
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
  return { server, url: `http://127.0.0.1:${port}`, requests };
}

/** PagerDuty: `POST /v2/enqueue` answers the next queued status (202 when none is queued), as PagerDuty words it. */
export async function pagerDutyStandIn() {
  const statuses: number[] = [];
  const listening = await listen((req, body) => {
    if (req.method !== 'POST' || req.url !== '/v2/enqueue') return { status: 404, body: { message: 'Not Found' } };
    const status = statuses.shift() ?? 202;
    if (status === 202) {
      const event = JSON.parse(body) as { dedup_key: string };
      return { status, body: { status: 'success', message: 'Event processed', dedup_key: event.dedup_key } };
    }
    if (status === 400)
      return {
        status,
        body: { status: 'invalid event', message: 'Event object is invalid', errors: ["'dedup_key' is unknown"] },
      };
    return { status, body: { status: 'unavailable', message: 'Service Unavailable' } };
  });
  return { ...listening, statuses };
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
  return { ...listening, issues, createFaults };
}

function brief(issue: Issue) {
  return { id: issue.key.replace('SEC-', '1000'), key: issue.key, self: `http://jira/rest/api/2/issue/${issue.key}` };
}
