import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort, portWasTaken } from './free-port.js';

/** The users of the hub layout (../shared/nats-events/hub.conf) and their passwords. */
export interface HubUsers {
  sys: string;
  app: string;
  leaf: string;
  audit: string;
}

export const DEFAULT_HUB_PASSWORDS: HubUsers = { sys: 'syspw', app: 'apppw', leaf: 'leafpw', audit: 'auditpw' };

export interface HubPorts {
  client: number;
  leafnode: number;
}

/**
 * The SYS / APP / AUDIT account layout the product is designed around: SYS exports the client and
 * authentication events, APP runs the applications and exports its JetStream advisories, AUDIT imports
 * both (APP's under the prefix "APP.") and holds the capture streams.
 */
export function hubConfig(ports: HubPorts, storeDir: string, passwords: HubUsers = DEFAULT_HUB_PASSWORDS): string {
  const q = (s: string) => JSON.stringify(s);
  return `${serverBlock(ports, storeDir)}accounts {
  SYS {
    users: [ { user: sys, password: ${q(passwords.sys)} } ]
    exports: [
      { stream: "$SYS.ACCOUNT.*.CONNECT",          accounts: [AUDIT] }
      { stream: "$SYS.ACCOUNT.*.DISCONNECT",       accounts: [AUDIT] }
      { stream: "$SYS.SERVER.*.CLIENT.AUTH.ERR",   accounts: [AUDIT] }
      { stream: "$SYS.ACCOUNT.*.LEAFNODE.CONNECT", accounts: [AUDIT] }
      { service: "$SYS.REQ.SERVER.PING.VARZ",      accounts: [AUDIT] }
      { service: "$SYS.REQ.SERVER.PING.JSZ",       accounts: [AUDIT] }
      { service: "$SYS.REQ.SERVER.PING.ACCOUNTZ",  accounts: [AUDIT] }
      { service: "$SYS.REQ.ACCOUNT.*.INFO",        accounts: [AUDIT] }
    ]
  }
  APP {
    jetstream: enabled
    users: [ { user: app, password: ${q(passwords.app)} }, { user: leaf, password: ${q(passwords.leaf)} } ]
    exports: [
      { stream: "$JS.EVENT.ADVISORY.>", accounts: [AUDIT] }
    ]
  }
  AUDIT {
    jetstream: enabled
    users: [ { user: audit, password: ${q(passwords.audit)} } ]
    imports: [
      { stream: { account: SYS, subject: "$SYS.ACCOUNT.*.CONNECT" } }
      { stream: { account: SYS, subject: "$SYS.ACCOUNT.*.DISCONNECT" } }
      { stream: { account: SYS, subject: "$SYS.SERVER.*.CLIENT.AUTH.ERR" } }
      { stream: { account: SYS, subject: "$SYS.ACCOUNT.*.LEAFNODE.CONNECT" } }
      { stream: { account: APP, subject: "$JS.EVENT.ADVISORY.>" }, prefix: "APP" }
      { service: { account: SYS, subject: "$SYS.REQ.SERVER.PING.VARZ" } }
      { service: { account: SYS, subject: "$SYS.REQ.SERVER.PING.JSZ" } }
      { service: { account: SYS, subject: "$SYS.REQ.SERVER.PING.ACCOUNTZ" } }
      { service: { account: SYS, subject: "$SYS.REQ.ACCOUNT.*.INFO" } }
    ]
  }
}
system_account: SYS
`;
}

/** What every layout's configuration starts with: the server's name, its loopback ports and its JetStream store. */
export function serverBlock(ports: HubPorts, storeDir: string): string {
  const q = (s: string) => JSON.stringify(s);
  return `server_name: hub1
listen: 127.0.0.1:${ports.client}
jetstream {
  store_dir: ${q(storeDir)}
  max_memory_store: 256MB
  max_file_store: 4GB
}
leafnodes {
  listen: 127.0.0.1:${ports.leafnode}
}
`;
}

/** A nats-server of one of the layouts, running on free loopback ports with its files under `dir`. */
export interface RunningServer {
  url: string;
  ports: HubPorts;
  dir: string;
  /** Stops the server (SIGTERM, then SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same ports and store, as after a crash or restart. */
  start(): Promise<void>;
  /** Reloads the configuration file (SIGHUP). */
  reload(): void;
  log(): string;
}

export interface RunningHub extends RunningServer {
  passwords: HubUsers;
}

/** Starts nats-server with the hub layout on free loopback ports, its store under `dir`. */
export async function startHub(
  binary: string,
  dir: string,
  passwords: HubUsers = DEFAULT_HUB_PASSWORDS,
): Promise<RunningHub> {
  const server = await startServer(binary, dir, 'hub.conf', (ports, storeDir) => hubConfig(ports, storeDir, passwords));
  return { ...server, passwords };
}

/**
 * Writes the configuration `config` makes for free loopback ports and a store under `dir` into `dir/file`, and
 * starts nats-server with it; again on other ports if one was taken between picking and binding it.
 */
export async function startServer(
  binary: string,
  dir: string,
  file: string,
  config: (ports: HubPorts, storeDir: string) => string,
  pickPort: () => Promise<number> = freePort,
): Promise<RunningServer> {
  await mkdir(dir, { recursive: true });
  const configFile = path.join(dir, file);
  for (let attempt = 1; ; attempt++) {
    const ports = { client: await pickPort(), leafnode: await pickPort() };
    await writeFile(configFile, config(ports, path.join(dir, 'jetstream')), { mode: 0o600 });
    const server = serverProcess(binary, configFile);
    try {
      await server.start();
      return { url: `nats://127.0.0.1:${ports.client}`, ports, dir, ...server };
    } catch (error) {
      if (!portWasTaken(error) || attempt === 5) throw error;
    }
  }
}

/**
 * nats-server run with `configFile`, started and stopped at will on the same ports and store (a restart, as after a
 * crash); its output kept for the error a failed start gives.
 */
export function serverProcess(
  binary: string,
  configFile: string,
): { start(): Promise<void>; stop(): Promise<void>; reload(): void; log(): string } {
  let child: ChildProcess | null = null;
  let output = '';

  const start = async () => {
    const proc = spawn(binary, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const from = output.length;
    // Ready, not merely a connectable client port: another process may hold that port while this one exits.
    const ready = new Promise<void>((resolve) => {
      const seen = (d: Buffer) => {
        output += d.toString();
        if (output.includes('Server is ready', from)) resolve();
      };
      proc.stdout?.on('data', seen);
      proc.stderr?.on('data', seen);
    });
    // 'close', not 'exit': the output is then read to its end, with the reason the server gave.
    const exited = new Promise<never>((_, reject) =>
      proc.once('close', (code) =>
        reject(new Error(`nats-server exited with code ${code} while starting:\n${output.slice(-2000)}`)),
      ),
    );
    exited.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`nats-server was not ready within 15 s:\n${output.slice(-2000)}`)),
        15_000,
      );
    });
    try {
      await Promise.race([ready, exited, late]);
    } finally {
      clearTimeout(timer);
    }
  };

  const stop = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  };

  // SIGHUP: nats-server reloads its configuration file in place (what an operator does after editing it).
  const reload = () => {
    child?.kill('SIGHUP');
  };

  return { start, stop, reload, log: () => output };
}

/** A second server that joins the hub as a leaf node with the hub's "leaf" user, like a branch office. */
export async function startLeaf(binary: string, dir: string, hub: RunningHub): Promise<{ stop(): Promise<void> }> {
  await mkdir(dir, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    try {
      return await startLeafOnce(binary, dir, hub);
    } catch (error) {
      if (!portWasTaken(error) || attempt === 5) throw error;
    }
  }
}

async function startLeafOnce(binary: string, dir: string, hub: RunningHub): Promise<{ stop(): Promise<void> }> {
  const port = await freePort();
  const configFile = path.join(dir, 'leaf.conf');
  const remote = `nats-leaf://leaf:${encodeURIComponent(hub.passwords.leaf)}@127.0.0.1:${hub.ports.leafnode}`;
  await writeFile(
    configFile,
    `server_name: leaf1\nlisten: 127.0.0.1:${port}\nleafnodes { remotes: [ { url: ${JSON.stringify(remote)} } ] }\n`,
    { mode: 0o600 },
  );
  const proc = spawn(binary, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let closed = false;
  proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  proc.once('close', () => (closed = true));
  const deadline = Date.now() + 15_000;
  while (!/Leafnode connection created/i.test(output)) {
    if (closed) throw new Error(`leaf nats-server exited:\n${output.slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`leaf node did not connect to the hub:\n${output.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    async stop() {
      if (proc.exitCode !== null) return;
      const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      await gone;
    },
  };
}
