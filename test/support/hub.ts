import { mkdtemp, rm } from 'node:fs/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../functions/config/load.js';
import type { Config } from '../../functions/config/schema.js';
import { demoConfig } from '../../functions/cli/demo.js';
import { startHub, type RunningHub } from '../../functions/local/hub.js';
import { natsServerBinary, type NatsVersion } from '../../functions/local/nats-binaries.js';
import { connectSource } from '../../functions/source/connect.js';
import { provisionSource } from '../../functions/source/provision.js';

export interface TestBed {
  version: NatsVersion;
  binary: string;
  hub: RunningHub;
  dir: string;
  config: Config;
  /** Stops the server and removes its store. */
  close(): Promise<void>;
}

/** A real nats-server of `version` with the hub's SYS/APP/AUDIT layout on free ports and a temporary store. */
export async function startTestBed(version: NatsVersion, options: { provision?: boolean } = {}): Promise<TestBed> {
  const binary = natsServerBinary(version);
  const dir = await mkdtemp(path.join(tmpdir(), `sox-${version}-`));
  const hub = await startHub(binary, path.join(dir, 'nats'));
  const config = parseConfig(demoConfig(hub.url, hub.passwords, path.join(dir, 'reports')));
  if (options.provision ?? true) {
    const audit = config.sources[0]!;
    const nc = await connectSource(audit.name, audit.nats);
    await provisionSource(config, audit, nc, false);
    await nc.close();
  }
  return {
    version,
    binary,
    hub,
    dir,
    config,
    async close() {
      await hub.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The application's TRANSACTIONS stream, which the configuration reads, made as the application makes it. */
export async function addTransactionsStream(bed: Pick<TestBed, 'hub'>): Promise<void> {
  const app = await connect({ servers: bed.hub.url, name: 'setup-app', user: 'app', pass: bed.hub.passwords.app });
  try {
    await (await jetstreamManager(app)).streams.add({
      name: 'TRANSACTIONS',
      subjects: ['tx.>'],
      storage: 'file' as never,
    });
  } finally {
    await app.close();
  }
}
