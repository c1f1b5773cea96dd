import type { Detection } from '../../incidents/model.js';
import type { ReportV1 } from '../report-model.js';
import { unparseableOfKind } from './unparseable.js';

export const FORGED_EVENT = 'forged-event';

/**
 * Events whose payload contradicts where the server stored them (a connect event for account APP that names
 * account AUDIT): the server never writes those, so someone published into the audit record.
 */
export function forgedEvent(report: ReportV1): Detection[] {
  return unparseableOfKind(report, FORGED_EVENT, 'forged', 'critical', 'forged');
}
