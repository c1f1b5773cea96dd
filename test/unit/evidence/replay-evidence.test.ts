import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { reportParameters } from '../../../functions/analysis/parameters.js';
import { parseConfig } from '../../../functions/config/load.js';
import { replayEvidence } from '../../../functions/evidence/replay-evidence.js';

const parameters = reportParameters(
  parseConfig(
    {
      sources: [
        {
          name: 'app',
          nats: { servers: ['nats://127.0.0.1:4222'] },
          streams: [{ stream: 'TX', kind: 'transactions' }],
        },
      ],
    },
    'test configuration',
  ),
);
const header = {
  type: 'evidence',
  schema: 'sox-report-evidence/v1',
  bundle: 'adhoc/x',
  period: { from: '2026-11-24T00:00:00Z', to: '2026-11-25T00:00:00Z', timezone: 'UTC', kind: 'adhoc' },
};
const message = (seq: number) => ({
  type: 'message',
  source: 'app',
  stream: 'TX',
  seq,
  time: `2026-11-24T10:00:0${seq}.123456789Z`,
  subject: 'tx.created',
  data: `{"id":${seq}}`,
});
const end = (over: Record<string, unknown> = {}) => ({
  type: 'stream',
  source: 'app',
  stream: 'TX',
  kind: 'transactions',
  firstSeq: 1,
  lastSeq: 4,
  messages: 3,
  gaps: [[3, 3]],
  ...over,
});
const file = (...lines: unknown[]) => [gzipSync(Buffer.from(lines.map((l) => `${JSON.stringify(l)}\n`).join('')))];

describe('replayEvidence', () => {
  it("rebuilds each stream's sequences as the run's replay found them", async () => {
    const replayed = await replayEvidence(file(header, message(1), message(2), message(4), end()), parameters);
    expect(replayed.problems).toEqual([]);
    expect(replayed.messages).toBe(3);
    expect(replayed.state.transactions.total).toBe(3);
    expect(replayed.streams).toEqual([
      {
        source: 'app',
        stream: 'TX',
        kind: 'transactions',
        firstSeq: 1,
        lastSeq: 4,
        messages: 3,
        gaps: [[3, 3]],
        missing: 1,
        firstTime: '2026-11-24T10:00:01.123456789Z',
        lastTime: '2026-11-24T10:00:04.123456789Z',
      },
    ]);
  });

  it('names a stream record that does not match its messages, and a jump it does not list', async () => {
    const replayed = await replayEvidence(
      file(header, message(1), message(2), message(4), end({ messages: 4, lastSeq: 5, gaps: [] })),
      parameters,
    );
    expect(replayed.problems).toEqual([
      'evidence app/TX: the stream record says 4 messages, the file holds 3',
      'evidence app/TX: the stream record says seq 1-5, the messages run 1-4',
      'evidence app/TX: seq 3-3 are missing between messages, but the stream record does not list that gap',
    ]);
  });

  it('refuses a sequence read twice or out of order, naming the line', async () => {
    await expect(replayEvidence(file(header, message(2), message(2), end()), parameters)).rejects.toThrow(
      'line 3: TX seq 2 after seq 2',
    );
  });
});
