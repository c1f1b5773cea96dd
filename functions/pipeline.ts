import { buildReport } from './analysis/finalize.js';
import type { ReportV1, StreamCompleteness } from './analysis/report-model.js';
import type { ArchivePort } from './archive/port.js';
import { bundlePath, type Period } from './config/period.js';
import type { Config } from './config/schema.js';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Nanos } from './time/nanos.js';
import type { SourceConfig } from './config/schema.js';
import { replayAndAggregate } from './replay-aggregate.js';

export interface Ports {
  archive: ArchivePort;
  /** Opens the NATS connection of a source; the pipeline closes it. */
  connect(source: SourceConfig): Promise<NatsConnection>;
  now(): Nanos;
  log(message: string): void;
}

export interface RunResult {
  /** Where the bundle lives in the archive. */
  reportDir: string;
  reportJson: string;
  /** True when the period was already archived: nothing was read or written. */
  existed: boolean;
  report?: ReportV1;
}

/** The one flow: period + ports -> archived bundle. Everything that decides is in the pure stages it calls. */
export async function runReport(config: Config, period: Period, ports: Ports): Promise<RunResult> {
  const where = bundlePath(period);
  const reportDir = ports.archive.locate(where);
  const reportJson = ports.archive.locate(`${where}/report.json`);
  if (await ports.archive.exists(where)) {
    ports.log(`bundle for this period already archived at ${reportDir}; it is left as it is`);
    return { reportDir, reportJson, existed: true };
  }

  const { state, streams } = await replayAndAggregate(config, period, ports);

  const report = buildReport(period, streams, state, ports.now(), { topN: config.report.topN });
  await ports.archive.writeBundle(where, [{ name: 'report.json', data: `${JSON.stringify(report, null, 2)}\n` }]);
  return { reportDir, reportJson, existed: false, report };
}
