import type { Detection } from '../../incidents/model.js';
import type { ReportV1 } from '../report-model.js';
import { plural } from './common.js';
import { removals } from './removals.js';
import { requestedThroughApi } from './requested.js';

export const CONSUMER_DELETED = 'consumer-deleted';

/**
 * A consumer deleted on request: whatever read through it (a downstream ledger, an export) stops. The report's
 * own consumers never appear here (the aggregate counts them as own reads by their name prefix), and neither
 * does the server removing an idle ephemeral consumer, which every reading application leaves behind.
 */
export function consumerDeleted(report: ReportV1): Detection[] {
  return removals(report, {
    rule: CONSUMER_DELETED,
    severity: 'low',
    operation: 'consumer.delete',
    subjectOf: (c) => c.target,
    headline: (consumer, changes) => `consumer ${consumer} deleted${changes.length > 1 ? ` ${plural(changes.length, 'time')}` : ''}`,
    include: requestedThroughApi,
  });
}
