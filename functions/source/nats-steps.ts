/**
 * The NATS steps of a run (connect, stream info, consumers, the incident record, mirrors, alerts) under the retry
 * policy of retry.ts: a step that meets an outage waits for the connection to come back and tries again, within the
 * run's deadline; when it gives up, it says which source, which servers, what it was doing, how long it waited and
 * what the run had done before. A plain "timeout" never leaves here on its own.
 */
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { SourceConfig } from '../config/schema.js';
import { NatsUnavailableError, RunError, errorMessage } from '../errors.js';
import { redactCredentials } from '../text/redact.js';
import { describeServers } from './connect.js';
import { RetryExhausted, retry, runDeadline, type RetryEnvironment, type RunDeadline } from './retry.js';

/**
 * An attempt that could not be answered: the connection was down when it began or dropped while it ran, or the
 * server gave no answer where it had said there was one. Transient (retry.ts knows the name).
 */
export class NatsInterruptedError extends Error {
  override name = 'NatsInterruptedError';
}

/** Where a connection's steps happen: the source it was opened for, its servers, and the run's deadline. */
export interface StepScope {
  /** null for a connection opened without saying for which source (a test's, a command's). */
  source: string | null;
  servers: readonly string[];
  deadline: RunDeadline;
}

/**
 * Each connection carries its scope, so every step on it (in replay.ts, the incident record, the mirrors) shares the
 * run's one deadline without each caller handing it on.
 */
const scopes = new WeakMap<NatsConnection, StepScope>();
const watches = new WeakMap<NatsConnection, ConnectionWatch>();

export function scopeOf(nc: NatsConnection): StepScope {
  let scope = scopes.get(nc);
  if (!scope) {
    scope = { source: null, servers: [nc.getServer()], deadline: runDeadline() };
    scopes.set(nc, scope);
  }
  return scope;
}

export interface ConnectOptions {
  /** The run's deadline (Ports.deadline); absent: one of its own for this connection. */
  deadline?: RunDeadline;
  /** What the connection is for, as a message that gives up says it ("to record the incidents"). */
  purpose?: string;
}

/**
 * Opens the connection of a source through `connect` (the port), retrying while the server is away: a source that
 * connects during a restart waits for it. The connection carries the deadline for its later steps.
 */
export async function connectWithin(
  source: SourceConfig,
  connect: (source: SourceConfig) => Promise<NatsConnection>,
  options: ConnectOptions = {},
): Promise<NatsConnection> {
  const scope: StepScope = {
    source: source.name,
    servers: source.nats.servers,
    deadline: options.deadline ?? runDeadline(),
  };
  const servers = describeServers(source.nats.servers);
  const purpose = options.purpose ? ` ${options.purpose}` : '';
  const nc = await runStep(
    scope,
    null,
    {
      // The words connect.ts has always used, so a server that is not there reads the same, only later.
      lead: `cannot connect to NATS for source "${source.name}" at ${servers}${purpose}: gave up`,
      // "Seconds to wait for a server before the run fails" (config/schema.ts), retries included.
      limitMs: source.nats.connectTimeoutSeconds * 1000,
      limitWhy: ` (the source's nats.connectTimeoutSeconds is ${source.nats.connectTimeoutSeconds})`,
    },
    () => connect(source),
  );
  scopes.set(nc, scope);
  watchOf(nc);
  return nc;
}

/**
 * Runs one step on `nc`, waiting out outages; `doing` says what it is ("reading stream info of SYS_EVENTS"). `work`
 * is told which attempt it is (1 first), so what it creates on the server can have a name of its own each time.
 */
export function natsStep<T>(nc: NatsConnection, doing: string, work: (attempt: number) => Promise<T>): Promise<T> {
  const scope = scopeOf(nc);
  const where = `${scope.source === null ? 'NATS' : `source "${scope.source}"`} at ${describeServers(scope.servers)}`;
  return runStep(scope, nc, { lead: `${where}: gave up ${doing}` }, work);
}

const managers = new WeakMap<NatsConnection, Promise<JetStreamManager>>();

/**
 * The JetStream manager of `nc`: making one asks the server ($JS.API.INFO), so it is a step like any other, taken
 * once per connection (every stream's replay asks for it, and a round trip each is time the replay waits).
 */
export function openJetStream(nc: NatsConnection): Promise<JetStreamManager> {
  let manager = managers.get(nc);
  if (!manager) {
    manager = natsStep(nc, 'opening JetStream', () => jetstreamManager(nc));
    managers.set(nc, manager);
    // A step that gave up is not kept: the caller sees its error, and a later call tries again.
    manager.catch(() => managers.delete(nc));
  }
  return manager;
}

/** Notes what the run has done on `nc`'s source, for the message should a later step give up. */
export function recordDone(nc: NatsConnection, what: string): void {
  scopeOf(nc).deadline.done.push(what);
}

/** How a step is named when it gives up ("source "audit" at nats://…: gave up reading stream info of X"). */
interface StepWords {
  lead: string;
  limitMs?: number;
  limitWhy?: string;
}

async function runStep<T>(
  scope: StepScope,
  nc: NatsConnection | null,
  words: StepWords,
  work: (attempt: number) => Promise<T>,
): Promise<T> {
  const watch = nc ? watchOf(nc) : null;
  const env: RetryEnvironment = {
    now: Date.now,
    random: Math.random,
    sleep: (ms) => (watch ? watch.sleep(ms) : new Promise((resolve) => setTimeout(resolve, ms))),
  };
  try {
    return await retry((attempt) => (watch ? watch.attempt(() => work(attempt)) : work(attempt)), {
      deadline: scope.deadline,
      env,
      ...(words.limitMs !== undefined ? { limitMs: words.limitMs } : {}),
      // The client redials by itself (connect.ts); once it has given up, the connection is closed for good.
      ...(nc ? { hopeless: () => nc.isClosed() } : {}),
    });
  } catch (err) {
    if (err instanceof RetryExhausted) throw gaveUp(scope, words, err);
    throw err;
  }
}

function why(failure: RetryExhausted, words: StepWords, deadline: RunDeadline): string {
  switch (failure.reason) {
    case 'attempts':
      return '';
    case 'limit':
      return words.limitWhy ?? '';
    case 'budget':
      return ` (waiting longer would pass the ${seconds(deadline.budgetMs)} the run may wait for NATS in all)`;
    case 'until':
      return ' (waiting longer would leave the run too little time to finish)';
    case 'hopeless':
      return ' (the client closed the connection after its own reconnect attempts)';
  }
}

function gaveUp(scope: StepScope, words: StepWords, failure: RetryExhausted): NatsUnavailableError {
  const last = unworded(failure.cause);
  const { done } = scope.deadline;
  const attempts = `${failure.attempts} attempt${failure.attempts === 1 ? '' : 's'}`;
  const message =
    `${words.lead} after ${attempts} in ${seconds(failure.waitedMs)}` +
    `${why(failure, words, scope.deadline)}: ${errorMessage(last)}` +
    (done.length ? `; already done: ${done.join(', ')}` : '');
  // The client's text is redacted too: a future version may quote the URL it was given.
  return new NatsUnavailableError(redactCredentials(message), { cause: failure.cause });
}

/** The client's own words under ours ("connection refused" under connect.ts's "cannot connect … for source …"). */
function unworded(err: unknown): unknown {
  let e = err;
  while (e instanceof RunError && e.cause !== undefined) e = e.cause;
  return e;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function watchOf(nc: NatsConnection): ConnectionWatch {
  let watch = watches.get(nc);
  if (!watch) {
    watch = new ConnectionWatch(nc);
    watches.set(nc, watch);
  }
  return watch;
}

/**
 * Follows a connection's status. A request sent while the client redials is held until it times out (5 s for the
 * JetStream API), and one in flight when the server goes away is never answered: so an attempt on a connection that
 * is down fails at once, one whose connection drops fails as it drops, and the wait before the next attempt ends as
 * soon as the client is back.
 */
class ConnectionWatch {
  private up: boolean;
  private readonly drops = new Set<() => void>();
  private readonly backs = new Set<() => void>();

  constructor(nc: NatsConnection) {
    // Not in the client's public types; a connection watched late may already be down.
    const connected = (nc as unknown as { protocol?: { connected?: unknown } }).protocol?.connected;
    this.up = !nc.isClosed() && connected !== false;
    void this.follow(nc).catch(() => undefined);
  }

  private async follow(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        this.up = false;
        for (const drop of [...this.drops]) drop();
      } else if (status.type === 'reconnect') {
        this.up = true;
        for (const back of [...this.backs]) back();
      }
    }
    // Closed: nothing will come back; whoever waits tries once more and finds it closed.
    this.up = false;
    for (const back of [...this.backs]) back();
  }

  attempt<T>(work: () => Promise<T>): Promise<T> {
    if (!this.up) return Promise.reject(new NatsInterruptedError('not connected (the client is reconnecting)'));
    return new Promise<T>((resolve, reject) => {
      const drop = () => reject(new NatsInterruptedError('the connection to the server dropped'));
      this.drops.add(drop);
      // An attempt abandoned by a drop may still settle later: its outcome is ignored.
      Promise.resolve()
        .then(work)
        .then(resolve, reject)
        .finally(() => this.drops.delete(drop));
    });
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.backs.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      if (!this.up) this.backs.add(wake);
    });
  }
}
