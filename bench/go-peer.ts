/**
 * The Go peer of `npm run bench`: bench/peers/go-replay/main.go (a copy of ../shared/peers/go-replay), what a
 * platform engineer writes by hand with nats.go to count a day of events, built from Debian's golang-go and
 * golang-github-nats-io-go-nats-dev in GOPATH mode (no module download; scripts/install-bench-deps.sh installs
 * them) and run over the same server and period as the bench's other readers.
 *
 * The binary is kept in node_modules/.cache/sox-bench/go-replay under the SHA-256 of main.go, so it is built again
 * only when the program changes; Go's build cache sits beside it, so any user can build it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Period } from '../functions/config/period.js';
import type { Config, SourceConfig } from '../functions/config/schema.js';
import { formatInstant } from '../functions/time/nanos.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PEER_DIR = path.join(REPO, 'bench', 'peers', 'go-replay');
const SHARED_MAIN = path.resolve(REPO, '..', 'shared', 'peers', 'go-replay', 'main.go');
const CACHE = path.join(REPO, 'node_modules', '.cache', 'sox-bench');
/** Where Debian's golang-*-dev packages put their sources: the GOPATH of a build without modules. */
const GOPATH = '/usr/share/gocode';
const NATS_GO = path.join(GOPATH, 'src', 'github.com', 'nats-io', 'nats.go');

/** The peer's figures for one read of every source. */
export interface PeerResult {
  messages: number;
  bytes: number;
  /** The peer's own timing, summed over the sources: from after its connect to its last message. */
  seconds: number;
  /** Spawn to exit of its processes, summed: start-up and connect included. */
  wallSeconds: number;
  undecodable: number;
}

export interface GoPeer {
  binary: string;
  /** Reads `period` once per source of `config`, one source after another as the pipeline does. */
  read(config: Config, period: Period): Promise<PeerResult>;
}

/** The line the peer prints last (see the header of main.go). */
interface PeerLine {
  peer: string;
  messages: number;
  bytes: number;
  seconds: number;
  undecodable: number;
}

/**
 * Builds the peer (or takes it from the cache). Null, after one line through `log` saying why, where Go or the
 * nats.go sources are missing; throws where they are there and the build fails.
 */
export async function goPeer(log: (line: string) => void): Promise<GoPeer | null> {
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) {
    log('go-replay peer: no Go (`go` not found; scripts/install-bench-deps.sh installs golang-go): no peer figures');
    return null;
  }
  if (!existsSync(path.join(NATS_GO, 'nats.go'))) {
    log(
      `go-replay peer: no nats.go sources in ${NATS_GO} (scripts/install-bench-deps.sh installs ` +
        'golang-github-nats-io-go-nats-dev): no peer figures',
    );
    return null;
  }
  const source = readFileSync(path.join(PEER_DIR, 'main.go'));
  checkAgainstShared(source, log);
  const key = createHash('sha256').update(source).digest('hex');
  const dir = path.join(CACHE, 'go-replay');
  const binary = path.join(dir, `go-replay-${key.slice(0, 16)}`);
  if (existsSync(binary)) {
    log(`go-replay peer: ${binary} (cached; ${go.stdout.trim()})`);
  } else {
    await mkdir(dir, { recursive: true });
    // Older builds (of an earlier main.go) go.
    for (const old of readdirSync(dir))
      if (old.startsWith('go-replay-') && !old.endsWith('.partial')) await rm(path.join(dir, old), { force: true });
    const partial = `${binary}.${process.pid}.partial`;
    // In GOPATH mode the package is named relative to the working directory (an absolute path is refused).
    const built = spawnSync('go', ['build', '-o', partial, '.'], {
      cwd: PEER_DIR,
      encoding: 'utf8',
      env: {
        ...process.env,
        GO111MODULE: 'off',
        GOPATH,
        GOCACHE: path.join(CACHE, 'go-build'),
        GOFLAGS: '',
        // The peer is pure Go: built without cgo it needs no C compiler and its binary no libc.
        CGO_ENABLED: '0',
      },
    });
    if (built.error || built.status !== 0) {
      await rm(partial, { force: true });
      throw new Error(`go build of ${PEER_DIR} failed: ${built.error?.message ?? ''}${built.stderr ?? ''}`);
    }
    await rename(partial, binary);
    log(`go-replay peer: built ${binary} (${go.stdout.trim()})`);
  }
  return { binary, read: (config, period) => readAll(binary, config, period) };
}

/** Says so where ../shared/peers/go-replay/main.go is at hand and the copy is no longer the program measured. */
function checkAgainstShared(vendored: Buffer, log: (line: string) => void): void {
  if (!existsSync(SHARED_MAIN)) return;
  const text = vendored.toString('utf8');
  const copy = text.slice(text.indexOf('\n') + 1);
  if (copy !== readFileSync(SHARED_MAIN, 'utf8'))
    log(`go-replay peer: WARNING bench/peers/go-replay/main.go differs from ${SHARED_MAIN} (beyond its first line)`);
}

async function readAll(binary: string, config: Config, period: Period): Promise<PeerResult> {
  const total: PeerResult = { messages: 0, bytes: 0, seconds: 0, wallSeconds: 0, undecodable: 0 };
  for (const source of config.sources) {
    const started = performance.now();
    const line = await runPeer(binary, peerEnv(source, period), source.name);
    total.wallSeconds += (performance.now() - started) / 1000;
    total.messages += line.messages;
    total.bytes += line.bytes;
    total.seconds += line.seconds;
    total.undecodable += line.undecodable;
  }
  return total;
}

function peerEnv(source: SourceConfig, period: Period): Record<string, string> {
  const nats = source.nats;
  const env: Record<string, string> = {
    PEER_URL: nats.servers.join(','),
    PEER_STREAMS: source.streams.map((s) => s.stream).join(','),
    PEER_FROM: formatInstant(period.from),
    PEER_TO: formatInstant(period.to),
  };
  if (nats.creds !== undefined) env.PEER_CREDS = nats.creds;
  else if (nats.user !== undefined) Object.assign(env, { PEER_USER: nats.user, PEER_PASS: nats.pass ?? '' });
  else if (nats.token !== undefined)
    throw new Error(`go-replay peer: source ${source.name} uses a token, which the peer does not take`);
  return env;
}

/** One run of the peer; its environment is the PEER_* variables alone. */
async function runPeer(binary: string, env: Record<string, string>, label: string): Promise<PeerLine> {
  const child = spawn(binary, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  });
  const last = stdout.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !last.startsWith('{'))
    throw new Error(`go-replay peer (${label}) exited with ${code}: ${stderr.trim().slice(-2000)}`);
  const line = JSON.parse(last) as PeerLine;
  if (line.peer !== 'go-replay' || !Number.isFinite(line.messages) || !Number.isFinite(line.seconds))
    throw new Error(`go-replay peer (${label}) printed an unexpected line: ${last.slice(0, 300)}`);
  return line;
}
