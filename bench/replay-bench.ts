/**
 * `npm run bench`: how fast the report reads a day, and whether its memory stays flat.
 *
 * Starts nats-server (the newest installed) with the hub layout in a temporary directory, provisions the capture
 * streams, loads N realistic events (bench/events.ts) and measures in the same run, on the same messages:
 *   (a) raw      — a bare ordered consumer per stream, touching only the payload length and sequence;
 *   (b) pipeline — the production path: replayStream + addMessage (parse and aggregate), then buildReport;
 *   (c) evidence — the same writing the evidence file, as production does;
 *   (e) sliced   — the same read as `run --slices 4` reads it: each stream in 4 time slices at once, each over a
 *                  connection of its own, merged (pipeline/replay-sliced.ts); checked first to write the very file (c)
 *                  writes;
 *   (d) peer     — bench/peers/go-replay (bench/go-peer.ts), what one writes by hand in Go with nats.go: a pull
 *                  consumer per stream, encoding/json into a small struct, counts; once per source connection;
 *   (f) evidence alone — the messages of one read encoded and compressed by the production encoder on one thread,
 *                  nothing else running (bench/evidence-cost.ts): the evidence's own CPU per message, and with it
 *                  the highest evidenceRatio the machine's cores allow (evidenceRatioCeiling);
 * rotating them for a few rounds after a warm-up and taking medians. Where Go or the nats.go sources are missing
 * (scripts/install-bench-deps.sh installs them) it says so and leaves the peer's figures out. Then it runs the
 * pipeline with evidence over N in a child process pinned to one CPU and in one pinned to two, for the sizing of
 * the Lambda (1769 MB is one vCPU), loads 9N more and runs the pipeline over N and over 10N events, each in a
 * child process of its own, for the peak RSS of each.
 *
 * The last line of stdout is one JSON object (events, rawMsgsPerSec, pipelineMsgsPerSec, ratio, peerMsgsPerSec,
 * vsPeer, vsPeerWithEvidence, oneCpuMsgsPerSec, twoCpuMsgsPerSec, rssSmallMB, rssLargeMB, rssGrowth, `slices`:
 * {requested, planned, oneSliceMsgsPerSec (= evidenceMsgsPerSec), slicedMsgsPerSec, ratio}, evidenceAlone:
 * {cpuUsPerMsg, gzipCpuUsPerMsg, linesMB, gzipMB}, cores, evidenceRatioCeiling, …).
 * Targets: vsPeer >= 1.0 (aim 1.3; pipeline / peer), ratio >= 0.6 (pipeline / bare consumer), evidenceRatio >= 0.9,
 * rssGrowth <= 1.25. Exit 0 whether or not the targets are met; 1 when the benchmark itself failed.
 *
 * CPU per message, medians over the rounds: rawCpuUsPerMsg / pipelineCpuUsPerMsg are this process, every thread
 * (garbage collection included); pipelineReaderCpuUsPerMsg is the reading thread alone; serverCpuUsPerMsg /
 * pipelineServerCpuUsPerMsg / peerServerCpuUsPerMsg are nats-server's during the raw, the pipeline and the peer's
 * reads. Client and server share the machine's cores, so on a small machine the sum of them bounds the throughput.
 *
 * N is 100,000 because a run's fixed work (connecting, stream info and probes per stream, the settings check, the
 * report) takes about 25 ms: 15 % of a 20,000-message read, nothing of a real day of a million or more.
 *
 * Environment: BENCH_EVENTS (N, default 100000), BENCH_ROUNDS (default 5), BENCH_LARGE_FACTOR (default 10),
 * BENCH_SIZING_PASSES (passes over N of each pinned child after its warm-up pass, median taken; default 3),
 * BENCH_CPU_PROF (a directory: the child processes write V8 CPU profiles there), BENCH_CHILD_NODE_FLAGS (extra
 * node flags for the child processes, e.g. "--trace-gc" or "--max-semi-space-size=32"), BENCH_WORKERS (the ingest
 * workers of the in-process single reads, (b) and (c); default: the pipeline's own choice, ingest.ts workerCount).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import os, { availableParallelism } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { nuid, type NatsConnection } from '@nats-io/transport-node';
import { buildReport } from '../functions/analysis/finalize.js';
import type { ReportV1, StreamCompleteness } from '../functions/analysis/report-model.js';
import { demoConfig } from '../functions/cli/demo.js';
import { parseConfig } from '../functions/config/load.js';
import type { Period } from '../functions/config/period.js';
import type { Config } from '../functions/config/schema.js';
import { DEFAULT_HUB_PASSWORDS, startHub, type HubUsers, type RunningHub } from '../functions/local/hub.js';
import { newestNatsServerBinary } from '../functions/local/nats-binaries.js';
import { connectSource } from '../functions/source/connect.js';
import { provisionSource } from '../functions/source/provision.js';
import { replayAndAggregate } from '../functions/pipeline/replay-aggregate.js';
import { replaySliced } from '../functions/pipeline/replay-sliced.js';
import { planSlices } from '../functions/slices/plan.js';
import { formatInstant, nowNanos, type Nanos } from '../functions/time/nanos.js';
import type { RawMessage } from '../functions/events/types.js';
import { EventGenerator, type Target } from './events.js';
import { evidenceCost, evidenceRatioCeiling, PackedMessages, type EvidenceCost } from './evidence-cost.js';
import { goPeer, type PeerResult } from './go-peer.js';

const THIS_FILE = fileURLToPath(import.meta.url);
/** `run --slices`: the slices the sliced read asks for (the period's whole seconds may allow fewer). */
const BENCH_SLICES = 4;
const TARGETS = { vsPeer: 1.0, ratio: 0.6, evidenceRatio: 0.9, rssGrowth: 1.25 } as const;
const AIM = { vsPeer: 1.3 } as const;
const MB = 1024 * 1024;

function intEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, not "${text}"`);
  return value;
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const round = (x: number, digits = 3) => Number(x.toFixed(digits));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function benchConfig(url: string, passwords: HubUsers, dir: string): Config {
  return parseConfig(demoConfig(url, passwords, path.join(dir, 'reports')), 'bench configuration');
}

// ---------------------------------------------------------------------------------------------------------------
// The two readers, over the same streams and the same period.

interface ReadResult {
  messages: number;
  bytes: number;
  seconds: number;
  /** CPU time of this process (user + system, every thread) during the read. */
  cpuSeconds: number;
}

/** Whether taskset (util-linux) is there and can pin a process to `cpus`. */
function canPin(cpus: string): boolean {
  const r = spawnSync('taskset', ['-c', cpus, 'true'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/** CPU seconds of every thread of a process (ns resolution, from schedstat), or of one thread; null if unknown. */
function taskCpuSeconds(pid: number | 'self', thread?: 'thread-self'): number | null {
  try {
    if (thread) return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e9;
    let ns = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended meanwhile
      }
    }
    return ns / 1e9;
  } catch {
    return null;
  }
}

/** The pid of the nats-server started with `configFile` (the hub does not say), from /proc; null if not found. */
function serverPid(configFile: string): number | null {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(configFile)) return Number(entry);
      } catch {
        // gone, or not ours to read
      }
    }
  } catch {
    // no /proc
  }
  return null;
}

/** (a) A bare ordered consumer per stream: no parsing, no bookkeeping beyond length and sequence. */
async function readRaw(config: Config, period: Period): Promise<ReadResult> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const to = Number(period.to);
  let messages = 0;
  let bytes = 0;
  for (const source of config.sources) {
    const nc = await connectSource(source.name, source.nats);
    try {
      const js = jetstream(nc);
      for (const ref of source.streams) {
        const consumer = await js.consumers.get(ref.stream, {
          name_prefix: `${config.report.consumerPrefix}_raw_${nuid.next()}`,
          deliver_policy: DeliverPolicy.StartTime,
          opt_start_time: formatInstant(period.from),
        });
        const iter = await consumer.consume({ max_messages: 512 });
        let lastSeq = 0;
        for await (const m of iter) {
          const info = m.info;
          // Same window as the replay (this run adds advisories after `to`); the delivery info is parsed anyway.
          if (info.timestampNanos >= to) break;
          bytes += m.data.length;
          lastSeq = m.seq;
          messages += 1;
          if (info.pending === 0) break;
        }
        if (lastSeq === 0) throw new Error(`raw read of ${ref.stream} saw nothing`);
        await iter.close();
      }
    } finally {
      await nc.close().catch(() => undefined);
    }
  }
  return { messages, bytes, seconds: (performance.now() - start) / 1000, cpuSeconds: cpuSince(cpu) };
}

interface PipelineResult extends ReadResult {
  report: ReportV1;
  streams: StreamCompleteness[];
}

/**
 * (b) The production path of functions/pipeline/replay-aggregate.ts: replay, parse, aggregate, then the report
 * model; (c) the same with every message written to the evidence file as the pipeline does (here into a temporary
 * file).
 */
async function readPipeline(
  config: Config,
  period: Period,
  evidenceFile: string | null = null,
  slices = 1,
  onMessage?: (raw: RawMessage) => void,
): Promise<PipelineResult> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  let bytes = 0;
  const file = evidenceFile ? await open(evidenceFile, 'w') : null;
  const evidence = file
    ? {
        header: {
          bundle: 'bench',
          period: {
            from: formatInstant(period.from),
            to: formatInstant(period.to),
            timezone: period.timezone,
            kind: period.kind,
          },
        },
        sink: { write: async (chunk: Uint8Array) => void (await file.write(chunk)) },
      }
    : undefined;
  const ports = { connect: (source: Config['sources'][number]) => connectSource(source.name, source.nats), log() {} };
  // (e) `run --slices N`: each stream read in N time slices at once, each over a connection of its own.
  const { state, streams } =
    slices > 1
      ? await replaySliced(config, period, ports, slices, evidence ? { evidence } : {})
      : await replayAndAggregate(config, period, ports, {
          ...(evidence ? { evidence } : {}),
          ...(process.env.BENCH_WORKERS ? { workers: Number(process.env.BENCH_WORKERS) } : {}),
          onMessage: (raw) => {
            bytes += raw.data.length;
            onMessage?.(raw);
          },
        });
  await file?.close();
  const report = buildReport(period, streams, state, nowNanos(), { topN: config.report.topN });
  const json = `${JSON.stringify(report, null, 2)}\n`; // what the pipeline hands the archive
  if (json.length === 0) throw new Error('empty report');
  const messages = streams.reduce((n, s) => n + s.messages, 0);
  return { messages, bytes, seconds: (performance.now() - start) / 1000, cpuSeconds: cpuSince(cpu), report, streams };
}

/** (f) The messages of one pipeline read, encoded and compressed on this thread alone (bench/evidence-cost.ts). */
async function evidenceAlone(config: Config, period: Period, messages: number): Promise<EvidenceCost | null> {
  const packed = new PackedMessages();
  await readPipeline(config, period, null, 1, packed.add);
  const cost = evidenceCost(packed, () => taskCpuSeconds('self', 'thread-self'));
  if (cost === null) {
    log('(no per-thread CPU clock here: no evidence-alone figures)');
    return null;
  }
  if (cost.messages !== messages)
    throw new Error(`the evidence alone wrote ${cost.messages} messages, not ${messages}`);
  log(
    `evidence alone: ${cost.cpuUsPerMsg.toFixed(2)} µs CPU/msg (gzip ${cost.gzipCpuUsPerMsg.toFixed(2)}), ` +
      `${(cost.linesBytes / MB).toFixed(1)} MB of lines to ${(cost.gzipBytes / MB).toFixed(1)} MB`,
  );
  return cost;
}

// ---------------------------------------------------------------------------------------------------------------
// Child process: one pipeline run, its peak RSS.

interface ChildParams {
  url: string;
  passwords: HubUsers;
  dir: string;
  from: string;
  to: string;
  /** Passes over the period (default 1); with more, the first one warms the process up. */
  passes?: number;
}

interface ChildResult {
  messages: number;
  /** The first pass's. */
  seconds: number;
  /** Every pass's. */
  passSeconds: number[];
  /** VmHWM of the child: its peak resident set, start-up included. */
  peakRssMB: number;
  /** The largest of the 10 ms samples of process.memoryUsage().rss during the run. */
  sampledPeakRssMB: number;
  /** RSS just before the replay started (modules loaded, nothing read). */
  baselineRssMB: number;
  peakHeapUsedMB: number;
  /** Heap still in use after a full GC at the end: what the run kept, as opposed to garbage not yet collected. */
  liveHeapAfterMB: number;
  unparseable: number;
}

function vmHwmBytes(): number | null {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

async function childMain(): Promise<void> {
  const params = JSON.parse(process.env.BENCH_CHILD ?? '') as ChildParams;
  const config = benchConfig(params.url, params.passwords, params.dir);
  const period: Period = { from: BigInt(params.from), to: BigInt(params.to), timezone: config.timezone, kind: 'adhoc' };
  const baseline = process.memoryUsage().rss;
  let peakRss = baseline;
  let peakHeap = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss > peakRss) peakRss = m.rss;
    if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
  }, 10);
  const evidenceFile = path.join(params.dir, `evidence-child-${process.pid}.jsonl.gz`);
  const passSeconds: number[] = [];
  let result = await readPipeline(config, period, evidenceFile);
  passSeconds.push(result.seconds);
  for (let pass = 1; pass < (params.passes ?? 1); pass++) {
    result = await readPipeline(config, period, evidenceFile);
    passSeconds.push(result.seconds);
  }
  clearInterval(sampler);
  const end = process.memoryUsage();
  peakRss = Math.max(peakRss, end.rss);
  peakHeap = Math.max(peakHeap, end.heapUsed);
  const hwm = vmHwmBytes() ?? peakRss;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const liveHeap = process.memoryUsage().heapUsed;
  const out: ChildResult = {
    messages: result.messages,
    seconds: passSeconds[0]!,
    passSeconds,
    peakRssMB: round(hwm / MB, 1),
    sampledPeakRssMB: round(peakRss / MB, 1),
    baselineRssMB: round(baseline / MB, 1),
    peakHeapUsedMB: round(peakHeap / MB, 1),
    liveHeapAfterMB: round(liveHeap / MB, 1),
    unparseable: result.report.unparseable,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** The pipeline in a child process; with `cpus` (a taskset list such as "0" or "0,1") pinned to those CPUs. */
async function runChild(params: ChildParams, label: string, cpus?: string): Promise<ChildResult> {
  // --expose-gc only for the final live-heap figure: nothing calls gc() while the pipeline runs.
  const args = ['--expose-gc', '--import', import.meta.resolve('tsx'), THIS_FILE, '--child'];
  const extra = (process.env.BENCH_CHILD_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  args.unshift(...extra);
  const profDir = process.env.BENCH_CPU_PROF;
  // One directory per run: every thread (tsx runs a module-loader worker) writes a profile of its own.
  if (profDir) args.unshift('--cpu-prof', `--cpu-prof-dir=${path.resolve(profDir, `pipeline-${label}`)}`);
  const [command, commandArgs]: [string, string[]] = cpus
    ? ['taskset', ['-c', cpus, process.execPath, ...args]]
    : [process.execPath, args];
  const child = spawn(command, commandArgs, {
    env: { ...process.env, BENCH_CHILD: JSON.stringify(params) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c) => resolve(c));
  });
  const lines = stdout.trim().split('\n');
  const last = lines.pop() ?? '';
  // Whatever else the child printed (--trace-gc and the like) goes to stderr, out of the way of the result.
  if (lines.length) process.stderr.write(`${lines.map((l) => `[${label}] ${l}`).join('\n')}\n`);
  if (code !== 0 || !last.startsWith('{'))
    throw new Error(`pipeline child (${label}) exited with ${code}:\n${stdout.slice(-2000)}`);
  return JSON.parse(last) as ChildResult;
}

// ---------------------------------------------------------------------------------------------------------------
// Loading.

interface Clients {
  audit: NatsConnection;
  app: NatsConnection;
}

async function messageCounts(clients: Clients): Promise<Record<Target, number>> {
  const auditJsm = await jetstreamManager(clients.audit);
  const appJsm = await jetstreamManager(clients.app);
  const [sys, appAdv, auditAdv, tx] = await Promise.all([
    auditJsm.streams.info('SYS_EVENTS'),
    auditJsm.streams.info('APP_JS_ADVISORIES'),
    auditJsm.streams.info('AUDIT_JS_ADVISORIES'),
    appJsm.streams.info('TRANSACTIONS'),
  ]);
  return {
    SYS_EVENTS: sys.state.messages,
    APP_JS_ADVISORIES: appAdv.state.messages,
    AUDIT_JS_ADVISORIES: auditAdv.state.messages,
    TRANSACTIONS: tx.state.messages,
  };
}

/**
 * Publishes `total` generated messages: acknowledged JetStream publishes in windows of 1000, except
 * SYS_EVENTS, which is no_ack (2.10.17+ requires it for $SYS.SERVER.*.CLIENT.AUTH.ERR) and so takes plain
 * publishes; the loader then waits until the stream holds them all.
 */
async function load(generator: EventGenerator, total: number, clients: Clients): Promise<number> {
  const start = performance.now();
  const before = await messageCounts(clients);
  const producedBefore = { ...generator.produced };
  const jsAudit = jetstream(clients.audit);
  const jsApp = jetstream(clients.app);
  let done = 0;
  while (done < total) {
    const batch = generator.batch(Math.min(1000, total - done));
    const acks: Promise<unknown>[] = [];
    for (const m of batch) {
      if (m.target === 'SYS_EVENTS') clients.audit.publish(m.subject, m.data);
      else acks.push((m.target === 'TRANSACTIONS' ? jsApp : jsAudit).publish(m.subject, m.data, { timeout: 30_000 }));
    }
    await Promise.all(acks);
    await clients.audit.flush();
    done += batch.length;
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    const now = await messageCounts(clients);
    const short = (Object.keys(now) as Target[]).filter(
      (t) => now[t] - before[t] < generator.produced[t] - producedBefore[t],
    );
    if (short.length === 0) break;
    if (Date.now() > deadline) {
      throw new Error(
        'streams did not take every message: ' +
          short.map((t) => `${t} ${now[t] - before[t]}/${generator.produced[t] - producedBefore[t]}`).join(', '),
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return (performance.now() - start) / 1000;
}

/** An instant after everything stored so far and before anything stored later. */
async function cut(): Promise<Nanos> {
  await new Promise((r) => setTimeout(r, 20));
  const t = nowNanos();
  await new Promise((r) => setTimeout(r, 20));
  return t;
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const began = performance.now();
  const n = intEnv('BENCH_EVENTS', 100_000);
  const rounds = intEnv('BENCH_ROUNDS', 5);
  const factor = intEnv('BENCH_LARGE_FACTOR', 10);
  const sizingPasses = intEnv('BENCH_SIZING_PASSES', 3);
  const binary = newestNatsServerBinary();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sox-bench-'));
  let hub: RunningHub | null = null;
  let clients: Clients | null = null;
  const cleanup = async () => {
    await clients?.audit.close().catch(() => undefined);
    await clients?.app.close().catch(() => undefined);
    await hub?.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  };
  const onSignal = () => void cleanup().finally(() => process.exit(130));
  // An error thrown outside the awaited chain must not leave nats-server running either.
  const onCrash = (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    void cleanup().finally(() => process.exit(1));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('uncaughtException', onCrash);
  process.once('unhandledRejection', onCrash);
  try {
    const peer = await goPeer(log);
    hub = await startHub(binary, path.join(dir, 'nats'), DEFAULT_HUB_PASSWORDS);
    const version = /nats-server: (\S+)/.exec(await serverVersion(binary))?.[1] ?? 'unknown';
    log(`bench: nats-server ${version} (${binary}) at ${hub.url}; N=${n}, ${rounds} rounds, large = ${factor}N`);
    const config = benchConfig(hub.url, hub.passwords, dir);
    const auditSource = config.sources.find((s) => s.name === 'audit')!;
    const appSource = config.sources.find((s) => s.name === 'app')!;
    clients = {
      audit: await connectSource('audit', auditSource.nats),
      app: await connectSource('app', appSource.nats),
    };
    await provisionSource(config, auditSource, clients.audit, false);
    await (await jetstreamManager(clients.app)).streams.add({
      name: 'TRANSACTIONS',
      subjects: ['tx.>'],
      storage: 'file' as never,
    });

    const generator = new EventGenerator();
    const from = await cut();
    const loadSmall = await load(generator, n, clients);
    const toSmall = await cut();
    log(
      `loaded ${n} events in ${loadSmall.toFixed(1)} s (${Math.round(n / loadSmall)}/s): ` +
        `${JSON.stringify(generator.produced)}`,
    );
    const small: Period = { from, to: toSmall, timezone: config.timezone, kind: 'adhoc' };

    // Warm-up (two passes each: the raw reader is still speeding up after one): JIT, server caches; and a
    // check that both readers see the same messages.
    const evidenceFile = path.join(dir, 'evidence.jsonl.gz');
    const slicedFile = path.join(dir, 'evidence-sliced.jsonl.gz');
    await readRaw(config, small);
    await readPipeline(config, small);
    await readPipeline(config, small, evidenceFile);
    await readPipeline(config, small, slicedFile, BENCH_SLICES);
    await peer?.read(config, small);
    const warmRaw = await readRaw(config, small);
    const warmPipe = await readPipeline(config, small);
    const warmEvidence = await readPipeline(config, small, evidenceFile);
    const warmSliced = await readPipeline(config, small, slicedFile, BENCH_SLICES);
    // The sliced read must be the single read: the same messages, the same evidence file byte for byte.
    if (warmSliced.messages !== warmPipe.messages || !readFileSync(slicedFile).equals(readFileSync(evidenceFile)))
      throw new Error(`the read in ${BENCH_SLICES} slices differs from the single read`);
    const slicesPlanned = planSlices([{ source: 'audit', stream: 'SYS_EVENTS' }], small, BENCH_SLICES).length;
    const warmPeer: PeerResult | null = peer ? await peer.read(config, small) : null;
    if (warmRaw.messages !== warmPipe.messages || warmEvidence.messages !== warmPipe.messages) {
      throw new Error(
        `raw read ${warmRaw.messages} messages, the pipeline ${warmPipe.messages}, ` +
          `with evidence ${warmEvidence.messages}`,
      );
    }
    if (warmPeer && warmPeer.messages !== warmPipe.messages)
      throw new Error(`the Go peer read ${warmPeer.messages} messages, the pipeline ${warmPipe.messages}`);
    describeReport(warmPipe);
    log(
      `warm-up: raw ${warmRaw.seconds.toFixed(3)} s, pipeline ${warmPipe.seconds.toFixed(3)} s` +
        (warmPeer
          ? `, Go peer ${warmPeer.seconds.toFixed(3)} s (${warmPeer.wallSeconds.toFixed(3)} s with start-up and ` +
            `connect, ${warmPeer.undecodable} undecodable)`
          : '') +
        ` for ${warmPipe.messages} messages (${(warmPipe.bytes / MB).toFixed(1)} MB)`,
    );

    const raw: number[] = [];
    const pipe: number[] = [];
    const withEvidence: number[] = [];
    const sliced: number[] = [];
    const rawCpu: number[] = [];
    const pipeCpu: number[] = [];
    const evidenceCpu: number[] = [];
    const evidenceServerCpu: number[] = [];
    const pipeReaderCpu: number[] = [];
    const rawServerCpu: number[] = [];
    const pipeServerCpu: number[] = [];
    const peerRuns: number[] = [];
    const peerServerCpu: number[] = [];
    const pid = serverPid(path.join(hub.dir, 'hub.conf'));
    if (pid === null) log('(nats-server pid not found: no server CPU figures)');
    const readers: Array<'raw' | 'pipeline' | 'evidence' | 'sliced' | 'peer'> = [
      'raw',
      'pipeline',
      'evidence',
      'sliced',
    ];
    if (peer) readers.push('peer');
    for (let i = 0; i < rounds; i++) {
      // Rotate which goes first, so none always runs on a cooler or warmer machine.
      const order = readers.map((_, k) => readers[(k + i) % readers.length]!);
      for (const which of order) {
        if (which === 'peer' && peer) {
          const server0 = pid === null ? null : taskCpuSeconds(pid);
          const r = await peer.read(config, small);
          const server1 = pid === null ? null : taskCpuSeconds(pid);
          if (r.messages !== warmPipe.messages)
            throw new Error(`the Go peer read ${r.messages} messages, expected ${warmPipe.messages}`);
          peerRuns.push(r.seconds);
          if (server0 !== null && server1 !== null) peerServerCpu.push(server1 - server0);
          continue;
        }
        if (which === 'sliced') {
          const r = await readPipeline(config, small, slicedFile, BENCH_SLICES);
          if (r.messages !== warmPipe.messages)
            throw new Error(`pipeline in slices read ${r.messages} messages, expected ${warmPipe.messages}`);
          sliced.push(r.seconds);
          continue;
        }
        if (which === 'evidence') {
          const server0 = pid === null ? null : taskCpuSeconds(pid);
          const r = await readPipeline(config, small, evidenceFile);
          const server1 = pid === null ? null : taskCpuSeconds(pid);
          if (r.messages !== warmPipe.messages)
            throw new Error(`pipeline with evidence read ${r.messages} messages, expected ${warmPipe.messages}`);
          withEvidence.push(r.seconds);
          evidenceCpu.push(r.cpuSeconds);
          if (server0 !== null && server1 !== null) evidenceServerCpu.push(server1 - server0);
          continue;
        }
        const server0 = pid === null ? null : taskCpuSeconds(pid);
        const reader0 = taskCpuSeconds('self', 'thread-self');
        const r = which === 'raw' ? await readRaw(config, small) : await readPipeline(config, small);
        const reader1 = taskCpuSeconds('self', 'thread-self');
        const server1 = pid === null ? null : taskCpuSeconds(pid);
        if (r.messages !== warmPipe.messages)
          throw new Error(`${which} read ${r.messages} messages, expected ${warmPipe.messages}`);
        (which === 'raw' ? raw : pipe).push(r.seconds);
        (which === 'raw' ? rawCpu : pipeCpu).push(r.cpuSeconds);
        if (server0 !== null && server1 !== null)
          (which === 'raw' ? rawServerCpu : pipeServerCpu).push(server1 - server0);
        if (which === 'pipeline' && reader0 !== null && reader1 !== null) pipeReaderCpu.push(reader1 - reader0);
      }
      log(
        `round ${i + 1}: raw ${raw[i]!.toFixed(3)} s (${Math.round(warmPipe.messages / raw[i]!)}/s), ` +
          `pipeline ${pipe[i]!.toFixed(3)} s ` +
          `(${Math.round(warmPipe.messages / pipe[i]!)}/s), with evidence ${withEvidence[i]!.toFixed(3)} s ` +
          `(${Math.round(warmPipe.messages / withEvidence[i]!)}/s), in ${BENCH_SLICES} slices ` +
          `${sliced[i]!.toFixed(3)} s (${Math.round(warmPipe.messages / sliced[i]!)}/s)` +
          (peer ? `, Go peer ${peerRuns[i]!.toFixed(3)} s (${Math.round(warmPipe.messages / peerRuns[i]!)}/s)` : ''),
      );
    }
    // (f) The evidence alone, after the rounds: the read's messages held packed (a hundred megabytes at N = 100,000)
    // would weigh on every round's garbage collection.
    const aloneCost = await evidenceAlone(config, small, warmPipe.messages);
    const events = warmPipe.messages;
    const rawSeconds = median(raw);
    const pipelineSeconds = median(pipe);
    const rawMsgsPerSec = events / rawSeconds;
    const pipelineMsgsPerSec = events / pipelineSeconds;
    const ratio = pipelineMsgsPerSec / rawMsgsPerSec;
    const evidenceMsgsPerSec = events / median(withEvidence);
    const evidenceRatio = evidenceMsgsPerSec / pipelineMsgsPerSec;
    // `run --slices`: the same period, evidence written, read in one go and in BENCH_SLICES slices at once.
    const slicedMsgsPerSec = events / median(sliced);
    log(
      `slices: 1 slice ${Math.round(evidenceMsgsPerSec)} msg/s, ${BENCH_SLICES} requested (${slicesPlanned} ` +
        `planned for the period) ${Math.round(slicedMsgsPerSec)} msg/s, ` +
        `ratio ${round(slicedMsgsPerSec / evidenceMsgsPerSec)}`,
    );
    // Client CPU per message: what the pipeline adds on top of receiving (the server runs on the same cores).
    const rawCpuUsPerMsg = (median(rawCpu) * 1e6) / events;
    const pipelineCpuUsPerMsg = (median(pipeCpu) * 1e6) / events;
    const perMsg = (xs: number[]) => (xs.length ? round((median(xs) * 1e6) / events, 2) : null);
    const pipelineReaderCpuUsPerMsg = perMsg(pipeReaderCpu);
    const serverCpuUsPerMsg = perMsg(rawServerCpu);
    const pipelineServerCpuUsPerMsg = perMsg(pipeServerCpu);
    const evidenceCpuUsPerMsg = round((median(evidenceCpu) * 1e6) / events, 2);
    const evidenceServerCpuUsPerMsg = perMsg(evidenceServerCpu);
    // What the machine allows: the read with evidence bound by the cores, server and client together.
    const cores = availableParallelism();
    const evidenceRatioCeilingHere =
      aloneCost === null || pipelineServerCpuUsPerMsg === null
        ? null
        : round(
            evidenceRatioCeiling({
              pipelineMsgsPerSec,
              pipelineCpuUsPerMsg: pipelineCpuUsPerMsg + pipelineServerCpuUsPerMsg,
              evidenceCpuUsPerMsg: aloneCost.cpuUsPerMsg,
              cores,
            }),
          );
    log(
      `with evidence: client CPU ${evidenceCpuUsPerMsg} µs/msg (pipeline ${pipelineCpuUsPerMsg.toFixed(2)}), ` +
        `nats-server ${evidenceServerCpuUsPerMsg ?? '?'} µs/msg; on ${cores} cores the pipeline uses ` +
        (pipelineServerCpuUsPerMsg === null
          ? '? '
          : `${(((pipelineCpuUsPerMsg + pipelineServerCpuUsPerMsg) * pipelineMsgsPerSec) / 1e6).toFixed(2)} `) +
        `of them, so the evidence (${aloneCost ? aloneCost.cpuUsPerMsg.toFixed(2) : '?'} µs/msg alone) allows ` +
        `evidenceRatio <= ${evidenceRatioCeilingHere ?? '?'} here`,
    );
    // The peer's own seconds (after its connect) against the pipeline's (connect included): if anything, in the
    // peer's favour.
    const peerMsgsPerSec = peerRuns.length ? events / median(peerRuns) : null;
    const vsPeer = peerMsgsPerSec === null ? null : pipelineMsgsPerSec / peerMsgsPerSec;
    const vsPeerWithEvidence = peerMsgsPerSec === null ? null : evidenceMsgsPerSec / peerMsgsPerSec;
    const peerServerCpuUsPerMsg = perMsg(peerServerCpu);
    log(
      `median: raw ${Math.round(rawMsgsPerSec)} msg/s, pipeline ${Math.round(pipelineMsgsPerSec)} msg/s, ` +
        `ratio ${ratio.toFixed(3)}` +
        (peerMsgsPerSec === null
          ? ''
          : `; Go peer ${Math.round(peerMsgsPerSec)} msg/s, vsPeer ${vsPeer!.toFixed(3)} ` +
            `(with evidence ${vsPeerWithEvidence!.toFixed(3)})`) +
        `; client CPU raw ${rawCpuUsPerMsg.toFixed(2)} µs/msg, ` +
        `pipeline ${pipelineCpuUsPerMsg.toFixed(2)} µs/msg (reading thread ` +
        `${pipelineReaderCpuUsPerMsg ?? '?'}); nats-server CPU raw ${serverCpuUsPerMsg ?? '?'} µs/msg, ` +
        `pipeline ${pipelineServerCpuUsPerMsg ?? '?'} µs/msg` +
        (peerMsgsPerSec === null ? '' : `, Go peer ${peerServerCpuUsPerMsg ?? '?'} µs/msg`),
    );

    const childParams = (to: Nanos, passes = 1): ChildParams => ({
      url: hub!.url,
      passwords: hub!.passwords,
      dir,
      from: from.toString(),
      to: to.toString(),
      passes,
    });
    // Sizing of the Lambda (1769 MB is one vCPU; the ingest workers need a second, and the pipeline sizes them to
    // the CPUs it may use: none on one): the production pipeline, evidence written, over N in a fresh process pinned
    // to CPU 0 and in one pinned to CPUs 0 and 1, each the median of `sizingPasses` passes after a warm-up pass of
    // its own. nats-server is not pinned: on a 2-core machine it shares those cores with the pipeline (in production
    // it runs elsewhere), so both figures are conservative.
    const sizing: { oneCpuMsgsPerSec?: number; twoCpuMsgsPerSec?: number } = {};
    const sized = async (cpus: string, label: string) => {
      const r = await runChild(childParams(toSmall, 1 + sizingPasses), label, cpus);
      if (r.messages !== events) throw new Error(`pipeline child on CPUs ${cpus} read ${r.messages}, not ${events}`);
      log(`pipeline child on CPUs ${cpus}: passes of ${r.passSeconds.map((x) => x.toFixed(3)).join(', ')} s`);
      return Math.round(events / median(r.passSeconds.slice(1)));
    };
    if (!canPin('0')) log('(taskset, of util-linux, cannot pin a process here: no oneCpuMsgsPerSec)');
    else sizing.oneCpuMsgsPerSec = await sized('0', 'one-cpu');
    if (!canPin('0,1')) log('(taskset cannot pin a process to CPUs 0 and 1 here: no twoCpuMsgsPerSec)');
    else sizing.twoCpuMsgsPerSec = await sized('0,1', 'two-cpus');
    log(
      `sizing, pipeline with evidence: one CPU ${sizing.oneCpuMsgsPerSec ?? '?'} msg/s, ` +
        `two CPUs ${sizing.twoCpuMsgsPerSec ?? '?'} msg/s (nats-server unpinned, on the same cores)`,
    );

    const loadLarge = await load(generator, n * (factor - 1), clients);
    const toLarge = await cut();
    log(
      `loaded ${n * (factor - 1)} more events in ${loadLarge.toFixed(1)} s ` +
        `(${Math.round((n * (factor - 1)) / loadLarge)}/s)`,
    );
    const rssSmall = await runChild(childParams(toSmall), 'small');
    log(
      `pipeline child, N: ${rssSmall.messages} messages in ${rssSmall.seconds.toFixed(2)} s; ` +
        `peak RSS ${rssSmall.peakRssMB} MB (baseline ${rssSmall.baselineRssMB} MB, ` +
        `heap peak ${rssSmall.peakHeapUsedMB} MB, live after ${rssSmall.liveHeapAfterMB} MB)`,
    );
    const rssLarge = await runChild(childParams(toLarge), 'large');
    log(
      `pipeline child, ${factor}N: ${rssLarge.messages} messages in ${rssLarge.seconds.toFixed(2)} s; ` +
        `peak RSS ${rssLarge.peakRssMB} MB (baseline ${rssLarge.baselineRssMB} MB, ` +
        `heap peak ${rssLarge.peakHeapUsedMB} MB, live after ${rssLarge.liveHeapAfterMB} MB)`,
    );
    const rssGrowth = rssLarge.peakRssMB / rssSmall.peakRssMB;
    const render = await runRenderBench();
    log(
      `render: ${render.rows} detail rows (${render.tableRows} table rows, ` +
        `${render.pages} pages) in ${render.renderSeconds} s, peak RSS ${render.peakRssMB} MB`,
    );

    const result = {
      events,
      eventsLarge: rssLarge.messages,
      server: version,
      rawMsgsPerSec: Math.round(rawMsgsPerSec),
      pipelineMsgsPerSec: Math.round(pipelineMsgsPerSec),
      ratio: round(ratio),
      evidenceMsgsPerSec: Math.round(evidenceMsgsPerSec),
      evidenceRatio: round(evidenceRatio),
      evidenceRunsSeconds: withEvidence.map((x) => round(x)),
      evidenceCpuUsPerMsg,
      evidenceServerCpuUsPerMsg,
      ...(aloneCost === null
        ? {}
        : {
            evidenceAlone: {
              cpuUsPerMsg: round(aloneCost.cpuUsPerMsg, 2),
              gzipCpuUsPerMsg: round(aloneCost.gzipCpuUsPerMsg, 2),
              linesMB: round(aloneCost.linesBytes / MB, 1),
              gzipMB: round(aloneCost.gzipBytes / MB, 1),
            },
          }),
      cores,
      evidenceRatioCeiling: evidenceRatioCeilingHere,
      slices: {
        requested: BENCH_SLICES,
        planned: slicesPlanned,
        oneSliceMsgsPerSec: Math.round(evidenceMsgsPerSec),
        slicedMsgsPerSec: Math.round(slicedMsgsPerSec),
        ratio: round(slicedMsgsPerSec / evidenceMsgsPerSec),
        slicedRunsSeconds: sliced.map((x) => round(x)),
      },
      ...(peerMsgsPerSec === null
        ? {}
        : {
            peerMsgsPerSec: Math.round(peerMsgsPerSec),
            vsPeer: round(vsPeer!),
            vsPeerWithEvidence: round(vsPeerWithEvidence!),
            peerServerCpuUsPerMsg,
            peerRunsSeconds: peerRuns.map((x) => round(x)),
          }),
      ...sizing,
      rawSeconds: round(rawSeconds),
      pipelineSeconds: round(pipelineSeconds),
      rawCpuUsPerMsg: round(rawCpuUsPerMsg, 2),
      pipelineCpuUsPerMsg: round(pipelineCpuUsPerMsg, 2),
      pipelineReaderCpuUsPerMsg,
      serverCpuUsPerMsg,
      pipelineServerCpuUsPerMsg,
      rawRunsSeconds: raw.map((x) => round(x)),
      pipelineRunsSeconds: pipe.map((x) => round(x)),
      rssSmallMB: rssSmall.peakRssMB,
      rssLargeMB: rssLarge.peakRssMB,
      rssGrowth: round(rssGrowth),
      rssBaselineSmallMB: rssSmall.baselineRssMB,
      rssBaselineLargeMB: rssLarge.baselineRssMB,
      heapSmallMB: rssSmall.peakHeapUsedMB,
      heapLargeMB: rssLarge.peakHeapUsedMB,
      liveHeapSmallMB: rssSmall.liveHeapAfterMB,
      liveHeapLargeMB: rssLarge.liveHeapAfterMB,
      largePipelineMsgsPerSec: Math.round(rssLarge.messages / rssLarge.seconds),
      unparseable: warmPipe.report.unparseable,
      loadMsgsPerSec: Math.round((n * factor) / (loadSmall + loadLarge)),
      totalSeconds: round((performance.now() - began) / 1000, 1),
      renderRows: render.rows,
      renderPages: render.pages,
      renderSeconds: render.renderSeconds,
      renderPeakRssMB: render.peakRssMB,
      targets: {
        vsPeer: TARGETS.vsPeer,
        aimVsPeer: AIM.vsPeer,
        ratio: TARGETS.ratio,
        evidenceRatio: TARGETS.evidenceRatio,
        rssGrowth: TARGETS.rssGrowth,
        renderSeconds: RENDER_TARGETS.seconds,
        renderPeakRssMB: RENDER_TARGETS.peakRssMB,
      },
      pass: {
        ...(vsPeer === null ? {} : { vsPeer: vsPeer >= TARGETS.vsPeer }),
        ratio: ratio >= TARGETS.ratio,
        evidenceRatio: evidenceRatio >= TARGETS.evidenceRatio,
        rssGrowth: rssGrowth <= TARGETS.rssGrowth,
        render: render.renderSeconds <= RENDER_TARGETS.seconds && render.peakRssMB <= RENDER_TARGETS.peakRssMB,
      },
    };
    log(
      (vsPeer === null
        ? 'vsPeer: no Go peer; '
        : `vsPeer ${round(vsPeer)} (target >= ${TARGETS.vsPeer}, aim ${AIM.vsPeer}): ` +
          `${vsPeer >= TARGETS.vsPeer ? 'ok' : 'MISSED'} (with evidence ${round(vsPeerWithEvidence!)}); `) +
        `ratio ${result.ratio} (target >= ${TARGETS.ratio}): ${result.pass.ratio ? 'ok' : 'MISSED'}; ` +
        `evidenceRatio ${result.evidenceRatio} (target >= ${TARGETS.evidenceRatio}): ` +
        `${result.pass.evidenceRatio ? 'ok' : 'MISSED'} (at most ${evidenceRatioCeilingHere ?? '?'} on ${cores} ` +
        `cores); rssGrowth ${result.rssGrowth} (target <= ` +
        `${TARGETS.rssGrowth}): ${result.pass.rssGrowth ? 'ok' : 'MISSED'}; ` +
        `render ${render.renderSeconds} s / ${render.peakRssMB} MB (targets <= ${RENDER_TARGETS.seconds} s, ` +
        `<= ${RENDER_TARGETS.peakRssMB} MB): ${result.pass.render ? 'ok' : 'MISSED'}`,
    );
    await cleanup();
    log(JSON.stringify(result));
  } catch (err) {
    await cleanup();
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  }
}

/** The documents issue's target for a heavy day's PDF on this machine. */
const RENDER_TARGETS = { seconds: 3, peakRssMB: 200 };

interface RenderResult {
  rows: number;
  tableRows: number;
  pages: number;
  renderSeconds: number;
  peakRssMB: number;
}

/** bench/render-bench.ts in a process of its own, so its memory is the render's and not this run's. */
async function runRenderBench(): Promise<RenderResult> {
  const script = fileURLToPath(new URL('./render-bench.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) return reject(new Error(`render bench exited with ${code}`));
      try {
        resolve(JSON.parse(last) as RenderResult);
      } catch {
        reject(new Error(`render bench printed no JSON result: ${last.slice(0, 200)}`));
      }
    });
  });
}

async function serverVersion(binary: string): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn(binary, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.once('exit', () => resolve(out.trim()));
    p.once('error', () => resolve(''));
  });
}

function describeReport(r: PipelineResult): void {
  const rep = r.report;
  log(
    `report: ${rep.connections.connects} connects, ${rep.connections.disconnects} disconnects, ` +
      `${rep.authFailures.total} auth failures, ` +
      `${rep.jetstreamSummary.changes} JetStream changes (${rep.jetstreamSummary.reads} reads), ` +
      `${rep.transactions.total} transactions, ` +
      `${rep.unparseable} unparseable; streams ${r.streams.map((s) => `${s.stream}=${s.messages}`).join(' ')}`,
  );
  for (const u of rep.unparseableEvents.slice(0, 5))
    log(`  unparseable ${u.stream}#${u.seq} ${u.subject}: ${u.reason}`);
}

if (process.argv.includes('--child')) {
  childMain().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`bench child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
} else {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
