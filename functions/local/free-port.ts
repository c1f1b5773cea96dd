import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The kernel's range for the local ports of outgoing connections. A listening port is picked below it: a port the
 * kernel handed out for `listen(0)` and then released can be taken again by any outgoing connection before the
 * server that was meant to bind it does (a test run opens thousands), and the server then fails to start.
 */
function ephemeralRange(): { low: number; high: number } {
  try {
    const range = /^(\d+)\s+(\d+)/.exec(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'));
    if (range) return { low: Number(range[1]), high: Number(range[2]) };
  } catch {
    // Not Linux: take the range IANA recommends, which macOS and Windows use.
  }
  return { low: 49152, high: 65535 };
}

const LOWEST = 10_000;

function bindable(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A loopback port free at this moment, outside the range outgoing connections take their ports from. Two callers may
 * still pick the same one (it is random); a server that then fails to bind is started again on other ports.
 */
export async function freePort(): Promise<number> {
  const { low, high } = ephemeralRange();
  const below = low - LOWEST;
  const above = 65_535 - high;
  for (let attempt = 0; attempt < 50; attempt++) {
    const pick = Math.floor(Math.random() * (Math.max(below, 0) + Math.max(above, 0)));
    const port = pick < below ? LOWEST + pick : high + 1 + (pick - Math.max(below, 0));
    if (port < 1024 || port > 65_535) break;
    const bound = await bindable(port);
    if (bound !== null) return bound;
  }
  const any = await bindable(0);
  if (any === null) throw new Error('no free loopback port');
  return any;
}

/** Whether a server failed to start because a port it was given was taken meanwhile. */
export function portWasTaken(error: unknown): boolean {
  return error instanceof Error && /address already in use/i.test(error.message);
}
