import type { Context } from 'aws-lambda';
import type { Config } from '../config/schema.js';
import type { Period } from '../config/period.js';
import { RunError, errorMessage } from '../errors.js';
import { redactCredentials } from '../text/redact.js';
import type { Ports, RunOptions, RunResult } from '../pipeline/contracts.js';
import { formatInstant } from '../time/nanos.js';
import { sharedAwsClients, type AwsClients } from './aws-clients.js';
import { awsPorts } from './aws-ports.js';
import type { Environment } from './lambda-config.js';
import { createObservability, recordFailure, recordReport, type Observability } from './observability.js';

/** What a handler needs from its container; tests build their own. */
export interface HandlerDeps {
  env: Environment;
  /** Called only once the payload's shape is known good: a malformed payload never reaches AWS. */
  clients(): AwsClients;
  observability: Observability;
  /** Milliseconds since the epoch. */
  now(): number;
}

export type Trigger =
  | 'scheduled'
  | 'on-demand'
  | 'scheduled-rollup'
  | 'on-demand-rollup'
  | 'fan-out-plan'
  | 'fan-out-slice'
  | 'fan-out-merge';

export interface PeriodSummary {
  from: string;
  to: string;
  timezone: string;
  kind: Period['kind'];
  /** The calendar day of a daily period; null for an ad-hoc one. */
  date: string | null;
  /** The first and last day of a rollup (absent for other periods). */
  days?: { first: string; last: string };
}

/** A produced (or already archived) report: where it is (RunResult's paths), and whether this run sent its email. */
export type ReportProduced = { ok: true; period: PeriodSummary } & Omit<RunResult, 'report' | 'email'> & {
    /**
     * The SES message id when this run sent the email; null when a receipt says it went already, or none is configured.
     */
    email: string | null;
  };

/** One invocation in progress: how long it has run, and the period once it is known (for its failure message). */
export interface Invocation {
  trigger: Trigger;
  seconds(): number;
  /** What Lambda still gives it before the timeout, in milliseconds. */
  remainingMs(): number;
  periodLabel: string | null;
}

/** The dependencies of a real container: Powertools from the environment, AWS clients made once and traced. */
export function lambdaDeps(): HandlerDeps {
  const observability = createObservability(process.env);
  return { env: process.env, clients: () => sharedAwsClients(observability.tracer), observability, now: Date.now };
}

/**
 * Runs one invocation with its run id on every log line, its own trace subsegment, and its metrics flushed
 * whatever happens. A failure is counted, logged and thrown again as a RunError naming the trigger, the period
 * and the cause's message (which says what failed, never a secret), for Lambda's retries and its on-failure
 * destination.
 */
export async function instrumented<T>(
  deps: HandlerDeps,
  context: Context,
  trigger: Trigger,
  work: (run: Invocation) => Promise<T>,
): Promise<T> {
  const { logger, metrics, tracer } = deps.observability;
  const started = performance.now();
  const run: Invocation = {
    trigger,
    seconds: () => (performance.now() - started) / 1000,
    remainingMs: () => context.getRemainingTimeInMillis(),
    periodLabel: null,
  };
  logger.addContext(context);
  logger.appendPersistentKeys({ runId: context.awsRequestId });
  const parent = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
  const segment = parent?.addNewSubsegment(`## ${trigger}`);
  if (segment) {
    tracer.setSegment(segment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
  }
  try {
    return await work(run);
  } catch (err) {
    recordFailure(metrics, run.seconds());
    // The message goes to the log and back to the caller: a server URL in it keeps no password.
    const failure = new RunError(
      redactCredentials(
        `${trigger} report${run.periodLabel ? ` for ${run.periodLabel}` : ''} failed: ${errorMessage(err)}`,
      ),
      { cause: err },
    );
    logger.error(failure.message, { errorName: err instanceof Error ? err.name : typeof err });
    if (segment) tracer.addErrorAsMetadata(failure);
    throw failure;
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    if (segment && parent) {
      segment.close();
      tracer.setSegment(parent);
    }
    // A warm container's next invocation is another run, maybe of another period.
    logger.removePersistentKeys(['runId', 'period']);
  }
}

/** What produces a period's bundle: a report replayed from NATS, or a rollup of the sealed daily bundles. */
export type Produce = (config: Config, period: Period, ports: Ports, options: RunOptions) => Promise<RunResult>;

/**
 * The one thing every report handler does once it knows the period: build the AWS ports, run it (`produce`: a
 * report's runner or a rollup's, passed in so that a handler that runs neither loads neither), count it. A rollup
 * (`recordsIncidents` false) records no incident, so it is given no alert topic and reads
 * no integration secret: its role may do neither.
 */
export async function reportPeriod(
  deps: HandlerDeps,
  run: Invocation,
  config: Config,
  period: Period,
  produce: Produce,
  options: Pick<RunOptions, 'recipients' | 'slices' | 'readSlices'> = {},
  recordsIncidents = true,
): Promise<ReportProduced> {
  const { logger, metrics, tracer } = deps.observability;
  run.periodLabel = periodLabel(period);
  logger.appendPersistentKeys({ period: run.periodLabel });
  if (tracer.isTracingEnabled()) tracer.putAnnotation('period', run.periodLabel);
  const ports = await awsPorts(deps.env, deps.clients(), logger, config, {
    emailTags: { report: period.kind, trigger: run.trigger },
    now: deps.now,
    remainingMs: run.remainingMs,
    recordsIncidents,
  });
  logger.info(
    `${run.trigger} report for [${formatInstant(period.from)}, ${formatInstant(period.to)}) ` +
      `(${period.kind}, ${period.timezone})`,
  );
  const result = await produce(config, period, ports, {
    ...(options.recipients ? { recipients: options.recipients } : {}),
    ...(options.slices ? { slices: options.slices } : {}),
    ...(options.readSlices ? { readSlices: options.readSlices } : {}),
  });
  recordReport(metrics, result.report, !result.existed, run.seconds());
  const produced = producedOf(period, result);
  logger.info(result.existed ? 'bundle was already archived' : 'bundle archived', {
    reportDir: produced.reportDir,
    email: produced.email,
  });
  return produced;
}

/**
 * The calendar day of a daily period, `first_last` of a rollup (its bundle's name), `from/to` (an ISO 8601 interval)
 * otherwise: the `period` of every log line.
 */
export function periodLabel(period: Period): string {
  if (period.kind === 'rollup' && period.days) return `${period.days.first}_${period.days.last}`;
  return period.kind === 'daily' && period.date
    ? period.date
    : `${formatInstant(period.from)}/${formatInstant(period.to)}`;
}

export function periodSummary(period: Period): PeriodSummary {
  return {
    from: formatInstant(period.from),
    to: formatInstant(period.to),
    timezone: period.timezone,
    kind: period.kind,
    date: period.date ?? null,
    ...(period.kind === 'rollup' && period.days ? { days: period.days } : {}),
  };
}

function producedOf(period: Period, result: RunResult): ReportProduced {
  const { reportDir, reportJson, reportPdf, reportHtml, manifest, existed, email } = result;
  return {
    ok: true,
    period: periodSummary(period),
    reportDir,
    reportJson,
    reportPdf,
    reportHtml,
    manifest,
    existed,
    email: email ?? null,
  };
}
