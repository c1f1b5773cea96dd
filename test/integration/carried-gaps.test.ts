import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withoutCarriedGaps } from '../../functions/analysis/carried-gaps.js';
import type { ReportV1, StreamCompleteness } from '../../functions/analysis/report-model.js';
import type { Period } from '../../functions/config/period.js';
import { replayAndAggregate } from '../../functions/pipeline/replay-aggregate.js';
import { connectSource } from '../../functions/source/connect.js';
import { nowNanos } from '../../functions/time/nanos.js';
import { startTestBed, type TestBed } from '../support/hub.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('a message deleted at the end of one period is counted once, not again by the next', () => {
  let bed: TestBed;
  let first: StreamCompleteness;
  let second: StreamCompleteness;

  beforeAll(async () => {
    bed = await startTestBed('2.10.27');
    const app = await connect({ servers: bed.hub.url, user: 'app', pass: bed.hub.passwords.app });
    const jsm = await jetstreamManager(app);
    await jsm.streams.add({ name: 'TRANSACTIONS', subjects: ['tx.>'], storage: 'file' as never });
    const from = nowNanos();
    await jetstream(app).publish('tx.created', '{"id":1}');
    await jetstream(app).publish('tx.created', '{"id":2}');
    await jsm.streams.deleteMessage('TRANSACTIONS', 2); // the last message of the first period
    await tick();
    const cut = nowNanos() + 1_000_000n;
    await tick();
    const ports = {
      connect: (s: (typeof bed.config.sources)[number]) => connectSource(s.name, s.nats),
      log: () => undefined,
    };
    const replay = async (period: Period) =>
      (await replayAndAggregate(bed.config, period, ports)).streams.find((s) => s.stream === 'TRANSACTIONS')!;
    // The nightly run of the first period, before anything else is stored: the deleted message is the stream's last.
    first = await replay({ from, to: cut, timezone: 'UTC', kind: 'adhoc' });

    await jetstream(app).publish('tx.created', '{"id":3}');
    await tick();
    const to = nowNanos() + 1_000_000n;
    await tick();
    await app.close();
    second = await replay({ from: cut, to, timezone: 'UTC', kind: 'adhoc' });
  });
  afterAll(async () => bed?.close());

  it('the first period reports the deleted message as missing after its last one', () => {
    expect(first).toMatchObject({ firstSeq: 1, lastSeq: 1, messages: 1, gaps: [[2, 2]], missing: 1 });
  });

  it('the next period sees the same hole before its first message; the previous report says it was counted', () => {
    expect(second).toMatchObject({ firstSeq: 3, lastSeq: 3, messages: 1, gaps: [[2, 2]], missing: 1 });
    const previous = { streams: [first] } as unknown as ReportV1;
    const [deduped] = withoutCarriedGaps([second], previous);
    expect(deduped).toMatchObject({ firstSeq: 3, lastSeq: 3, gaps: [], missing: 0 });
    // Without a previous report (an ad-hoc period on its own) the hole stays where the replay found it.
    expect(withoutCarriedGaps([second], null)[0]).toBe(second);
  });
});
