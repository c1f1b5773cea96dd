/**
 * How much of each configured stream lies in a period, asked of the server before anything is read (the fan-out's
 * plan step sizes its slices by it, slices/sizing.ts): the sequences from the period's first message to the first
 * stored at or after its end (an upper bound: deleted messages count), and their share of the stream's bytes.
 */
import { jetstream } from '@nats-io/jetstream';
import { nuid, type NatsConnection } from '@nats-io/transport-node';
import type { Period } from '../config/period.js';
import type { Config, SourceConfig } from '../config/schema.js';
import type { StreamSize } from '../slices/sizing.js';
import { parseInstant } from '../time/nanos.js';
import { connectWithin, natsStep, openJetStream } from './nats-steps.js';
import { firstSequenceAtOrAfter } from './replay.js';
import type { RunDeadline } from './retry.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Every configured stream's size in `[from, to)`, in reading order; one connection per source. */
export async function streamSizes(
  config: Config,
  period: Pick<Period, 'from' | 'to'>,
  ports: { connect(source: SourceConfig): Promise<NatsConnection>; deadline?: RunDeadline | undefined },
): Promise<StreamSize[]> {
  const sizes: StreamSize[] = [];
  for (const source of config.sources) {
    const nc = await connectWithin(source, (s) => ports.connect(s), { deadline: ports.deadline });
    try {
      const jsm = await openJetStream(nc);
      const js = jetstream(nc);
      const prefix = `${config.report.consumerPrefix}_size_${nuid.next()}`;
      for (const ref of source.streams) {
        const info = await natsStep(nc, `reading stream info of ${ref.stream} (sizing)`, () =>
          jsm.streams.info(ref.stream),
        );
        const state = info.state;
        const lastTs = state.last_ts && state.last_ts !== ZERO_TIME ? parseInstant(state.last_ts) : null;
        let messages = 0;
        if (state.messages > 0 && lastTs !== null && lastTs >= period.from) {
          const first = await natsStep(nc, `finding the first message of ${ref.stream} in the period (sizing)`, () =>
            firstSequenceAtOrAfter(js, ref.stream, `${prefix}-from`, period.from),
          );
          // Only deleted messages at or after `from`: the server answers with an earlier one; the period has none.
          if (first !== null && first.ts >= period.from) {
            const after = await natsStep(nc, `finding the first message of ${ref.stream} after the period`, () =>
              firstSequenceAtOrAfter(js, ref.stream, `${prefix}-to`, period.to),
            );
            const end = after !== null && after.ts >= period.to ? after.seq : state.last_seq + 1;
            messages = Math.max(0, end - first.seq);
          }
        }
        const bytes =
          state.messages > 0 ? Math.round((state.bytes * Math.min(messages, state.messages)) / state.messages) : 0;
        sizes.push({ source: source.name, stream: ref.stream, messages, bytes });
      }
    } finally {
      await nc.close().catch(() => undefined);
    }
  }
  return sizes;
}
