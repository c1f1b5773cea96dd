import { afterEach, describe, expect, it } from 'vitest';
import { PROGRESS_LOG_EVERY_MS, PROGRESS_LOG_MESSAGE, progressLog } from '../../../functions/handlers/progress-log.js';
import type { StreamProgress } from '../../../functions/progress/stream-progress.js';
import { captureOutput, testObservability } from '../../support/lambda-fakes.js';
import { tx, sys } from '../../support/progress-updates.js';

/** A logger that keeps its calls, and a clock the test moves. */
function harness() {
  const lines: { message: string; fields: Record<string, unknown> }[] = [];
  let now = 0;
  const port = progressLog({ info: (message, fields = {}) => void lines.push({ message, fields }) }, () => now);
  return {
    lines,
    at(ms: number, update: StreamProgress) {
      now = ms;
      port(update);
    },
  };
}

describe('Lambda progress log', () => {
  let output: ReturnType<typeof captureOutput> | undefined;
  afterEach(() => output?.restore());

  it('writes one line at most every 30 s while a stream is read, and one as each stream ends', () => {
    expect(PROGRESS_LOG_EVERY_MS).toBe(30_000);
    const { lines, at } = harness();
    at(0, tx(0, 10_000));
    at(10_000, tx(2_000, 10_000));
    at(20_000, tx(4_000, 10_000));
    expect(lines).toEqual([]);
    at(30_000, tx(6_000, 10_000));
    expect(lines).toEqual([
      {
        message: 'replay progress',
        fields: {
          // Over the last 10 s: 2000 messages, so 200 msg/s and 4000 left in 20 s.
          streams: [
            {
              source: 'app',
              stream: 'TRANSACTIONS',
              read: 6_000,
              total: 10_000,
              done: false,
              rate: 200,
              etaSeconds: 20,
            },
          ],
          read: 6_000,
          rate: 200,
          etaSeconds: 20,
        },
      },
    ]);
    at(40_000, tx(8_000, 10_000));
    expect(lines).toHaveLength(1);
    at(45_000, tx(9_000, 9_000, true));
    expect(lines[1]).toEqual({
      message: 'replay progress',
      fields: {
        streams: [
          { source: 'app', stream: 'TRANSACTIONS', read: 9_000, total: 9_000, done: true, rate: 200, etaSeconds: 0 },
        ],
        read: 9_000,
        rate: 200,
        etaSeconds: 0,
      },
    });
    // The next periodic line counts its 30 s from the last line written, the end of the stream.
    at(46_000, sys(0, 1_000));
    at(70_000, sys(500, 1_000));
    expect(lines).toHaveLength(2);
    at(75_000, sys(800, 1_000));
    expect(lines[2]!.fields).toEqual({
      streams: [
        { source: 'app', stream: 'TRANSACTIONS', read: 9_000, total: 9_000, done: true, rate: 200, etaSeconds: 0 },
        { source: 'audit', stream: 'SYS_EVENTS', read: 800, total: 1_000, done: false, rate: 60, etaSeconds: 4 },
      ],
      read: 9_800,
      rate: 60,
      etaSeconds: 4,
    });
  });

  it('logs the end of a stream that had nothing in the period at once', () => {
    const { lines, at } = harness();
    at(1, sys(0, 0, true));
    expect(lines).toEqual([
      {
        message: PROGRESS_LOG_MESSAGE,
        fields: {
          streams: [
            { source: 'audit', stream: 'SYS_EVENTS', read: 0, total: 0, done: true, rate: null, etaSeconds: 0 },
          ],
          read: 0,
          rate: null,
          etaSeconds: 0,
        },
      },
    ]);
  });

  it('is one structured JSON line of the Powertools logger', () => {
    output = captureOutput();
    let now = 1_000;
    const port = progressLog(testObservability().logger, () => now);
    port(tx(0, 4_000));
    now = 3_000;
    port(tx(4_000, 4_000, true));
    const lines = output
      .text()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'INFO',
      message: 'replay progress',
      service: 'sox-test',
      streams: [{ source: 'app', stream: 'TRANSACTIONS', read: 4_000, total: 4_000, done: true, rate: 2_000 }],
      read: 4_000,
      rate: 2_000,
      etaSeconds: 0,
    });
  });
});
