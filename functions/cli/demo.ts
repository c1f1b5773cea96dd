import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AccessSection } from '../access/model.js';
import type { ReportV1 } from '../analysis/report-model.js';
import { parseConfig } from '../config/load.js';
import type { Period } from '../config/period.js';
import { InputError } from '../errors.js';
import { generateActivity } from '../local/activity.js';
import { DEFAULT_HUB_PASSWORDS, startHub, type HubUsers } from '../local/hub.js';
import { startOperatorHub, type OperatorLayout } from '../local/operator-hub.js';
import { generateOperatorActivity } from '../local/operator-activity.js';
import { actorOf } from '../analysis/detection/common.js';
import { named } from '../text/named.js';
import { visible } from '../text/visible.js';
import { describeConfiguredAccount } from '../config/account-refs.js';
import { resolveConfiguredAccounts } from '../source/account-directory.js';
import { newestNatsServerBinary } from '../local/nats-binaries.js';
import { jiraStandIn, webhookReceiver, type Received } from '../local/tool-stand-ins.js';
import { runReport } from '../pipeline/run-report.js';
import { connectSource } from '../source/connect.js';
import { describePlan, provisionSource } from '../source/provision.js';
import { formatInstant, nowNanos } from '../time/nanos.js';
import { DateTime } from 'luxon';
import { verifyArchive } from '../archive/verify.js';
import { EVIDENCE_FILE, keyPathOf } from '../archive/layout.js';
import { dailyPeriod } from '../config/period.js';
import { LOCAL_CERT_FILE } from '../seal/local-signer.js';
import { certificateSha256 } from '../seal/manifest.js';
import { connectionIdentity } from '../incidents/identity.js';
import { describeIncidentStreamPlan, ensureIncidentStream, incidentLog, resolve } from '../incidents/stream.js';
import { describeAttestationStreamPlan, ensureAttestationStream } from '../attest/stream.js';
import { jetstreamManager } from '@nats-io/jetstream';
import { pullJiraResolutions } from '../incidents/jira-sync.js';
import type { Config, SourceConfig } from '../config/schema.js';
import type { Ports } from '../pipeline/contracts.js';
import { reportError, shownLine } from './exit.js';
import { formatVerifyReport } from './verify.js';
import { terminalPorts } from './ports.js';

/** Who the demo's reports go to (its configuration's `email.to`). */
export const DEMO_RECIPIENTS: readonly string[] = ['cfo@demo.example', 'audit@demo.example'];

/**
 * The configuration the demo writes: the hub layout's two sources, read with their own users; the signing key
 * and the outbox sit beside the archive, never in it.
 */
export function demoConfig(url: string, passwords: HubUsers, archive: string, tools?: DemoTools): unknown {
  const beside = (name: string) => path.join(path.dirname(archive), name);
  return {
    timezone: 'America/New_York',
    ...(tools ? { incidents: { integrations: demoIntegrations(tools) } } : {}),
    sources: [
      {
        name: 'audit',
        account: 'AUDIT',
        nats: { servers: [url], user: 'audit', pass: passwords.audit },
        streams: [
          { stream: 'SYS_EVENTS', kind: 'system-events' },
          { stream: 'APP_JS_ADVISORIES', kind: 'advisories', account: 'APP' },
          { stream: 'AUDIT_JS_ADVISORIES', kind: 'advisories', account: 'AUDIT' },
        ],
      },
      {
        name: 'app',
        account: 'APP',
        nats: { servers: [url], user: 'app', pass: passwords.app },
        streams: [{ stream: 'TRANSACTIONS', kind: 'transactions' }],
      },
    ],
    archive,
    signing: { kind: 'local', dir: beside('signing') },
    branding: { company: 'Demo Payments Inc.', title: 'NATS SOX control report' },
    email: {
      from: 'sox-reports@demo.example',
      to: [...DEMO_RECIPIENTS],
      outbox: beside('outbox'),
    },
  };
}

/** The environment variables the demo's integration secrets are read from (the demo sets them for itself). */
export const DEMO_WEBHOOK_ENV = 'SOX_DEMO_WEBHOOK_SECRET';
export const DEMO_JIRA_ENV = 'SOX_DEMO_JIRA_AUTH';
const DEMO_JIRA_USER = 'demo-bot@demo.example';
/** Who works the Jira issue the demo closes in the stand-in, as the resolution read back names them. */
export const DEMO_JIRA_ASSIGNEE = 'Dana Analyst';

/** Where the demo's local tools listen. */
export interface DemoTools {
  webhookUrl: string;
  jiraUrl: string;
}

/** A webhook and a Jira project, their secrets named by environment variable, never written in the file. */
function demoIntegrations(tools: DemoTools): unknown[] {
  return [
    { type: 'webhook', name: 'hook', url: `${tools.webhookUrl}/sox-incidents`, secretEnv: DEMO_WEBHOOK_ENV },
    { type: 'jira', name: 'jira', url: tools.jiraUrl, project: 'SEC', labels: ['sox'], secretEnv: DEMO_JIRA_ENV },
  ];
}

/**
 * The demo configuration for the operator-mode layout (functions/local/operator-hub.ts): each source reads with
 * its user's creds file. Accounts are named as their JWTs name them: the run resolves each to its public key
 * through the server, and finds the subject AUDIT imports APP's advisories on (the operator's prefix "APP.").
 */
export function operatorDemoConfig(url: string, layout: OperatorLayout, archive: string, tools?: DemoTools): unknown {
  const document = demoConfig(url, DEFAULT_HUB_PASSWORDS, archive, tools) as {
    sources: { name: 'audit' | 'app'; nats: unknown }[];
  };
  return {
    ...document,
    // The hub layout's sources, each logging in with its user's creds file instead of a password.
    sources: document.sources.map((source) => ({
      ...source,
      nats: { servers: [url], creds: layout.creds[source.name] },
    })),
  };
}

/** The demo's server and what it was started with, in either layout. */
interface DemoHub {
  url: string;
  stop(): Promise<void>;
  /** The configuration document, read with the reporting users. */
  document(archive: string, tools: DemoTools): unknown;
  /** The audit source as provision runs it: in operator mode the administrator's creds (audit may not create). */
  provisioner(audit: SourceConfig): SourceConfig;
  activity(): Promise<void>;
  /** Why the incident resolved in the demo was expected. */
  note: string;
}

async function startDemoHub(dir: string, operator: boolean, binary: string): Promise<DemoHub> {
  if (operator) {
    const hub = await startOperatorHub(binary, path.join(dir, 'nats'));
    return {
      url: hub.url,
      stop: hub.stop,
      document: (archive, tools) => operatorDemoConfig(hub.url, hub.layout, archive, tools),
      provisioner: (audit) => ({ ...audit, nats: { ...audit.nats, creds: hub.layout.creds.admin } }),
      activity: async () => {
        await generateOperatorActivity(hub, { transactions: 12 });
      },
      note: 'alice lost a copy of her JWT; her seed was not in it (ticket SEC-124)',
    };
  }
  const passwords: HubUsers = { sys: secret(), app: secret(), leaf: secret(), audit: secret() };
  const hub = await startHub(binary, path.join(dir, 'nats'), passwords);
  return {
    url: hub.url,
    stop: hub.stop,
    document: (archive, tools) => demoConfig(hub.url, passwords, archive, tools),
    provisioner: (audit) => audit,
    activity: async () => {
      await generateActivity(hub, { transactions: 12, leafBinary: binary, leafDir: path.join(dir, 'leaf') });
    },
    note: 'mallory is the penetration-test account; the test was scheduled (ticket SEC-123)',
  };
}

export async function demoCommand(opts: { dir: string; operator?: boolean }): Promise<number> {
  const dir = path.resolve(opts.dir);
  // Names from the activity (users, clients, notes) reach the terminal: shown, never raw, one line a call.
  const out = (line = '') => process.stdout.write(`${shownLine(line)}\n`);
  let stopHub: (() => Promise<void>) | null = null;
  const stopTools: (() => Promise<void>)[] = [];
  try {
    await mkdir(dir, { recursive: true });
    if ((await readdir(dir)).length > 0) throw new InputError(`demo: ${dir} is not empty; give an empty or new --dir`);
    const binary = newestNatsServerBinary();
    const hub = await startDemoHub(dir, opts.operator ?? false, binary);
    stopHub = hub.stop;
    const mode = opts.operator ? 'operator (JWT) mode: accounts and users as JWTs, logins with creds files' : '';
    out(`nats-server (${binary}) listening at ${hub.url}, store in ${path.join(dir, 'nats')}`);
    if (mode) out(mode);

    // The integrations' secrets, for this process only: the configuration names the variables.
    const hookSecret = secret();
    const jiraSecret = `${DEMO_JIRA_USER}:${secret()}`;
    process.env[DEMO_WEBHOOK_ENV] = hookSecret;
    process.env[DEMO_JIRA_ENV] = jiraSecret;
    const showReceived = (r: Received) =>
      out(`  webhook received ${r.type} ${r.incident} (signature ${r.signatureValid ? 'valid' : 'INVALID'})`);
    const hook = await webhookReceiver(hookSecret, showReceived);
    stopTools.push(hook.close);
    const jira = await jiraStandIn(`Basic ${Buffer.from(jiraSecret, 'utf8').toString('base64')}`);
    stopTools.push(jira.close);
    out(`webhook receiver at ${hook.url}, secret in ${DEMO_WEBHOOK_ENV}`);
    out(`Jira stand-in at ${jira.url}, email:apiToken in ${DEMO_JIRA_ENV}`);

    const configFile = path.join(dir, 'sox-report.json');
    const tools = { webhookUrl: hook.url, jiraUrl: jira.url };
    const document = hub.document(path.join(dir, 'reports'), tools);
    await writeFile(configFile, `${JSON.stringify(document, null, 2)}\n`, { mode: 0o600 });
    const config = parseConfig(document, configFile);
    out(`configuration: ${configFile}`);

    const from = nowNanos();
    out('\nprovision:');
    // Operator mode: the accounts are configured by name; the server says which key each is.
    const resolved = await resolveConfiguredAccounts(config, (s) => connectSource(s.name, s.nats));
    for (const line of (resolved.accounts ?? []).map(describeConfiguredAccount)) if (line !== null) out(`  ${line}`);
    const audit = hub.provisioner(resolved.config.sources[0]!);
    const nc = await connectSource(audit.name, audit.nats);
    try {
      for (const line of describePlan(await provisionSource(resolved.config, audit, nc, false), false))
        out(`  ${line}`);
      // The records too, as `sox-report provision` makes them: in operator mode the reporting user may not.
      const jsm = await jetstreamManager(nc);
      out(`  ${describeIncidentStreamPlan(await ensureIncidentStream(jsm))}`);
      out(`  ${describeAttestationStreamPlan(await ensureAttestationStream(jsm, resolved.config))}`);
    } finally {
      await nc.close();
    }

    out(
      opts.operator
        ? "\nactivity: transactions, JetStream changes by alice and admin, failed logins with a copy of alice's JWT"
        : '\nactivity: transactions, failed logins, JetStream changes, a deleted record, refused tampering, ' +
            'a leaf node',
    );
    await hub.activity();

    const period: Period = { from, to: nowNanos() + 1_000_000n, timezone: config.timezone, kind: 'adhoc' };
    await new Promise((r) => setTimeout(r, 5));
    const ports = await terminalPorts(config, { log: (line) => out(`  ${line}`) });
    const result = await runReport(config, period, ports);
    out(`\nreport for [${formatInstant(period.from)}, ${formatInstant(period.to)}):`);
    summarize(result.report!, out);
    out(`\nbundle:      ${result.reportDir}`);
    out(`report.json: ${result.reportJson}`);
    out(`report.html: ${result.reportHtml}`);
    out(`report.pdf:  ${result.reportPdf}`);
    out(`manifest:    ${result.manifest}`);
    out(`email:       ${result.email ?? '(none)'}`);

    await showIncidentFlow(config, configFile, period, result.report!, ports, jira, hub.note, out);

    // Two nightly reports of the days before (nothing happened on them: the server is new) start the daily chain.
    out('\ndaily reports of the two days before (empty days still get a bundle, so the chain has no holes):');
    const today = DateTime.now().setZone(config.timezone);
    for (const back of [2, 1]) {
      const daily = dailyPeriod(today.minus({ days: back }).toISODate()!, config.timezone);
      const sealed = await runReport(config, daily, ports);
      out(`  ${daily.date}: ${sealed.reportDir}`);
    }

    const certificate = path.join(path.dirname(config.archive), 'signing', LOCAL_CERT_FILE);
    out(`\nsox-report verify ${config.archive} --trust ${certificate} --recompute`);
    const verified = await verifyArchive(ports.archive, {
      trust: { pems: [ports.signer.certificatePem] },
      recompute: true,
    });
    for (const line of formatVerifyReport(verified).trimEnd().split('\n')) out(`  ${line}`);
    const keyPath = path.join(
      config.archive,
      keyPathOf(ports.signer.publicKeySha256, certificateSha256(ports.signer.certificatePem)),
    );
    out('\nwithout this software, with openssl:');
    out(`  openssl dgst -sha256 -verify ${keyPath} -signature ${result.manifest}.sig ${result.manifest}`);
    out(`  pdfsig ${result.reportPdf}`);
    out('every message the report rests on, in its evidence file (SHA-256 in the manifest):');
    out(
      `  zcat ${path.join(result.reportDir, EVIDENCE_FILE)} ` +
        `| jq -c 'select(.type == "message") | {stream, seq, time, subject}'`,
    );
    return verified.ok ? 0 : 1;
  } catch (err) {
    return reportError(err);
  } finally {
    for (const stop of stopTools) await stop();
    await stopHub?.();
  }
}

/** The incidents the report opened, one resolved as a security officer would, and the next report showing it. */
async function showIncidentFlow(
  config: Config,
  configFile: string,
  period: Period,
  report: ReportV1,
  ports: Ports,
  jira: Awaited<ReturnType<typeof jiraStandIn>>,
  note: string,
  out: (line?: string) => void,
): Promise<void> {
  out('\nincidents opened (each was alerted once, on stderr here; on AWS through SNS):');
  for (const i of report.incidents) out(`  ${i.id}  ${i.severity.toUpperCase()}  ${i.rule}: ${i.subject ?? ''}`);
  const incident = report.incidents.find((i) => i.rule === 'unknown-user') ?? report.incidents[0];
  if (!incident) return;
  // Someone works another incident's issue in Jira and closes it there: the next run reads the resolution back.
  const inJira = report.incidents.find((i) => i.rule === 'message-deleted');
  const issue = inJira ? jira.issues.find((i) => i.fields.labels.includes(`sox-incident-${inJira.id}`)) : undefined;
  if (inJira && issue) {
    jira.markDone(issue.key, DEMO_JIRA_ASSIGNEE, new Date().toISOString().replace('Z', '+0000'));
    out(`\n${issue.key} (${inJira.id}) marked Done in the Jira stand-in, assigned to ${DEMO_JIRA_ASSIGNEE}`);
  }
  const audit = config.sources[0]!;
  const nc = await connectSource(audit.name, audit.nats);
  try {
    const log = await incidentLog(nc, { consumerPrefix: config.report.consumerPrefix });
    const identity = await connectionIdentity(nc, {
      source: audit.name,
      account: audit.account,
      user: audit.nats.user,
      creds: audit.nats.creds,
    });
    await resolve(log, incident.id, { identity, name: 'Demo Security Officer' }, note);
    // Each run reads Jira back first; read now, so the resolution lies inside the next report's period.
    await pullJiraResolutions(log, config.incidents.integrations, {
      env: process.env,
      now: new Date(),
      log: ports.log,
    });
  } finally {
    await nc.close();
  }
  out(`\nresolved ${incident.id}, as a security officer does with:`);
  out(`  npx sox-report incidents list --open --config ${configFile}`);
  out(
    `  npx sox-report incidents resolve ${incident.id} --config ${configFile} --by "Demo Security Officer" ` +
      `--note "${note}"`,
  );
  // Whole milliseconds: end one later, and wait it out, so the resolution just stored lies inside the period.
  const next: Period = { from: period.to, to: nowNanos() + 1_000_000n, timezone: config.timezone, kind: 'adhoc' };
  await new Promise((r) => setTimeout(r, 5));
  const followUp = await runReport(config, next, ports);
  out('the report of the period after it shows the resolutions:');
  for (const i of followUp.report!.incidents.filter((x) => x.resolvedInPeriod)) {
    out(`  ${i.id} resolved by ${i.resolved?.by}: ${i.resolved?.note}`);
  }
  const fromJira = followUp.report!.incidents.find((i) => i.id === inJira?.id && i.resolvedInPeriod);
  if (fromJira && issue)
    out(`the resolution flowed back from Jira: ${fromJira.id} resolved by ${fromJira.resolved?.by} (${issue.key})`);
  out(`  ${followUp.reportPdf}`);
}

function secret(): string {
  return randomBytes(18).toString('base64url');
}

function summarize(report: ReportV1, out: (line?: string) => void): void {
  out(
    `  connections: ${report.connections.connects} connects, ${report.connections.disconnects} disconnects, ` +
      `${report.connections.users} users; leaf nodes: ${report.connections.leafnodes.connects}`,
  );
  out(
    `  auth failures: ${report.authFailures.total} ` +
      `(${report.authFailures.byUser
        .map((u) => `${u.user === null ? '?' : named(u.user, u.userName)}: ${u.count}`)
        .join(', ')})`,
  );
  out(`  JetStream changes: ${report.jetstreamSummary.changes} (${report.jetstreamSummary.refused} refused)`);
  for (const c of report.jetstreamChanges) {
    out(
      `    ${c.time} ${actorOf(c)} ${c.operation} ${c.target} ` +
        `${c.success ? 'ok' : 'REFUSED'}${c.detail ? ` (${c.detail})` : ''}`,
    );
  }
  out(`  transactions: ${report.transactions.total}`);
  for (const s of report.streams) {
    out(
      `  stream ${s.stream}: ${s.messages} messages, seq ${s.firstSeq ?? '-'}..${s.lastSeq ?? '-'}, ` +
        `gaps ${JSON.stringify(s.gaps)}`,
    );
  }
  for (const c of report.controls) out(`  control ${c.id}: ${c.status.toUpperCase()} ${c.detail}`);
  out(`  unparseable: ${report.unparseable}`);
  if (report.access) summarizeAccess(report.access, out);
}

/**
 * The access review in a few lines: the mode, the servers, who may do what, and what changed. Names and subjects
 * come from JWTs and servers, anyone's choice: each is shown through `visible` here, whatever `out` does with the
 * line, so that a name's line break can never start a line of the name's own.
 */
export function summarizeAccess(access: AccessSection, out: (line?: string) => void): void {
  const servers = access.servers.map((s) => visible(`${s.name} ${s.version}`)).join(', ') || 'none read';
  out(`  access: ${access.mode} mode; servers ${servers}; ${access.accounts.length} accounts`);
  for (const a of access.accounts.filter((x) => !x.isSystem)) {
    const exports = a.exports.map((e) => `${e.type} ${visible(e.subject)}`).join(', ') || 'none';
    const imports = a.imports.filter((i) => !i.automatic).length;
    out(`    account ${visible(named(a.account, a.accountName))}: exports ${exports}; ${imports} imports`);
  }
  const admins = access.users.filter((u) => u.privileges.length > 0);
  out(
    `    users seen: ${access.users.length}` +
      (admins.length ? `; administrators: ${admins.map((u) => visible(named(u.user, u.userName))).join(', ')}` : ''),
  );
  out(`    access changes since the previous daily report: ${access.changes.length}`);
  for (const limit of access.limits) out(`    not seen: ${visible(limit)}`);
}
