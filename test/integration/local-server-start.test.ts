import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, portWasTaken } from '../../functions/local/free-port.js';
import { serverBlock, startServer } from '../../functions/local/hub.js';
import { natsServerBinary } from '../../functions/local/nats-binaries.js';

const binary = natsServerBinary('2.10.27');

function listening(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((socket) => socket.end());
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

/** Hands out `first` in order, then free ports. */
function picker(first: number[]): () => Promise<number> {
  const queue = [...first];
  return async () => queue.shift() ?? (await freePort());
}

describe('starting a local nats-server on picked ports', () => {
  let dir: string;
  let taken: { server: Server; port: number };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sox-start-'));
    taken = await listening();
  });
  afterAll(async () => {
    await new Promise((r) => taken.server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('picks ports outside the range outgoing connections take theirs from', async () => {
    const [, low, high] = /^(\d+)\s+(\d+)/.exec(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')) ?? [];
    const ports = await Promise.all(Array.from({ length: 40 }, () => freePort()));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port < Number(low) || port > Number(high)).toBe(true);
    }
    expect(new Set(ports).size).toBeGreaterThan(30);
  });

  it.each([
    ['leafnode', 1],
    ['client', 0],
  ])('starts again on other ports when its %s port was taken meanwhile', async (_, index) => {
    const ports = [await freePort(), await freePort()];
    ports[index] = taken.port;
    let picks = 0;
    const pick = picker(ports);
    const counted = () => {
      picks++;
      return pick();
    };
    const server = await startServer(binary, path.join(dir, `taken-${index}`), 'hub.conf', serverBlock, counted);
    try {
      expect([server.ports.client, server.ports.leafnode]).not.toContain(taken.port);
      expect(picks).toBe(4);
      const nc = await connect({ servers: server.url });
      expect(nc.info?.server_name).toBe('hub1');
      await nc.close();
    } finally {
      await server.stop();
    }
  });

  it('gives up after five tries, with the reason the server gave', async () => {
    const start = startServer(binary, path.join(dir, 'always'), 'hub.conf', serverBlock, async () => taken.port);
    await expect(start).rejects.toThrow(/exited with code 1 while starting:[\s\S]*address already in use/);
  });

  it('does not retry a configuration the server refuses', async () => {
    let picks = 0;
    const counting = async () => {
      picks++;
      return freePort();
    };
    const start = startServer(binary, path.join(dir, 'bad'), 'hub.conf', () => 'listen: {{{', counting);
    await expect(start).rejects.toThrow(/exited with code 1 while starting/);
    expect(picks).toBe(2);
  });

  it('knows a taken port from other failures', () => {
    expect(portWasTaken(new Error('listen tcp 127.0.0.1:1: bind: address already in use'))).toBe(true);
    expect(portWasTaken(new Error('nats-server exited with code 1'))).toBe(false);
    expect(portWasTaken('address already in use')).toBe(false);
  });
});
