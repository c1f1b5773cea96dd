import type { ControlInputs } from '../analysis/controls/inputs.js';
import type { RecordedNotifications, ReportIncident } from '../analysis/report-model.js';
import type { Period } from '../config/period.js';
import type { Config } from '../config/schema.js';
import { errorMessage, NatsUnavailableError, RunError } from '../errors.js';
import type { Ports } from '../pipeline/contracts.js';
import { connectWithin, natsStep, recordDone } from '../source/nats-steps.js';
import { natsAlerts, type AlertPort } from './alerts.js';
import { incidentsForReport } from './in-report.js';
import { ageDays, type Detection } from './model.js';
import { undeliveredNotices } from './notifications.js';
import { pullJiraResolutionsSafely } from './jira-sync.js';
import { syncNotificationsSafely } from './notify.js';
import { pullPagerdutyResolutionsSafely } from './pagerduty-sync.js';
import { recordDetections } from './record.js';
import { describeIncidentStreamPlan, ensureIncidentStream, incidentLog, readIncidents } from './stream.js';
import type { NatsConnection } from '@nats-io/transport-node';

export interface IncidentOutcome {
  /** What report.json shows. */
  report: ReportIncident[];
  /** What the controls read; null when the record could not be read (they say so). */
  states: ControlInputs['incidents'];
  /** The notifications still undelivered after this run sent what was due. */
  notifications: RecordedNotifications;
}

/**
 * Records the period's detections in the incident stream of the first (audit) source, alerts each newly opened
 * incident once, and reads the record back. Detections are recorded before anything is sealed: a record that cannot
 * be reached fails the run (nothing is archived, and the next run records them), so no report ever says "no
 * incident" because the record was out of reach.
 */
export async function recordIncidents(
  config: Config,
  ports: Pick<Ports, 'connect' | 'log' | 'alerts' | 'deadline' | 'integrationSecrets'>,
  detections: Detection[],
  period: Period,
  now: Date,
): Promise<IncidentOutcome> {
  const source = config.sources[0]!;
  const unrecorded = (doing: string, err: unknown) => {
    const n = detections.length;
    const consequence = `${n} detections are not recorded, so nothing was archived: the next run records them`;
    // One that gave up waiting for NATS already says where, what and how long.
    return err instanceof NatsUnavailableError
      ? new NatsUnavailableError(`${err.message}; ${consequence}`, { cause: err })
      : new RunError(
          `incident record of source "${source.name}": ${doing} failed (${errorMessage(err)}); ${consequence}`,
          { cause: err },
        );
  };
  let nc: NatsConnection;
  try {
    nc = await connectWithin(source, (s) => ports.connect(s), {
      deadline: ports.deadline,
      purpose: 'to record the incidents',
    });
  } catch (err) {
    throw unrecorded('connecting', err);
  }
  let doing = 'opening the record';
  try {
    const log = await incidentLog(nc, { consumerPrefix: config.report.consumerPrefix });
    const ensured = await natsStep(nc, 'checking the incident record', () => ensureIncidentStream(log.jsm));
    if (ensured.created || ensured.plan.action !== 'ok')
      ports.log(`incident record: ${describeIncidentStreamPlan(ensured)}`);
    const alerts = combined([
      ...(config.incidents.alertSubject ? [natsAlerts(nc, config.incidents.alertSubject)] : []),
      ...(ports.alerts ? [ports.alerts] : []),
    ]);
    doing = 'recording the detections';
    const recorded = await recordDetections(log, detections, alerts);
    ports.log(`incidents: ${recorded.opened.length} opened, ${recorded.alreadyOpen.length} already recorded`);
    for (const failure of recorded.alertFailures) ports.log(`ALERT NOT DELIVERED for ${failure.id}: ${failure.error}`);
    recordDone(nc, `recorded the incidents (${recorded.opened.length} opened)`);
    const { integrations } = config.incidents;
    // An issue done in Jira is an incident resolved there: recorded before the notifications, so every tool hears.
    const secrets = {
      env: process.env,
      ...(ports.integrationSecrets ? { secrets: ports.integrationSecrets } : {}),
    };
    const pulled = await pullJiraResolutionsSafely(log, integrations, { ...secrets, now, log: ports.log });
    if (pulled) ports.log(`incidents: ${pulled} resolved in Jira`);
    const paged = await pullPagerdutyResolutionsSafely(log, integrations, { env: process.env, now, log: ports.log });
    if (paged) ports.log(`incidents: ${paged} resolved in PagerDuty`);
    // An integration that is down never fails the report: what is undelivered is shown, and retried next run.
    const sent = await syncNotificationsSafely(log, integrations, { ...secrets, now, log: ports.log });
    if (sent && (sent.queued || sent.delivered || sent.failed))
      ports.log(`notifications: ${sent.queued} queued, ${sent.delivered} delivered, ${sent.failed} failed`);
    doing = 'reading the record back';
    const derived = await natsStep(nc, 'reading the incident record back', () => readIncidents(log));
    if (derived === null) throw new Error('the INCIDENTS stream is not there (run "sox-report provision")');
    for (const anomaly of derived.anomalies)
      ports.log(`incident record anomaly at seq ${anomaly.seq}: ${anomaly.detail}`);
    return {
      report: incidentsForReport(derived, period, now, integrations),
      states: [...derived.incidents.values()].map((s) => ({
        id: s.id,
        rule: s.rule,
        status: s.status,
        ageDays: ageDays(s, now),
      })),
      notifications: {
        integrations: integrations.map((i) => i.name),
        recordError: null,
        undelivered: undeliveredNotices(
          derived.notices,
          integrations.map((i) => i.name),
          now,
        ),
      },
    };
  } catch (err) {
    throw unrecorded(doing, err);
  } finally {
    await nc.close().catch(() => undefined);
  }
}

/** Every adapter hears every alert; one that fails does not keep the others from it. */
function combined(ports: AlertPort[]): AlertPort {
  return {
    async incidentOpened(incident) {
      const failures: string[] = [];
      for (const port of ports) {
        try {
          await port.incidentOpened(incident);
        } catch (err) {
          failures.push(errorMessage(err));
        }
      }
      if (failures.length) throw new Error(failures.join('; '));
    },
  };
}
