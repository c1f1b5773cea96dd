import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoConfig } from '../../functions/cli/demo.js';
import { PROGRESS_EVERY } from '../../functions/source/replay.js';
import { repo, soxReport } from '../support/cli.js';
import { startTestBed, type TestBed } from '../support/hub.js';

/** Enough transactions for two progress calls in the middle of the stream, besides its start and end. */
const MESSAGES = 2 * PROGRESS_EVERY + 500;

function shellQuoted(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * Runs the CLI from source under a pseudo-terminal (util-linux `script`), as a person at a terminal would: stdout and
 * stderr both go to the terminal, and what it showed comes back as one transcript.
 */
function soxReportOnTerminal(args: string[]): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, '--import', 'tsx', path.join(repo, 'functions/cli/entry.ts'), ...args]
    .map(shellQuoted)
    .join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', command, '/dev/null'], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TERM: 'xterm' },
    });
    let screen = '';
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      screen += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, screen }));
  });
}

/** The transcript without the terminal's control sequences and carriage returns: the text that was drawn. */
function drawnText(screen: string): string {
  return screen.replace(/\u001b\[[0-9;?]*[A-Za-z]|\u001b[78]|\r/g, '');
}

const FINAL_BAR = new RegExp(`app/TRANSACTIONS \\S+ ${MESSAGES}/${MESSAGES} {2}\\d+ msg/s {2}done`);
const ANY_FIGURES = /\d+\/\d+ {2}(\d+|\?) msg\/s/;

describe('replay progress on a terminal (nats-server 2.10.27)', () => {
  let bed: TestBed;
  let dir: string;
  let configFile: string;
  let period: string[];

  beforeAll(async () => {
    bed = await startTestBed('2.10.27');
    dir = await mkdtemp(path.join(tmpdir(), 'sox-progress-'));
    configFile = path.join(dir, 'config.json');
    await writeFile(configFile, JSON.stringify(demoConfig(bed.hub.url, bed.hub.passwords, path.join(dir, 'archive'))));
    const from = new Date(Date.now() - 1_000).toISOString();
    const nc = await connect({ servers: bed.hub.url, user: 'app', pass: bed.hub.passwords.app });
    await (await jetstreamManager(nc)).streams.add({ name: 'TRANSACTIONS', subjects: ['tx.>'] });
    const js = jetstream(nc);
    for (let i = 0; i < MESSAGES; i += 500) {
      const batch = Array.from({ length: Math.min(500, MESSAGES - i) }, (_, j) =>
        js.publish('tx.created', JSON.stringify({ id: i + j, amount: 100, currency: 'USD' })),
      );
      await Promise.all(batch);
    }
    await nc.close();
    await new Promise((r) => setTimeout(r, 5));
    period = ['--from', from, '--to', new Date().toISOString()];
  });
  afterAll(async () => {
    await bed?.close();
    await rm(dir, { recursive: true, force: true });
  });

  // Each run archives into a folder of its own: a period already archived is not read again, so shows no progress.
  const runArgs = (archive: string, ...more: string[]) => [
    'run',
    '--config',
    configFile,
    ...period,
    '--archive',
    path.join(dir, archive),
    ...more,
  ];

  it('shows each stream under way with read/total, rate and time left, and clears it before the output', async () => {
    const { code, screen } = await soxReportOnTerminal(runArgs('tty'));
    const text = drawnText(screen);
    expect(code, text).toBe(0);
    expect(text).toMatch(FINAL_BAR);
    // Every stream that had messages showed its final figures: the count its summary line gives.
    for (const stream of ['audit/SYS_EVENTS', 'audit/APP_JS_ADVISORIES', 'audit/AUDIT_JS_ADVISORIES']) {
      const count = new RegExp(`${stream}: (\\d+) messages`).exec(text)?.[1];
      expect(Number(count), stream).toBeGreaterThan(0);
      expect(text).toMatch(new RegExp(`${stream} \\S+ ${count}/${count} {2}\\d+ msg/s {2}done`));
    }
    // The bars were taken off the screen (clear to its end) before the run's summary line and its result.
    const lastBar = screen.lastIndexOf(`${MESSAGES}/${MESSAGES}  `);
    const cleared = screen.indexOf('\u001b[0J', lastBar);
    expect(cleared).toBeGreaterThan(lastBar);
    expect(screen.indexOf(`app/TRANSACTIONS: ${MESSAGES} messages, 0 missing`, lastBar)).toBeGreaterThan(cleared);
    expect(screen.indexOf('archived: ', lastBar)).toBeGreaterThan(cleared);
  });

  it('shows no progress with --quiet, on a terminal all the same', async () => {
    const { code, screen } = await soxReportOnTerminal(runArgs('quiet', '--quiet'));
    const text = drawnText(screen);
    expect(code, text).toBe(0);
    expect(text).toContain(`app/TRANSACTIONS: ${MESSAGES} messages, 0 missing`);
    expect(text).toContain('archived: ');
    expect(text).not.toMatch(ANY_FIGURES);
    expect(screen).not.toContain('\u001b');
  });

  it('shows no progress when stderr is not a terminal', async () => {
    const { code, stdout, stderr } = await soxReport(runArgs('pipe'));
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(`app/TRANSACTIONS: ${MESSAGES} messages, 0 missing`);
    expect(stderr).not.toMatch(ANY_FIGURES);
    expect(stderr + stdout).not.toContain('\u001b');
    expect(stdout).toMatch(/^archived: /);
  });
});
