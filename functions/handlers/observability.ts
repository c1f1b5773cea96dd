import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { ReportV1 } from '../analysis/report-model.js';
import type { Environment } from './lambda-config.js';

/** CloudWatch namespace of every metric the handlers publish; the stack's alarms name it. */
export const METRICS_NAMESPACE = 'NatsSoxReports';
export const DEFAULT_SERVICE_NAME = 'nats-sox-reports';

/** Metric names (the stack's alarms and dashboards use these; the only dimension is `service`). */
export const METRIC = {
  /** Messages read from the streams for the report (sum over streams). */
  eventsReplayed: 'EventsReplayed',
  /** Controls whose status is `fail`. */
  controlsFailed: 'ControlsFailed',
  /** Incidents whose evidence lies in the report's period (detected by this run or an earlier one of it). */
  incidentsOpened: 'IncidentsOpened',
  /** Wall time of the invocation, from its start to its result or failure. */
  durationSeconds: 'DurationSeconds',
  /** 1 when this run archived a new bundle; 0 when the bundle existed already or the run failed. */
  bundlesArchived: 'BundlesArchived',
} as const;

export interface Observability {
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
}

/** Logger, metrics and tracer of one container; the service name comes from `POWERTOOLS_SERVICE_NAME`. */
export function createObservability(env: Environment): Observability {
  const serviceName = env.POWERTOOLS_SERVICE_NAME || DEFAULT_SERVICE_NAME;
  return {
    logger: new Logger({ serviceName }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName }),
    tracer: new Tracer({ serviceName }),
  };
}

export function recordReport(metrics: Metrics, report: ReportV1 | undefined, archived: boolean, seconds: number): void {
  // A run that found its bundle archived read nothing: zero events, and its findings were counted when it was made.
  const events = report ? report.streams.reduce((sum, s) => sum + s.messages, 0) : 0;
  const failed = report ? report.controls.filter((c) => c.status === 'fail').length : 0;
  const opened = report ? report.incidents.filter((i) => i.openedInPeriod).length : 0;
  metrics.addMetric(METRIC.eventsReplayed, MetricUnit.Count, events);
  metrics.addMetric(METRIC.controlsFailed, MetricUnit.Count, failed);
  metrics.addMetric(METRIC.incidentsOpened, MetricUnit.Count, opened);
  metrics.addMetric(METRIC.bundlesArchived, MetricUnit.Count, archived ? 1 : 0);
  metrics.addMetric(METRIC.durationSeconds, MetricUnit.Seconds, seconds);
}

/** A failed run still says "no bundle" and how long it tried, so the deadline alarm sees data, not silence. */
export function recordFailure(metrics: Metrics, seconds: number): void {
  metrics.addMetric(METRIC.bundlesArchived, MetricUnit.Count, 0);
  metrics.addMetric(METRIC.durationSeconds, MetricUnit.Seconds, seconds);
}
