import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { freePort } from '../../functions/local/free-port.js';

/** What aws-ses-v2-local keeps of a raw message: the parts its parser found. */
export interface EmulatedEmail {
  messageId: string;
  from: string;
  /** For raw content: the To/Cc/Bcc header texts, one string per header. */
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string; html?: string };
  attachments: { filename?: string; contentType: string; content: string; size: number }[];
}

export interface SesEmulator {
  endpoint: string;
  emails(): Promise<EmulatedEmail[]>;
  stop(): Promise<void>;
}

const START_MS = 10_000;

/** The emulator's own CLI (`aws-ses-v2-local --port <free> --host 127.0.0.1`) in its own process group. */
export async function startSesEmulator(repo: string): Promise<SesEmulator> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(
    path.join(repo, 'node_modules', '.bin', 'aws-ses-v2-local'),
    ['--port', String(port), '--host', '127.0.0.1'],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SMTP_TRANSPORT: '' }, // never forward test mail anywhere
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    process.kill(-child.pid!, 'SIGTERM');
    const killer = setTimeout(() => child.exitCode === null && process.kill(-child.pid!, 'SIGKILL'), 2_000);
    await exited;
    clearTimeout(killer);
  };
  const deadline = Date.now() + START_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`aws-ses-v2-local exited with ${child.exitCode}:\n${output}`);
    const healthy = await fetch(`${endpoint}/health-check`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`aws-ses-v2-local did not answer on ${endpoint} within ${START_MS} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    async emails() {
      const response = await fetch(`${endpoint}/store`);
      return ((await response.json()) as { emails: EmulatedEmail[] }).emails;
    },
    stop,
  };
}
