import { addMessage, emptyAggregate, DEFAULT_LIMITS, type AggregateState } from './analysis/aggregate.js';
import type { StreamCompleteness } from './analysis/report-model.js';
import type { Period } from './config/period.js';
import type { Config } from './config/schema.js';
import type { RawMessage } from './events/types.js';
import type { Ports } from './pipeline.js';
import type { StreamPlanSummary } from './analysis/controls/inputs.js';
import { errorMessage } from './errors.js';
import { provisionSource } from './source/provision.js';
import { replayStream } from './source/replay.js';

/** Replays every configured stream for the period into one aggregate, with each stream's completeness. */
export async function replayAndAggregate(
  config: Config,
  period: Period,
  ports: Pick<Ports, 'connect' | 'log'>,
  onMessage?: (raw: RawMessage) => void,
): Promise<{ state: AggregateState; streams: StreamCompleteness[]; streamPlans: StreamPlanSummary[] | null }> {
  const state = emptyAggregate({ ...DEFAULT_LIMITS, maxListed: config.report.maxListed });
  const parseOptions = { ownConsumerPrefix: `${config.report.consumerPrefix}_` };
  const streams: StreamCompleteness[] = [];
  let streamPlans: StreamPlanSummary[] | null = [];
  for (const source of config.sources) {
    const nc = await ports.connect(source);
    try {
      for (const ref of source.streams) {
        const completeness = await replayStream(
          nc,
          source.name,
          ref,
          period,
          (raw) => {
            onMessage?.(raw);
            addMessage(state, raw, parseOptions);
          },
          { consumerPrefix: config.report.consumerPrefix },
        );
        ports.log(`${source.name}/${ref.stream}: ${completeness.messages} messages, ${completeness.missing} missing`);
        streams.push(completeness);
      }
      // The capture streams as they are now, against their tamper-resistant spec; nothing is changed (dry run).
      try {
        const plans = await provisionSource(config, source, nc, true);
        streamPlans?.push(
          ...plans.map(({ plan }, i) => ({
            source: source.name,
            stream: plan.spec.name,
            kind: source.streams[i]!.kind,
            action: plan.action,
            findings: plan.action === 'drift' ? plan.findings : [],
          })),
        );
      } catch (err) {
        ports.log(`${source.name}: the capture streams could not be inspected (${errorMessage(err)})`);
        streamPlans = null;
      }
    } finally {
      await nc.close().catch(() => undefined);
    }
  }

  return { state, streams, streamPlans };
}
