import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { operatorDemoConfig } from '../../functions/cli/demo.js';
import { provisionCommand } from '../../functions/cli/provision.js';
import { parseConfig } from '../../functions/config/load.js';
import type { Config } from '../../functions/config/schema.js';
import { natsServerBinary, type NatsVersion } from '../../functions/local/nats-binaries.js';
import { startOperatorHub, type RunningOperatorHub } from '../../functions/local/operator-hub.js';

export interface OperatorTestBed {
  version: NatsVersion;
  binary: string;
  hub: RunningOperatorHub;
  dir: string;
  /** The demo configuration: sources read with the `audit` and `app` users' creds files. */
  config: Config;
  /**
   * `sox-report provision` as the unrestricted AUDIT user `admin` (the reporting user may not create streams):
   * the capture streams, INCIDENTS and the attestation stream. Its exit code.
   */
  provision(): Promise<number>;
  close(): Promise<void>;
}

/** A real nats-server of `version` in operator mode (SYS/APP/AUDIT as JWTs) on free ports, temporary store. */
export async function startOperatorTestBed(version: NatsVersion): Promise<OperatorTestBed> {
  const binary = natsServerBinary(version);
  const dir = await mkdtemp(path.join(tmpdir(), `sox-op-${version}-`));
  const hub = await startOperatorHub(binary, path.join(dir, 'nats'));
  const config = parseConfig(operatorDemoConfig(hub.url, hub.layout, path.join(dir, 'reports')));
  return {
    version,
    binary,
    hub,
    dir,
    config,
    async provision() {
      const document = operatorDemoConfig(hub.url, hub.layout, path.join(dir, 'reports')) as {
        sources: { nats: { creds: string } }[];
      };
      const audit = document.sources[0]!;
      audit.nats.creds = hub.layout.creds.admin;
      const file = path.join(dir, 'provision.json');
      await writeFile(file, JSON.stringify({ ...document, sources: [audit] }), { mode: 0o600 });
      return provisionCommand({ config: file });
    },
    async close() {
      await hub.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
