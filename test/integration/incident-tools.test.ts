/**
 * Incidents in PagerDuty and Jira, end to end: real report runs and CLI commands on a real nats-server, with local
 * stand-ins for PagerDuty's Events API v2 and Jira's REST API v2. The run's clock is injected (ports.now).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localArchive } from '../../functions/archive/local.js';
import { verifyArchive } from '../../functions/archive/verify.js';
import { demoConfig } from '../../functions/cli/demo.js';
import { terminalPorts } from '../../functions/cli/ports.js';
import { parseConfig } from '../../functions/config/load.js';
import type { Period } from '../../functions/config/period.js';
import type { Config } from '../../functions/config/schema.js';
import type { IncidentState } from '../../functions/incidents/model.js';
import { incidentLog, readIncidents, type IncidentRecord } from '../../functions/incidents/stream.js';
import { generateActivity } from '../../functions/local/activity.js';
import { runReport } from '../../functions/pipeline/run-report.js';
import { connectSource } from '../../functions/source/connect.js';
import { nanosFromMillis, nowNanos } from '../../functions/time/nanos.js';
import { soxReport } from '../support/cli.js';
import { startTestBed, type TestBed } from '../support/hub.js';
import { jiraStandIn, pagerDutyStandIn } from '../../functions/local/tool-stand-ins.js';

const ROUTING_KEY = 'R0UT1NGKEY9f3c1e27a8b64d05aa17c2';
const PD_ENV = 'SOX_TEST_PAGERDUTY_KEY';
const JIRA_SECRET = 'sox-bot@example.com:ATATT3xJiraToken7e41c9';
const JIRA_ENV = 'SOX_TEST_JIRA_AUTH';
const PD_API_TOKEN = 'u+PdRestT0ken8c2e5a91b7';
const PD_API_ENV = 'SOX_TEST_PAGERDUTY_API_TOKEN';
const BASIC = `Basic ${Buffer.from(JIRA_SECRET).toString('base64')}`;
const MINUTE = 60_000;
const SEVERITY = { critical: 'critical', high: 'error', medium: 'warning', low: 'info' } as const;

const search = (id: string) => `/rest/api/2/search?jql=labels%3D%22sox-incident-${id}%22&fields=key&maxResults=1`;
const who = (by: { identity: string; name: string | null }) => (by.name ? `${by.name} (${by.identity})` : by.identity);

describe('incidents in PagerDuty and Jira', () => {
  let bed: TestBed;
  let pd: Awaited<ReturnType<typeof pagerDutyStandIn>>;
  let jira: Awaited<ReturnType<typeof jiraStandIn>>;
  let config: Config;
  let configFile: string;
  let period: Period;
  let t0 = 0;
  let runs = 0;
  let ids: string[] = [];
  let mid = 0n;

  const tools = () => [
    { type: 'jira', name: 'jira', url: jira.url, project: 'SEC', labels: ['sox'], secretEnv: JIRA_ENV },
    { type: 'pagerduty', name: 'pd', url: pd.url, secretEnv: PD_ENV },
  ];
  const configWith = (integrations: object[]) => ({
    ...(demoConfig(bed.hub.url, bed.hub.passwords, path.join(bed.dir, 'reports')) as object),
    incidents: { integrations },
  });
  const run = async (offsetMs: number, within = period) => {
    const lines: string[] = [];
    const archive = path.join(bed.dir, `archive-${++runs}`);
    const ports = {
      ...(await terminalPorts(config, { archive, log: (l) => lines.push(l) })),
      alerts: null,
      now: () => nanosFromMillis(t0 + offsetMs),
    };
    const result = await runReport(config, within, ports);
    return { report: result.report!, lines, archive, html: await readFile(result.reportHtml, 'utf8') };
  };
  const record = async (): Promise<IncidentRecord> => {
    const audit = bed.config.sources[0]!;
    const nc = await connectSource(audit.name, audit.nats);
    try {
      return (await readIncidents(await incidentLog(nc)))!;
    } finally {
      await nc.close();
    }
  };
  const cli = (action: 'ack' | 'resolve', id: string, note: string) =>
    soxReport(['incidents', action, id, '--by', 'Jane Roe', '--note', note, '--config', configFile]);
  const issueOf = (id: string) => `SEC-${ids.indexOf(id) + 1}`;

  beforeAll(async () => {
    process.env[PD_ENV] = ROUTING_KEY;
    process.env[JIRA_ENV] = JIRA_SECRET;
    bed = await startTestBed('2.10.27');
    pd = await pagerDutyStandIn(PD_API_TOKEN);
    jira = await jiraStandIn(BASIC);
    config = parseConfig(configWith(tools()));
    configFile = path.join(bed.dir, 'config.json');
    await writeFile(configFile, JSON.stringify(configWith(tools())));
    const from = nowNanos();
    await generateActivity(bed.hub, { transactions: 4 });
    await new Promise((r) => setTimeout(r, 20));
    period = { from, to: nowNanos(), timezone: 'UTC', kind: 'adhoc' };
    t0 = Date.now();
  });
  afterAll(async () => {
    delete process.env[PD_ENV];
    delete process.env[JIRA_ENV];
    delete process.env[PD_API_ENV];
    pd?.server.close();
    jira?.server.close();
    await bed?.close();
  });

  it('takes PagerDuty at its default host and refuses a Jira without a project or with an inline secret', () => {
    const parsed = parseConfig(configWith([{ type: 'pagerduty', name: 'pd', secretEnv: PD_ENV }]));
    expect(parsed.incidents.integrations).toEqual([
      {
        type: 'pagerduty',
        name: 'pd',
        url: 'https://events.pagerduty.com',
        apiUrl: 'https://api.pagerduty.com',
        secretEnv: PD_ENV,
      },
    ]);
    const { project: _project, ...noProject } = tools()[0]!;
    expect(() => parseConfig(configWith([noProject]))).toThrow(/project/);
    expect(() => parseConfig(configWith([{ ...tools()[0], token: 'x' }]))).toThrow(/token/);
    expect(config.incidents.integrations[0]).toMatchObject({ issueType: 'Task', labels: ['sox'] });
  });

  it('triggers PagerDuty and creates Jira issues; a 503 from either is recorded and the run goes on', async () => {
    pd.statuses.push(202, 503);
    jira.createFaults.push(503);
    const { report, lines, html } = await run(0);
    ids = report.incidents.map((i) => i.id).sort();
    expect(ids.length).toBeGreaterThanOrEqual(5);
    const states = (await record()).incidents;

    // PagerDuty: one trigger per incident, deduplicated by its id, our severity on PagerDuty's scale.
    expect(pd.requests).toHaveLength(ids.length);
    pd.requests.forEach((request, n) => {
      const state = states.get(ids[n]!)!;
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/v2/enqueue');
      expect(request.headers['content-type']).toBe('application/json');
      expect(JSON.parse(request.body)).toEqual({
        routing_key: ROUTING_KEY,
        event_action: 'trigger',
        dedup_key: state.id,
        payload: {
          summary: `${state.id}: ${state.summary}`,
          severity: SEVERITY[state.severity],
          source: state.subject,
          custom_details: {
            incident: state.id,
            rule: state.rule,
            severity: state.severity,
            day: state.day,
            openedAt: state.openedAt,
            evidence: state.evidence,
          },
        },
      });
    });
    expect(pd.requests.map((r) => r.status)).toEqual([202, 503, ...ids.slice(2).map(() => 202)]);

    // Jira: a search by the incident's label, then the issue; the first create made SEC-1 but answered 503.
    expect(jira.requests.map((r) => `${r.method} ${r.path}`)).toEqual(
      ids.flatMap((id) => [`GET ${search(id)}`, 'POST /rest/api/2/issue']),
    );
    for (const request of jira.requests) {
      expect(request.headers.authorization).toBe(BASIC);
      expect(request.headers.accept).toBe('application/json');
      if (request.method === 'POST') expect(request.headers['content-type']).toBe('application/json');
    }
    const state = states.get(ids[2]!)!;
    expect(JSON.parse(jira.requests[5]!.body)).toEqual({
      fields: {
        project: { key: 'SEC' },
        issuetype: { name: 'Task' },
        summary: `[${state.severity}] ${state.id}: ${state.summary}`.slice(0, 255),
        description: [
          state.summary,
          '',
          `Incident: ${state.id}`,
          `Rule: ${state.rule}`,
          `Severity: ${state.severity}`,
          `Subject: ${state.subject}`,
          `Day: ${state.day}`,
          `First evidence: ${state.openedAt}`,
          `Evidence: ${state.evidence.map((e) => `${e.stream} seq ${e.seq}`).join(', ')}`,
        ].join('\n'),
        labels: ['sox', `sox-incident-${state.id}`],
      },
    });
    expect(jira.issues.map((i) => i.key)).toEqual(ids.map((_, n) => `SEC-${n + 1}`));

    const at = new Date(t0).toISOString();
    const undelivered = (incident: string, integration: string) => ({
      incident,
      integration,
      change: 'opened',
      queuedAt: at,
      attempts: 1,
      lastError: 'HTTP 503: Service Unavailable',
      nextAttemptAt: new Date(t0 + 5 * MINUTE).toISOString(),
      ageSeconds: 0,
    });
    expect(report.notifications).toEqual({
      integrations: ['jira', 'pd'],
      recordError: null,
      undelivered: [undelivered(ids[0]!, 'jira'), undelivered(ids[1]!, 'pd')],
    });
    const inTools = (id: string) => report.incidents.find((i) => i.id === id)!.integrations;
    expect(inTools(ids[0]!)).toEqual([
      { integration: 'jira', type: 'jira', key: null, url: null, sync: 'pending' },
      { integration: 'pd', type: 'pagerduty', key: ids[0], url: null, sync: 'delivered' },
    ]);
    expect(inTools(ids[1]!)).toEqual([
      { integration: 'jira', type: 'jira', key: 'SEC-2', url: `${jira.url}/browse/SEC-2`, sync: 'delivered' },
      { integration: 'pd', type: 'pagerduty', key: ids[1], url: null, sync: 'pending' },
    ]);
    expect(lines).toContain(
      `NOTIFICATION NOT DELIVERED: opened of ${ids[0]} to jira (try 1): HTTP 503: Service Unavailable`,
    );
    expect(html).toContain('Incidents in the incident management tools');
    expect(html).toContain(`SEC-2 ${jira.url}/browse/SEC-2`);
    for (const secret of [ROUTING_KEY, JIRA_SECRET, 'ATATT3xJiraToken7e41c9', BASIC.slice(6)]) {
      expect(lines.join('\n')).not.toContain(secret);
      expect(JSON.stringify(report)).not.toContain(secret);
      expect(html).not.toContain(secret);
    }
  });

  it('retries after the backoff: the same PagerDuty event; the Jira issue found by label, not made twice', async () => {
    const [pdBefore, jiraBefore] = [pd.requests.length, jira.requests.length];
    const { report, archive, html } = await run(6 * MINUTE);
    expect(pd.requests.slice(pdBefore).map((r) => r.body)).toEqual([pd.requests[1]!.body]);
    expect(pd.requests.at(-1)!.status).toBe(202);
    // Each run first reads the issues of the open incidents (resolved in Jira?); then the retry searches by label.
    expect(jira.requests.slice(jiraBefore).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      ...ids.slice(1).map((_, n) => `GET /rest/api/2/issue/SEC-${n + 2}?fields=status,resolutiondate,assignee 200`),
      `GET ${search(ids[0]!)} 200`,
    ]);
    expect(jira.issues).toHaveLength(ids.length);
    expect((await record()).links).toContainEqual({
      id: ids[0],
      integration: 'jira',
      key: 'SEC-1',
      url: `${jira.url}/browse/SEC-1`,
    });
    expect(report.notifications).toEqual({ integrations: ['jira', 'pd'], recordError: null, undelivered: [] });
    for (const [n, id] of ids.entries())
      expect(report.incidents.find((i) => i.id === id)!.integrations).toEqual([
        {
          integration: 'jira',
          type: 'jira',
          key: `SEC-${n + 1}`,
          url: `${jira.url}/browse/SEC-${n + 1}`,
          sync: 'delivered',
        },
        { integration: 'pd', type: 'pagerduty', key: id, url: null, sync: 'delivered' },
      ]);
    expect(html).toContain(`SEC-1 ${jira.url}/browse/SEC-1`);
    // The new fields re-perform like the rest.
    const verified = await verifyArchive(localArchive(archive), { recompute: true });
    expect(verified.entries.map((e) => e.problems)).toEqual([[]]);
  });

  it('acks and resolves from the CLI: a Jira comment and transition; a 400 from PagerDuty is recorded', async () => {
    mid = nowNanos();
    const [acked, resolved] = [ids[2]!, ids[3]!];
    const [pdBefore, jiraBefore] = [pd.requests.length, jira.requests.length];
    pd.statuses.push(400);
    const ack = await cli('ack', acked, 'on it');
    expect(ack.code).toBe(0);
    expect(ack.stderr).toContain(
      `NOTIFICATION NOT DELIVERED: acknowledged of ${acked} to pd (try 1): ` +
        "HTTP 400: Event object is invalid ('dedup_key' is unknown)",
    );
    const res = await cli('resolve', resolved, 'rotated the credentials');
    expect(res.code).toBe(0);
    const states = (await record()).incidents;
    const ackEvent = states.get(acked)!.acknowledged!;
    const resEvent = states.get(resolved)!.resolved!;

    expect(pd.requests.slice(pdBefore).map((r) => [JSON.parse(r.body), r.status])).toEqual([
      [{ routing_key: ROUTING_KEY, event_action: 'acknowledge', dedup_key: acked }, 400],
      [{ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: resolved }, 202],
    ]);
    const sent = jira.requests.slice(jiraBefore);
    expect(sent.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      `GET /rest/api/2/issue/${issueOf(acked)}/comment 200`,
      `POST /rest/api/2/issue/${issueOf(acked)}/comment 201`,
      `GET /rest/api/2/issue/${issueOf(resolved)}?fields=status 200`,
      `GET /rest/api/2/issue/${issueOf(resolved)}/transitions 200`,
      `POST /rest/api/2/issue/${issueOf(resolved)}/transitions 204`,
    ]);
    for (const r of sent) expect(r.headers.authorization).toBe(BASIC);
    const comment = `Acknowledged by ${who(ackEvent.by)} at ${ackEvent.at}: on it (${acked})`;
    expect(JSON.parse(sent[1]!.body)).toEqual({ body: comment });
    const resolution = `Resolved by ${who(resEvent.by)} at ${resEvent.at}: rotated the credentials (${resolved})`;
    expect(JSON.parse(sent[4]!.body)).toEqual({
      transition: { id: '31' },
      update: { comment: [{ add: { body: resolution } }] },
    });
    expect(jira.issues.find((i) => i.key === issueOf(resolved))).toMatchObject({
      status: { category: 'done' },
      comments: [resolution],
    });
    const pending = (await record()).notices.find((n) => n.id === acked && n.integration === 'pd' && !n.delivered);
    expect(pending).toMatchObject({
      change: 'acknowledged',
      attempts: 1,
      lastError: "HTTP 400: Event object is invalid ('dedup_key' is unknown)",
    });
  });

  it('reads a resolution made in Jira back into the record, and the next reports show it mitigated', async () => {
    const target = ids[4]!;
    const issue = jira.issues.find((i) => i.key === issueOf(target))!;
    issue.status = { name: 'Done', category: 'done' };
    issue.resolutiondate = '2026-12-04T09:30:00.000+0000';
    issue.assignee = { displayName: 'Ada Lovelace' };
    const [pdBefore, jiraBefore] = [pd.requests.length, jira.requests.length];

    const { report, lines, html } = await run(20 * MINUTE);
    const open = ids.filter((id) => id !== ids[3]);
    const sent = jira.requests.slice(jiraBefore).map((r) => `${r.method} ${r.path}`);
    // Every open incident's issue is read, then the resolution is sent to Jira: done already, so nothing moves.
    expect(sent.slice(0, open.length).sort()).toEqual(
      open.map((id) => `GET /rest/api/2/issue/${issueOf(id)}?fields=status,resolutiondate,assignee`).sort(),
    );
    expect(sent.slice(open.length)).toEqual([`GET /rest/api/2/issue/${issueOf(target)}?fields=status`]);
    expect(jira.issues).toHaveLength(ids.length);

    const link = `${jira.url}/browse/${issueOf(target)}`;
    const note = `resolved in Jira: ${issueOf(target)} is Done (${link})`;
    const state: IncidentState = (await record()).incidents.get(target)!;
    expect(state.status).toBe('resolved');
    expect(state.resolved).toMatchObject({
      at: '2026-12-04T09:30:00.000000000Z',
      by: { identity: 'jira:Ada Lovelace', name: null },
      note,
      link,
    });
    expect(lines).toContain(`incident ${target} resolved in Jira (${issueOf(target)}) by jira:Ada Lovelace`);
    expect(lines).toContain('incidents: 1 resolved in Jira');

    // PagerDuty hears of the resolution, and the acknowledgement refused earlier is retried.
    expect(
      pd.requests
        .slice(pdBefore)
        .map((r) => JSON.parse(r.body))
        .sort((a, b) => a.dedup_key.localeCompare(b.dedup_key)),
    ).toEqual([
      { routing_key: ROUTING_KEY, event_action: 'acknowledge', dedup_key: ids[2] },
      { routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: target },
    ]);
    const shown = report.incidents.find((i) => i.id === target)!;
    expect(shown.status).toBe('resolved');
    expect(shown.resolved).toEqual({ at: state.resolved!.storedAt, by: 'jira:Ada Lovelace', note, link });
    expect(report.notifications!.undelivered).toEqual([]);
    expect(shown.integrations).toEqual([
      { integration: 'jira', type: 'jira', key: issueOf(target), url: link, sync: 'delivered' },
      { integration: 'pd', type: 'pagerduty', key: target, url: null, sync: 'delivered' },
    ]);
    expect(html).toContain(`${issueOf(target)} ${link}`);

    // A report of the period the resolutions were recorded in lists both as mitigated in it.
    const later = await run(30 * MINUTE, { from: mid, to: nowNanos(), timezone: 'UTC', kind: 'adhoc' });
    expect(
      later.report.incidents
        .filter((i) => i.resolvedInPeriod)
        .map((i) => i.id)
        .sort(),
    ).toEqual([ids[3], target].sort());
    expect(later.html).toContain('Incidents resolved in this period (mitigated)');
    expect(later.html).toContain(note);
    for (const secret of [ROUTING_KEY, JIRA_SECRET, 'ATATT3xJiraToken7e41c9']) {
      expect([...lines, ...later.lines].join('\n')).not.toContain(secret);
      expect(JSON.stringify(later.report)).not.toContain(secret);
    }
  });

  it('reads a resolution made in PagerDuty back by its incident key with the REST API token', async () => {
    process.env[PD_API_ENV] = PD_API_TOKEN;
    config = parseConfig(configWith([tools()[0]!, { ...tools()[1]!, apiTokenEnv: PD_API_ENV, apiUrl: pd.url }]));
    const open = [...(await record()).incidents.values()]
      .filter((i) => i.status !== 'resolved')
      .map((i) => i.id)
      .sort();
    const target = open[0]!;
    pd.resolveIncident(target, 'Grace Hopper', '2026-12-04T10:15:00Z');
    const pdBefore = pd.requests.length;

    const { lines } = await run(40 * MINUTE);
    const reads = pd.requests.slice(pdBefore).filter((r) => r.method === 'GET');
    expect(reads.map((r) => `${r.path} ${r.status}`).sort()).toEqual(
      open.map((id) => `/incidents?incident_key=${id} 200`).sort(),
    );
    for (const r of reads) {
      expect(r.headers.authorization).toBe(`Token token=${PD_API_TOKEN}`);
      expect(r.headers.accept).toBe('application/vnd.pagerduty+json;version=2');
    }
    const paged = pd.incidents.find((i) => i.incident_key === target)!;
    const link = `${pd.url}/incidents/${paged.id}`;
    expect((await record()).incidents.get(target)!.resolved).toMatchObject({
      at: '2026-12-04T10:15:00.000000000Z',
      by: { identity: 'pagerduty:Grace Hopper', name: null },
      note: `resolved in PagerDuty: ${paged.id} (${link})`,
      link,
    });
    expect(lines).toContain(`incident ${target} resolved in PagerDuty by pagerduty:Grace Hopper`);
    expect(lines).toContain('incidents: 1 resolved in PagerDuty');

    // A token PagerDuty refuses: each read is logged as not read, and the token is never in a line.
    const wrong = 'wr0ng-PdToken-never-logged';
    process.env[PD_API_ENV] = wrong;
    const again = await run(50 * MINUTE);
    expect(again.lines.filter((l) => l.startsWith('PAGERDUTY NOT READ')).sort()).toEqual(
      open
        .filter((id) => id !== target)
        .map((id) => `PAGERDUTY NOT READ (pd): ${id}: HTTP 401: Unauthorized`)
        .sort(),
    );
    for (const secret of [wrong, PD_API_TOKEN]) {
      expect([...lines, ...again.lines].join('\n')).not.toContain(secret);
      expect(JSON.stringify(again.report)).not.toContain(secret);
    }
  });
});
