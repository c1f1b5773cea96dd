import { JetStreamApiError } from '@nats-io/jetstream';
import { JetStreamStatusError, jserrors } from '@nats-io/jetstream/internal';
import {
  AuthorizationError,
  ClosedConnectionError,
  ConnectionError,
  NoRespondersError,
  PermissionViolationError,
  RequestError,
  TimeoutError,
} from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { InputError, NatsUnavailableError, RunError } from '../../../functions/errors.js';
import { NatsInterruptedError } from '../../../functions/source/nats-steps.js';
import {
  backoffDelay,
  DEFAULT_NATS_WAIT_MS,
  isTransient,
  RetryExhausted,
  retry,
  runDeadline,
  transientCause,
  waitBudgetMs,
  type RetryEnvironment,
  type RetryPolicy,
} from '../../../functions/source/retry.js';

const POLICY: RetryPolicy = { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 1_000 };

/** A clock that moves only when the code under test sleeps or an attempt says it took time. */
function fakeClock(random = 0.5): RetryEnvironment & { t: number; sleeps: number[] } {
  const clock = {
    t: 1_000_000,
    sleeps: [] as number[],
    now: () => clock.t,
    random: () => random,
    async sleep(ms: number) {
      clock.sleeps.push(ms);
      clock.t += ms;
    },
  };
  return clock;
}

function systemError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:4222`), { code });
}

const apiError = (err_code: number, code: number, description: string) =>
  new JetStreamApiError({ err_code, code, description });

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap, half of each wait jittered', () => {
    const full = [1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(POLICY, attempt, () => 0.999_999));
    expect(full).toEqual([100, 200, 400, 800, 1000, 1000]);
    const least = [1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(POLICY, attempt, () => 0));
    expect(least).toEqual([50, 100, 200, 400, 500, 500]);
    expect(backoffDelay(POLICY, 3, () => 0.5)).toBe(300);
  });
});

describe('which failures another attempt may cure', () => {
  const transient: [string, unknown][] = [
    [
      'a refused connection (nats.js wraps ECONNREFUSED)',
      new ConnectionError('connection refused', { cause: systemError('ECONNREFUSED') }),
    ],
    ["the client's own refusal, with no cause", new ConnectionError('connection refused')],
    ['a connection reset while connecting', systemError('ECONNRESET')],
    ['a broken pipe', systemError('EPIPE')],
    ['an unreachable host', systemError('EHOSTUNREACH')],
    ['a request that timed out', new TimeoutError()],
    ['a closed connection', new ClosedConnectionError()],
    ['no responders', new RequestError('no responders', { cause: new NoRespondersError('$JS.API.INFO') })],
    [
      'JetStream not answering yet (no responders underneath)',
      new jserrors.JetStreamNotEnabled('jetstream is not enabled', {
        cause: new RequestError('', { cause: new NoRespondersError('$JS.API.INFO') }),
      }),
    ],
    ['JetStream temporarily unavailable (503)', apiError(10008, 503, 'JetStream system temporarily unavailable')],
    ["the server's request timeout (408)", new JetStreamStatusError('request timeout', 408)],
    ['a dropped connection (ours)', new NatsInterruptedError('the connection to the server dropped')],
    [
      "connectSource's message around a refused connection",
      new RunError('cannot connect to NATS for source "audit" at nats://127.0.0.1:4222: connection refused', {
        cause: new ConnectionError('connection refused', { cause: systemError('ECONNREFUSED') }),
      }),
    ],
  ];
  const permanent: [string, unknown][] = [
    ['a stream that does not exist', apiError(10059, 404, 'stream not found')],
    ['a wrong last sequence', apiError(10071, 400, 'wrong last sequence: 3')],
    [
      'JetStream not enabled for the account',
      new jserrors.JetStreamNotEnabled('jetstream not enabled for account', {
        cause: apiError(10039, 503, 'jetstream not enabled for account'),
      }),
    ],
    ['a refused login', new AuthorizationError('Authorization Violation')],
    [
      'a permission violation',
      new PermissionViolationError(
        'Permissions Violation for Publish to "$JS.API.STREAM.INFO.X"',
        'publish',
        '$JS.API.STREAM.INFO.X',
      ),
    ],
    [
      'a certificate the client refuses',
      new ConnectionError('self-signed certificate', { cause: systemError('DEPTH_ZERO_SELF_SIGNED_CERT') }),
    ],
    ['a file that is not there', systemError('ENOENT')],
    ['bad input', new InputError('sources "audit": nats.creds: cannot read /x')],
    ['a step that already gave up', new NatsUnavailableError('source "audit": gave up connecting after 12 attempts')],
    [
      'a worded error around a permanent cause',
      new RunError('cannot read stream X: stream not found', { cause: apiError(10059, 404, 'stream not found') }),
    ],
    ['a worded error with no cause', new RunError('source "audit": stream X does not exist')],
    ['anything else', new Error('timeout')],
    ['not an error at all', 'timeout'],
  ];

  it.each(transient)('retries %s', (_, err) => {
    expect(isTransient(err)).toBe(true);
  });

  it.each(permanent)('does not retry %s', (_, err) => {
    expect(isTransient(err)).toBe(false);
  });

  it('names the failure underneath that made it transient, for the message', () => {
    const refused = new ConnectionError('connection refused', { cause: systemError('ECONNREFUSED') });
    const worded = new RunError('cannot connect to NATS for source "audit": connection refused', { cause: refused });
    expect(transientCause(worded)).toBe(refused.cause);
    expect(transientCause(new AuthorizationError('Authorization Violation'))).toBeNull();
  });
});

describe('retry', () => {
  it('waits out transient failures and charges the time lost to the run', async () => {
    const clock = fakeClock();
    const deadline = runDeadline({ budgetMs: 60_000 });
    let calls = 0;
    const value = await retry(
      async (attempt) => {
        calls += 1;
        clock.t += 10; // each attempt takes 10 ms
        if (attempt < 3) throw new TimeoutError();
        return 'info';
      },
      { policy: POLICY, deadline, env: clock },
    );
    expect(value).toBe('info');
    expect(calls).toBe(3);
    expect(clock.sleeps).toEqual([75, 150]);
    // Two failed attempts of 10 ms and the two waits; the successful attempt is not waiting.
    expect(deadline.spentMs).toBe(10 + 75 + 10 + 150);
  });

  it('throws a failure that is not transient as it is, at once', async () => {
    const clock = fakeClock();
    const missing = apiError(10059, 404, 'stream not found');
    const failed = await retry(
      async () => {
        throw missing;
      },
      { policy: POLICY, deadline: runDeadline(), env: clock },
    ).catch((err: unknown) => err);
    expect(failed).toBe(missing);
    expect(clock.sleeps).toEqual([]);
  });

  it('gives up after the attempts the policy allows, with the last failure as the cause', async () => {
    const clock = fakeClock();
    const failures: Error[] = [];
    const failed = await retry(
      async () => {
        const err = new ConnectionError('connection refused');
        failures.push(err);
        throw err;
      },
      { policy: POLICY, deadline: runDeadline(), env: clock },
    ).catch((err: unknown) => err as RetryExhausted);
    expect(failed).toBeInstanceOf(RetryExhausted);
    expect(failed).toMatchObject({ reason: 'attempts', attempts: 5, waitedMs: 75 + 150 + 300 + 600 });
    expect(failed.cause).toBe(failures[4]);
    expect(clock.sleeps).toHaveLength(4);
  });

  it("shares one budget among a run's steps: a later step gives up once the run has waited its fill", async () => {
    const clock = fakeClock();
    const deadline = runDeadline({ budgetMs: 1_000 });
    let first = 0;
    await retry(
      async () => {
        first += 1;
        if (first < 4) throw new TimeoutError();
      },
      { policy: POLICY, deadline, env: clock },
    );
    expect(deadline.spentMs).toBe(75 + 150 + 300);
    const failed = await retry(
      async () => {
        throw new TimeoutError();
      },
      { policy: POLICY, deadline, env: clock },
    ).catch((err: unknown) => err as RetryExhausted);
    // 525 ms spent; 75 and 150 more fit in 1000, the next 300 would not.
    expect(failed).toMatchObject({ reason: 'budget', attempts: 3, waitedMs: 225 });
    expect(deadline.spentMs).toBe(750);
  });

  it("keeps to the step's own limit (connecting: the source's connectTimeoutSeconds)", async () => {
    const clock = fakeClock();
    const failed = await retry(
      async () => {
        throw new ConnectionError('connection refused');
      },
      { policy: POLICY, deadline: runDeadline(), env: clock, limitMs: 500 },
    ).catch((err: unknown) => err as RetryExhausted);
    // 75 + 150 = 225 ms waited; another 300 would pass 500.
    expect(failed).toMatchObject({ reason: 'limit', attempts: 3, waitedMs: 225 });
  });

  it('does not wait past the moment the run must be done by', async () => {
    const clock = fakeClock();
    const deadline = runDeadline({ budgetMs: 60_000, until: clock.t + 200 });
    const failed = await retry(
      async () => {
        throw new TimeoutError();
      },
      { policy: POLICY, deadline, env: clock },
    ).catch((err: unknown) => err as RetryExhausted);
    expect(failed).toMatchObject({ reason: 'until', attempts: 2 });
    expect(clock.sleeps).toEqual([75]);
  });

  it('stops at once when the caller says no attempt can succeed any more', async () => {
    const clock = fakeClock();
    const failed = await retry(
      async () => {
        throw new ClosedConnectionError();
      },
      { policy: POLICY, deadline: runDeadline(), env: clock, hopeless: () => true },
    ).catch((err: unknown) => err as RetryExhausted);
    expect(failed).toMatchObject({ reason: 'hopeless', attempts: 1 });
    expect(clock.sleeps).toEqual([]);
  });

  it('tells the caller before each wait', async () => {
    const clock = fakeClock();
    const told: [number, number][] = [];
    await retry(
      async (attempt) => {
        if (attempt === 1) throw new TimeoutError();
      },
      { policy: POLICY, deadline: runDeadline(), env: clock, onRetry: (r) => told.push([r.attempt, r.delayMs]) },
    );
    expect(told).toEqual([[1, 75]]);
  });

  it('with a budget of nothing, never waits', async () => {
    const clock = fakeClock();
    const failed = await retry(
      async () => {
        throw new TimeoutError();
      },
      { policy: POLICY, deadline: runDeadline({ budgetMs: 0 }), env: clock },
    ).catch((err: unknown) => err as RetryExhausted);
    expect(failed).toMatchObject({ reason: 'budget', attempts: 1 });
  });
});

describe('the budget setting', () => {
  it('is seconds, defaulting to a few minutes', () => {
    expect(waitBudgetMs(undefined, 'SOX_NATS_WAIT_SECONDS')).toBe(DEFAULT_NATS_WAIT_MS);
    expect(waitBudgetMs(' ', 'SOX_NATS_WAIT_SECONDS')).toBe(DEFAULT_NATS_WAIT_MS);
    expect(waitBudgetMs('45', 'SOX_NATS_WAIT_SECONDS')).toBe(45_000);
    expect(waitBudgetMs('0', 'SOX_NATS_WAIT_SECONDS')).toBe(0);
    expect(runDeadline()).toEqual({ budgetMs: DEFAULT_NATS_WAIT_MS, until: Infinity, spentMs: 0, done: [] });
  });

  it('names itself when it is not a number of seconds', () => {
    for (const text of ['2m', '-1', '1.5', '3601']) {
      expect(() => waitBudgetMs(text, 'SOX_NATS_WAIT_SECONDS')).toThrow(
        new InputError(
          'SOX_NATS_WAIT_SECONDS must be a whole number of seconds from 0 to 3600 (how long a run may wait for ' +
            `NATS), not ${JSON.stringify(text)}`,
        ),
      );
    }
  });
});
