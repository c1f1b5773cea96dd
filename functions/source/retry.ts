/**
 * How a run waits out a short NATS outage: which failures another attempt may cure, how long to wait before it, and
 * when to stop. Pure: the clock, the sleep and the jitter are handed in (nats-steps.ts gives the real ones, tests a
 * fake clock), so every decision here is tested without a server.
 */
import { InputError, NatsUnavailableError } from '../errors.js';

export interface RetryPolicy {
  /** Attempts of one step, the first one included. */
  maxAttempts: number;
  /** The wait before the second attempt; it doubles with each attempt, up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
}

/**
 * A server restart takes a second or two, and the client redials every second: a step retried over half a minute
 * outlasts restarts and short partitions without holding a run for long on a server that is gone.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 12, initialDelayMs: 250, maxDelayMs: 4_000 };

/** What a run may wait for NATS in all when nothing says otherwise (`SOX_NATS_WAIT_SECONDS`). */
export const DEFAULT_NATS_WAIT_MS = 180_000;

/**
 * The wait after failed attempt `attempt` (1 for the first): exponential and capped; half of it is jittered, so runs
 * that failed together do not all come back at the same instant, and none retries at once.
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number): number {
  const full = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(full / 2 + random() * (full / 2));
}

/**
 * One run's allowance for waiting on NATS, shared by all its steps, and what its steps have done so far (for the
 * message when one gives up). A shell builds one per run, like the ports it belongs to.
 */
export interface RunDeadline {
  /** The most the run may spend waiting out outages, over all its steps, in milliseconds. */
  readonly budgetMs: number;
  /** Milliseconds since the epoch after which no step waits any more (a Lambda's end, less time to finish). */
  readonly until: number;
  /** What the run has waited so far. */
  spentMs: number;
  /** What the run's NATS steps did before, in order ("read audit/SYS_EVENTS (12 messages)"). */
  readonly done: string[];
}

export function runDeadline(options: { budgetMs?: number; until?: number } = {}): RunDeadline {
  return { budgetMs: options.budgetMs ?? DEFAULT_NATS_WAIT_MS, until: options.until ?? Infinity, spentMs: 0, done: [] };
}

/** `SOX_NATS_WAIT_SECONDS` (or any such setting) as milliseconds; absent or blank: the default. */
export function waitBudgetMs(text: string | undefined, name: string): number {
  if (text === undefined || text.trim() === '') return DEFAULT_NATS_WAIT_MS;
  const seconds = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds > 3_600) {
    throw new InputError(
      `${name} must be a whole number of seconds from 0 to 3600 (how long a run may wait for NATS), ` +
        `not ${JSON.stringify(text)}`,
    );
  }
  return seconds * 1000;
}

/** Error codes of the operating system for a connection that failed on the way, not because of what was asked. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
]);

/** Names the NATS client gives failures of the connection rather than of the request (errors of nats-core). */
const TRANSIENT_NAMES = new Set([
  'TimeoutError',
  'ClosedConnectionError',
  'NoResponders',
  // Ours (nats-steps.ts): the connection was down when an attempt began or dropped while it ran, or the server
  // gave no answer where it had said there was one.
  'NatsInterruptedError',
]);

/**
 * Whether another attempt may succeed where `err` failed: the connection was refused, reset, closed or dropped, a
 * request timed out or found no responder (JetStream not up yet), JetStream said it is temporarily unavailable.
 * Not: a stream that does not exist, authorization and permission errors, bad input, anything not known to be
 * passing; those fail at once. Decided by the error's name and codes along its causes, never by its wording.
 */
export function isTransient(err: unknown): boolean {
  return transientCause(err) !== null;
}

/** The error along `err`'s causes that makes it transient (its message says what went wrong), or null. */
export function transientCause(err: unknown): Error | null {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth += 1) {
    const verdict = judge(e);
    if (verdict === 'transient') return e;
    if (verdict === 'permanent') return null;
  }
  return null;
}

type Verdict = 'transient' | 'permanent' | 'look at the cause';

/** JetStream API error codes (nats-server errors.json) that come with status 503 but no outage. */
const JS_NOT_ENABLED_FOR_ACCOUNT = 10039;
const JS_NOT_ENABLED = 10076;

function judge(e: Error): Verdict {
  // Already worded, or already waited out: never retried again by an outer step.
  if (e instanceof InputError || e instanceof NatsUnavailableError) return 'permanent';
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') return TRANSIENT_CODES.has(code) ? 'transient' : 'permanent';
  if (TRANSIENT_NAMES.has(e.name)) return 'transient';
  switch (e.name) {
    case 'ConnectionError':
      // The client's own "connection refused" has no cause; one that has a cause is as transient as that cause
      // (a refused TLS certificate is not).
      return e.cause === undefined ? 'transient' : 'look at the cause';
    case 'RequestError':
    case 'JetStreamNotEnabled':
    case 'RunError':
      // "no responders" or a timeout underneath means JetStream was not there yet; "not enabled for the account"
      // (an API error underneath) is the configuration.
      return e.cause === undefined ? 'permanent' : 'look at the cause';
    case 'JetStreamApiError':
    case 'StreamNotFoundError':
    case 'ConsumerNotFoundError':
    case 'JetStreamStatusError': {
      // 503: JetStream temporarily unavailable (a restart, a leader election), but for the two 503s that say it is
      // not enabled at all; 408: the server's request timeout.
      if (code === JS_NOT_ENABLED_FOR_ACCOUNT || code === JS_NOT_ENABLED) return 'permanent';
      const status = e.name === 'JetStreamStatusError' ? code : (e as { status?: unknown }).status;
      return status === 503 || status === 408 ? 'transient' : 'permanent';
    }
    default:
      return 'permanent';
  }
}

/** Why a step stopped retrying. */
export type GiveUpReason =
  /** Every attempt the policy allows failed. */
  | 'attempts'
  /** The step's own time limit is reached (connecting: the source's `connectTimeoutSeconds`). */
  | 'limit'
  /** The run's budget for waiting is spent. */
  | 'budget'
  /** Waiting longer would not leave the run time to finish before its deadline. */
  | 'until'
  /** The caller says no attempt can succeed any more (its connection is closed for good). */
  | 'hopeless';

/** A step that failed transiently until it gave up; `cause` is its last failure. */
export class RetryExhausted extends Error {
  override name = 'RetryExhausted';
  constructor(
    readonly reason: GiveUpReason,
    readonly attempts: number,
    /** From the first attempt's start to giving up. */
    readonly waitedMs: number,
    cause: unknown,
  ) {
    super(`gave up after ${attempts} attempts in ${waitedMs} ms (${reason})`, { cause });
  }
}

export interface RetryEnvironment {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Waits `ms` (or less: an adapter may wake early, when the connection is back). */
  sleep(ms: number): Promise<void>;
  /** In [0, 1). */
  random(): number;
}

export interface RetryOptions {
  policy?: RetryPolicy;
  deadline: RunDeadline;
  env: RetryEnvironment;
  transient?: (err: unknown) => boolean;
  /** The most this step may take from its first attempt to its last, in milliseconds. */
  limitMs?: number;
  /** True when no attempt can succeed any more: stop at once, with reason `hopeless`. */
  hopeless?: () => boolean;
  /** Told before each wait. */
  onRetry?: (retry: { attempt: number; delayMs: number; error: unknown }) => void;
}

/** Why a step that just failed transiently must not wait `delayMs` for another attempt; null: it may. */
function stopReason(
  options: RetryOptions,
  policy: RetryPolicy,
  at: { attempt: number; waited: number; delayMs: number; now: number },
): GiveUpReason | null {
  const { deadline } = options;
  const waitedAfter = at.waited + at.delayMs;
  if (options.hopeless?.()) return 'hopeless';
  if (at.attempt >= policy.maxAttempts) return 'attempts';
  if (waitedAfter > (options.limitMs ?? Infinity)) return 'limit';
  if (deadline.spentMs + waitedAfter > deadline.budgetMs) return 'budget';
  if (at.now + at.delayMs > deadline.until) return 'until';
  return null;
}

/**
 * Runs `work` until it succeeds, fails with an error that is not transient (thrown as it is), or may not wait any
 * longer (RetryExhausted, its last failure as the cause). The time lost to failed attempts and waits is charged to
 * the run's deadline, so all the steps of a run together never wait longer than its budget.
 */
export async function retry<T>(work: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { deadline, env } = options;
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const transient = options.transient ?? isTransient;
  const started = env.now();
  for (let attempt = 1; ; attempt += 1) {
    const attemptStarted = env.now();
    try {
      const value = await work(attempt);
      deadline.spentMs += attemptStarted - started;
      return value;
    } catch (err) {
      const now = env.now();
      const waited = now - started;
      if (!transient(err)) {
        deadline.spentMs += attemptStarted - started;
        throw err;
      }
      const delayMs = backoffDelay(policy, attempt, env.random);
      const reason = stopReason(options, policy, { attempt, waited, delayMs, now });
      if (reason !== null) {
        deadline.spentMs += waited;
        throw new RetryExhausted(reason, attempt, waited, err);
      }
      options.onRetry?.({ attempt, delayMs, error: err });
      await env.sleep(delayMs);
    }
  }
}
