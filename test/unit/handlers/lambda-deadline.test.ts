import { describe, expect, it } from 'vitest';
import { LAMBDA_RESERVE_MS, lambdaDeadline } from '../../../functions/handlers/aws-ports.js';
import { DEFAULT_NATS_WAIT_MS } from '../../../functions/source/retry.js';

const NOW = 1_800_000_000_000;

describe("a Lambda run's deadline for NATS", () => {
  it('leaves the rest of the run time to finish before the invocation ends', () => {
    // 15 minutes left: 90 s are kept; the default budget fits well before that.
    const full = lambdaDeadline({}, 900_000, NOW);
    expect(full).toMatchObject({ budgetMs: DEFAULT_NATS_WAIT_MS, until: NOW + 900_000 - LAMBDA_RESERVE_MS });
    // A minute left: a quarter is kept, and the budget shrinks to what remains before that.
    expect(lambdaDeadline({}, 60_000, NOW)).toMatchObject({ budgetMs: 45_000, until: NOW + 45_000 });
  });

  it('takes SOX_NATS_WAIT_SECONDS, and never waits past the end for it', () => {
    expect(lambdaDeadline({ SOX_NATS_WAIT_SECONDS: '20' }, 900_000, NOW).budgetMs).toBe(20_000);
    expect(lambdaDeadline({ SOX_NATS_WAIT_SECONDS: '3600' }, 900_000, NOW).budgetMs).toBe(900_000 - 90_000);
    expect(lambdaDeadline({}, 0, NOW)).toMatchObject({ budgetMs: 0, until: NOW });
  });

  it('without an invocation (a harness), is the plain budget', () => {
    expect(lambdaDeadline({}, undefined, NOW)).toEqual({
      budgetMs: DEFAULT_NATS_WAIT_MS,
      until: Infinity,
      spentMs: 0,
      done: [],
    });
  });

  it('refuses a setting that is not seconds, naming it', () => {
    expect(() => lambdaDeadline({ SOX_NATS_WAIT_SECONDS: '5m' }, 900_000, NOW)).toThrow(
      /^SOX_NATS_WAIT_SECONDS must be/,
    );
  });
});
