/**
 * What the report pipeline calls with a period's detections: each becomes an incident unless it already is one,
 * and each newly opened incident is alerted exactly once.
 */
import { errorMessage } from '../errors.js';
import type { AlertPort } from './alerts.js';
import type { Detection, IncidentState } from './model.js';
import { openIncident, type IncidentLog } from './stream.js';

export interface RecordedDetections {
  opened: IncidentState[];
  /** Ids of incidents the detections matched that were already recorded (re-runs, the same pattern again). */
  alreadyOpen: string[];
  /**
   * Alerts that could not be delivered. The incident is recorded all the same (a re-run will not alert again),
   * so the caller must surface these: the record, not the alert, is the evidence.
   */
  alertFailures: { id: string; error: string }[];
}

export async function recordDetections(
  log: IncidentLog,
  detections: readonly Detection[],
  alerts: AlertPort,
): Promise<RecordedDetections> {
  const result: RecordedDetections = { opened: [], alreadyOpen: [], alertFailures: [] };
  for (const detection of detections) {
    const outcome = await openIncident(log, detection);
    if (!outcome.newly) {
      if (!result.alreadyOpen.includes(outcome.id)) result.alreadyOpen.push(outcome.id);
      continue;
    }
    result.opened.push(outcome.incident);
    try {
      await alerts.incidentOpened(outcome.incident);
    } catch (err) {
      result.alertFailures.push({ id: outcome.id, error: errorMessage(err) });
    }
  }
  return result;
}
