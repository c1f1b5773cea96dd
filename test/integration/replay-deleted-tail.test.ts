/**
 * A period whose only messages were deleted, and were the stream's last: its info still shows their stored time, and
 * nats-server 2.9 and 2.10 start a consumer by that time at an earlier message. The replay reads nothing of the
 * period (not the earlier messages) and reports the deleted run, once. A sliced run's last slice is often this.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamCompleteness } from '../../functions/analysis/report-model.js';
import { NATS_VERSIONS } from '../../functions/local/nats-binaries.js';
import { replayAndAggregate } from '../../functions/pipeline/replay-aggregate.js';
import { connectSource } from '../../functions/source/connect.js';
import { nowNanos } from '../../functions/time/nanos.js';
import { startTestBed, type TestBed } from '../support/hub.js';

const tick = () => new Promise((r) => setTimeout(r, 20));

describe.each(NATS_VERSIONS)('a period holding only the stream’s last messages, deleted, on nats-server %s', (v) => {
  let bed: TestBed;
  let before: StreamCompleteness;
  let tail: StreamCompleteness;

  beforeAll(async () => {
    bed = await startTestBed(v);
    const app = await connect({ servers: bed.hub.url, user: 'app', pass: bed.hub.passwords.app });
    const jsm = await jetstreamManager(app);
    await jsm.streams.add({ name: 'TRANSACTIONS', subjects: ['tx.>'], storage: 'file' as never });
    const js = jetstream(app);
    const start = nowNanos();
    await js.publish('tx.created', '{"id":1}');
    await js.publish('tx.created', '{"id":2}');
    await tick();
    const from = nowNanos();
    await tick();
    await js.publish('tx.created', '{"id":3}');
    await js.publish('tx.created', '{"id":4}');
    await jsm.streams.deleteMessage('TRANSACTIONS', 3);
    await jsm.streams.deleteMessage('TRANSACTIONS', 4);
    await tick();
    const to = nowNanos();
    await app.close();
    const ports = { connect: (s: TestBed['config']['sources'][number]) => connectSource(s.name, s.nats), log() {} };
    const replay = async (a: bigint, b: bigint) =>
      (await replayAndAggregate(bed.config, { from: a, to: b, timezone: 'UTC', kind: 'adhoc' }, ports)).streams.find(
        (s) => s.stream === 'TRANSACTIONS',
      )!;
    before = await replay(start, from);
    tail = await replay(from, to);
  });
  afterAll(async () => bed?.close());

  it('reads none of the earlier messages and reports the deleted run', () => {
    expect(tail).toMatchObject({ firstSeq: null, lastSeq: null, messages: 0, gaps: [[3, 4]], missing: 2 });
  });

  it('leaves the earlier messages to the period that holds them, without the run', () => {
    expect(before).toMatchObject({ firstSeq: 1, lastSeq: 2, messages: 2, gaps: [], missing: 0 });
  });
});
