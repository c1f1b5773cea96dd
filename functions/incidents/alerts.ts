/**
 * The alert port: told once about each newly opened incident (record.ts decides "newly", adapters only deliver).
 * NATS and stderr here; SNS behind the same port in sns-alerts.ts.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { natsStep } from '../source/nats-steps.js';
import { visible } from '../text/visible.js';
import type { IncidentState } from './model.js';

export interface AlertPort {
  incidentOpened(incident: IncidentState): Promise<void>;
}

/** What an alert carries: enough to triage, no evidence payloads. */
export type IncidentAlert = { type: 'incident.opened' } & Pick<
  IncidentState,
  'id' | 'rule' | 'severity' | 'subject' | 'summary' | 'day' | 'openedAt'
>;

export function incidentAlert(incident: IncidentState): IncidentAlert {
  const { id, rule, severity, subject, summary, day, openedAt } = incident;
  return { type: 'incident.opened', id, rule, severity, subject, summary, day, openedAt };
}

/**
 * Publishes each alert as JSON on `subject`; waits for the server to have it before returning. Across an outage it
 * is published again, so a subscriber may see an alert twice (at least once), never not at all.
 */
export function natsAlerts(nc: NatsConnection, subject: string): AlertPort {
  return {
    async incidentOpened(incident) {
      await natsStep(nc, `publishing the alert of incident ${incident.id} on ${subject}`, async () => {
        nc.publish(subject, JSON.stringify(incidentAlert(incident)));
        // A plain publish is buffered: flushing makes a lost connection fail here rather than lose the alert.
        await nc.flush();
      });
    },
  };
}

/** For the laptop: one line per alert on stderr. */
export function stderrAlerts(write: (line: string) => void = (line) => process.stderr.write(line)): AlertPort {
  return {
    async incidentOpened(incident) {
      const a = incidentAlert(incident);
      write(
        `ALERT ${a.severity.toUpperCase()} ${a.id}: ${visible(a.summary)} ` +
          `(rule ${visible(a.rule)}, subject ${visible(a.subject)})\n`,
      );
    },
  };
}
