/**
 * Captures real answers of nats-server for the access unit tests: each layout (configuration file, operator mode)
 * on each server version, streams provisioned and a few users connected, then `collectAccess` as the reporting
 * user `audit`, and the CONNECT events the system account published meanwhile (with `client.jwt` in operator mode).
 * Writes test/fixtures/access/<layout>-<version>.json. Keys, ids and times differ on every run.
 *
 *   npx tsx scripts/capture-access-fixtures.ts
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { demoConfig } from '../functions/cli/demo.js';
import { parseConfig } from '../functions/config/load.js';
import { DEFAULT_HUB_PASSWORDS, startHub } from '../functions/local/hub.js';
import { NATS_VERSIONS, natsServerBinary, type NatsVersion } from '../functions/local/nats-binaries.js';
import { startOperatorHub } from '../functions/local/operator-hub.js';
import { collectAccess } from '../functions/source/access-answers.js';
import { connectSource } from '../functions/source/connect.js';
import { provisionSource } from '../functions/source/provision.js';
import { nowNanos } from '../functions/time/nanos.js';

const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'access');
const settle = () => new Promise((r) => setTimeout(r, 300));

interface ConnectEvent {
  subject: string;
  data: unknown;
}

/** Listens, as the system account's user, to every CONNECT event until stopped. */
function listenConnects(sys: NatsConnection): { events: ConnectEvent[]; stop(): void } {
  const events: ConnectEvent[] = [];
  const sub = sys.subscribe('$SYS.ACCOUNT.*.CONNECT', {
    callback: (err, m) => {
      if (!err) events.push({ subject: m.subject, data: m.json() });
    },
  });
  return { events, stop: () => sub.unsubscribe() };
}

/** The transactions stream in APP and a capture-like stream in AUDIT (deny delete and purge). */
async function provisionStreams(app: NatsConnection, auditAdmin: NatsConnection): Promise<void> {
  await (await jetstreamManager(app)).streams.add({ name: 'TRANSACTIONS', subjects: ['tx.>'], max_msgs: 100_000 });
  await (await jetstreamManager(auditAdmin)).streams.add({
    name: 'SOX_CONNECTS',
    subjects: ['audit.records.>'],
    deny_delete: true,
    deny_purge: true,
    max_age: 90 * 24 * 3600 * 1_000_000_000,
  });
}

async function captureHub(version: NatsVersion, dir: string): Promise<unknown> {
  const hub = await startHub(natsServerBinary(version), path.join(dir, 'nats'));
  try {
    const pw = DEFAULT_HUB_PASSWORDS;
    const config = parseConfig(demoConfig(hub.url, hub.passwords, path.join(dir, 'reports')));
    const auditSource = config.sources[0]!;
    const provisioning = await connectSource(auditSource.name, auditSource.nats);
    await provisionSource(config, auditSource, provisioning, false);
    const sys = await connect({ servers: hub.url, user: 'sys', pass: pw.sys });
    const connects = listenConnects(sys);
    await sys.flush();
    const app = await connect({ servers: hub.url, name: 'payments', user: 'app', pass: pw.app });
    await provisionStreams(app, provisioning);
    await app.close();
    await provisioning.close();
    const audit = await connect({ servers: hub.url, name: 'sox-report', user: 'audit', pass: pw.audit });
    await settle();
    const recorded = await collectAccess(audit, 'audit', nowNanos);
    await audit.close();
    await settle();
    connects.stop();
    await sys.close();
    return { layout: 'hub', version, users: ['app', 'audit', 'sys'], recorded, connects: connects.events };
  } finally {
    await hub.stop();
  }
}

async function captureOperator(version: NatsVersion, dir: string): Promise<unknown> {
  const hub = await startOperatorHub(natsServerBinary(version), path.join(dir, 'nats'));
  try {
    const { layout } = hub;
    const as = async (user: keyof typeof layout.creds, name?: string) =>
      connect({
        servers: hub.url,
        ...(name ? { name } : {}),
        authenticator: credsAuthenticator(await readFile(layout.creds[user])),
      });
    const sys = await as('sys');
    const connects = listenConnects(sys);
    await sys.flush();
    const admin = await as('admin');
    // The service user `app` may not create streams: `alice` (unrestricted) does.
    const alice = await as('alice');
    await provisionStreams(alice, admin);
    await alice.close();
    for (const user of ['app', 'bob'] as const) await (await as(user, user === 'app' ? 'payments' : undefined)).close();
    await admin.close();
    const audit = await as('audit', 'sox-report');
    await settle();
    const recorded = await collectAccess(audit, 'audit', nowNanos);
    await audit.close();
    await settle();
    connects.stop();
    await sys.close();
    return {
      layout: 'operator',
      version,
      operatorKey: layout.operatorKey,
      accounts: layout.accounts,
      users: layout.users,
      recorded,
      connects: connects.events,
    };
  } finally {
    await hub.stop();
  }
}

await mkdir(OUT, { recursive: true });
for (const version of NATS_VERSIONS) {
  for (const [name, capture] of [
    ['hub', captureHub],
    ['operator', captureOperator],
  ] as const) {
    const dir = await mkdtemp(path.join(tmpdir(), `sox-access-fixture-${name}-${version}-`));
    try {
      const fixture = await capture(version, dir);
      const file = path.join(OUT, `${name}-${version}.json`);
      await writeFile(file, `${JSON.stringify(fixture, null, 2)}\n`);
      process.stdout.write(`${file}\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
