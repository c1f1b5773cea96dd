/**
 * `sox-report incidents …`: the security staff's side of the incident record. They connect as the first source
 * of the configuration (the audit account, where the incident stream lives), like provision does.
 */
import type { Command } from 'commander';
import type { NatsConnection } from '@nats-io/transport-node';
import { loadConfigFile } from '../config/load.js';
import type { Config, SourceConfig } from '../config/schema.js';
import { InputError } from '../errors.js';
import { connectSource } from '../source/connect.js';
import { anomalyLine, incidentDetail, incidentSummary, incidentTable, sortIncidents } from '../incidents/format.js';
import { connectionIdentity } from '../incidents/identity.js';
import { isIncidentId, type Actor, type StoredIncidentEvent } from '../incidents/model.js';
import { syncNotificationsSafely } from '../incidents/notify.js';
import { acknowledge, incidentLog, readIncidents, resolve, type IncidentLog } from '../incidents/stream.js';
import { terminalJson, visible } from '../text/visible.js';
import { reportError, shown } from './exit.js';

const NO_RECORD = 'no incident has been recorded';

interface CommonOptions {
  config: string;
}

// Every line is shown, never raw: names and notes come from whoever wrote to the incident record.
const out = (line = '') => process.stdout.write(`${shown(line)}\n`);
// The same document JSON.parse reads, with the characters JSON leaves raw written as \u escapes.
const outJson = (value: unknown) => process.stdout.write(`${terminalJson(value)}\n`);

async function withIncidentLog<T>(
  configFile: string,
  use: (log: IncidentLog, nc: NatsConnection, source: SourceConfig, config: Config) => Promise<T>,
): Promise<T> {
  const config = await loadConfigFile(configFile);
  const source = config.sources[0]!;
  const nc = await connectSource(source.name, source.nats);
  try {
    return await use(await incidentLog(nc, { consumerPrefix: config.report.consumerPrefix }), nc, source, config);
  } finally {
    await nc.close().catch(() => undefined);
  }
}

function checkId(id: string): void {
  if (!isIncidentId(id))
    throw new InputError(`"${visible(id)}" is not an incident id (they look like INC-20261124-brute-force-1a2b3c4d)`);
}

function requireText(value: string | undefined, message: string): string {
  const text = value?.trim() ?? '';
  if (!text) throw new InputError(message);
  return text;
}

async function actor(nc: NatsConnection, source: SourceConfig, name: string): Promise<Actor> {
  return {
    identity: await connectionIdentity(nc, {
      source: source.name,
      account: source.account,
      user: source.nats.user,
      creds: source.nats.creds,
    }),
    name,
  };
}

function describeRecorded(stored: StoredIncidentEvent): string {
  const { event } = stored;
  if (event.type === 'opened') return `${event.id} opened`;
  const by = `${visible(event.by.name ?? '')} [${visible(event.by.identity)}]`.trim();
  return (
    `${event.type} ${event.id} by ${by} (stream seq ${stored.seq}, stored ${stored.storedAt})` +
    `${event.note ? `: ${visible(event.note)}` : ''}`
  );
}

/**
 * Sends the change just recorded to the configured integrations at once. The change is recorded whatever they
 * answer: one that fails is said on stderr and retried by the next report run.
 */
async function notify(log: IncidentLog, config: Config, id: string): Promise<void> {
  const warn = (line: string) => process.stderr.write(`${shown(`warning: ${line}`)}\n`);
  // A secret in Secrets Manager is read on AWS only: those integrations hear of the change from the next run there.
  const onAws = config.incidents.integrations.filter((i) => i.secretArn !== undefined).map((i) => i.name);
  if (onAws.length > 0)
    warn(`${onAws.join(', ')}: the secret is in Secrets Manager (secretArn), so the next run on AWS sends the change`);
  const integrations = config.incidents.integrations.filter((i) => i.secretArn === undefined);
  if (integrations.length === 0) return;
  const sent = await syncNotificationsSafely(log, integrations, {
    env: process.env,
    now: new Date(),
    log: warn,
    only: id,
  });
  if (sent?.delivered) out(`notifications delivered: ${sent.delivered}`);
}

export async function listIncidentsCommand(opts: CommonOptions & { open?: boolean; json?: boolean }): Promise<number> {
  try {
    return await withIncidentLog(opts.config, async (log) => {
      const now = new Date();
      const derived = await readIncidents(log);
      const incidents = sortIncidents(derived?.incidents.values() ?? []).filter(
        (i) => !opts.open || i.status !== 'resolved',
      );
      const anomalies = derived?.anomalies ?? [];
      if (opts.json) {
        outJson({ recorded: derived !== null, incidents: incidents.map((i) => incidentSummary(i, now)), anomalies });
        return 0;
      }
      if (derived === null) out(NO_RECORD);
      else if (incidents.length === 0) out(opts.open ? 'no open incident' : 'no incident');
      else for (const line of incidentTable(incidents, now)) out(line);
      if (anomalies.length) {
        process.stderr.write(
          `${shown(
            `warning: ${anomalies.length} event(s) of the incident record were not applied:\n` +
              anomalies.map(anomalyLine).join('\n'),
          )}\n`,
        );
      }
      return 0;
    });
  } catch (err) {
    return reportError(err);
  }
}

export async function showIncidentCommand(id: string, opts: CommonOptions & { json?: boolean }): Promise<number> {
  try {
    checkId(id);
    return await withIncidentLog(opts.config, async (log) => {
      const derived = await readIncidents(log);
      if (derived === null) throw new InputError(`no incident ${id}: ${NO_RECORD}`);
      const incident = derived.incidents.get(id);
      if (!incident) throw new InputError(`no incident ${id} in stream ${log.stream}`);
      const anomalies = derived.anomalies.filter((a) => a.id === id);
      if (opts.json) outJson({ incident, anomalies });
      else for (const line of incidentDetail(incident, anomalies, new Date())) out(line);
      return 0;
    });
  } catch (err) {
    return reportError(err);
  }
}

export async function ackIncidentCommand(
  id: string,
  opts: CommonOptions & { note?: string; by?: string },
): Promise<number> {
  try {
    checkId(id);
    const name = requireText(
      opts.by,
      "ack needs --by NAME: the person acknowledging (the connection's NATS identity is recorded too)",
    );
    return await withIncidentLog(opts.config, async (log, nc, source, config) => {
      const stored = await acknowledge(log, id, await actor(nc, source, name), opts.note ?? null);
      out(describeRecorded(stored));
      await notify(log, config, id);
      return 0;
    });
  } catch (err) {
    return reportError(err);
  }
}

export async function resolveIncidentCommand(
  id: string,
  opts: CommonOptions & { note?: string; by?: string },
): Promise<number> {
  try {
    checkId(id);
    const note = requireText(opts.note, 'resolve needs --note "…" saying how the incident was resolved');
    const name = requireText(
      opts.by,
      "resolve needs --by NAME: the person resolving (the connection's NATS identity is recorded too)",
    );
    return await withIncidentLog(opts.config, async (log, nc, source, config) => {
      const stored = await resolve(log, id, await actor(nc, source, name), note);
      out(describeRecorded(stored));
      await notify(log, config, id);
      return 0;
    });
  } catch (err) {
    return reportError(err);
  }
}

/** Adds `incidents list|show|ack|resolve` to the program; each sets the exit code through `setExitCode`. */
export function registerIncidentsCommand(program: Command, setExitCode: (code: number) => void): void {
  const incidents = program
    .command('incidents')
    .description(
      'the incident record: list, show, acknowledge and resolve incidents (who acted: the NATS identity plus --by)',
    );
  const config = [
    '--config <file>',
    'configuration file (its first source holds the incident stream)',
    'sox-report.json',
  ] as const;

  incidents
    .command('list')
    .description('incidents with status, severity, age, rule and subject')
    .option('--open', 'only incidents not yet resolved')
    .option(...config)
    .option('--json', 'print one JSON object')
    .action(async (opts) => setExitCode(await listIncidentsCommand(opts)));

  incidents
    .command('show')
    .description('one incident with its full history')
    .argument('<id>', 'incident id, e.g. INC-20261124-brute-force-1a2b3c4d')
    .option(...config)
    .option('--json', 'print one JSON object')
    .action(async (id: string, opts) => setExitCode(await showIncidentCommand(id, opts)));

  incidents
    .command('ack')
    .description('record that you have taken an incident up')
    .argument('<id>', 'incident id')
    .option('--by <name>', 'who is acknowledging (required)')
    .option('--note <text>', 'what is being done')
    .option(...config)
    .action(async (id: string, opts) => setExitCode(await ackIncidentCommand(id, opts)));

  incidents
    .command('resolve')
    .description('record how an incident was resolved; an incident is resolved once')
    .argument('<id>', 'incident id')
    .option('--note <text>', 'how it was resolved (required)')
    .option('--by <name>', 'who resolved it (required)')
    .option(...config)
    .action(async (id: string, opts) => setExitCode(await resolveIncidentCommand(id, opts)));
}
