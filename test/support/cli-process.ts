import { spawn } from 'node:child_process';
import path from 'node:path';
import { repo } from './cli.js';

export interface CliProcessResult {
  /** The exit code; null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcessOptions {
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** Kills the process with SIGKILL, `delayMs` after its stderr so far first satisfies `when`. */
  kill?: { when: (stderr: string) => boolean; delayMs: number };
}

/**
 * Runs the CLI from source as its own process, as `soxReport` does, with an environment of its own and, when
 * asked, killed part-way as a power cut would kill it: what it leaves is then the test's to inspect.
 */
export function soxReportProcess(args: string[], options: CliProcessOptions = {}): Promise<CliProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'functions/cli/entry.ts'), ...args], {
      cwd: repo,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let armed = options.kill;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (armed?.when(stderr)) {
        const { delayMs } = armed;
        armed = undefined;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
