import type { Detection } from '../../incidents/model.js';
import type { ReportV1 } from '../report-model.js';
import { unparseableOfKind } from './unparseable.js';

export const MALFORMED_EVENT = 'malformed-event';

/** Messages that are not what their stream should hold (broken JSON, an unexpected shape or subject). */
export function malformedEvent(report: ReportV1): Detection[] {
  return unparseableOfKind(report, MALFORMED_EVENT, 'malformed', 'medium', 'malformed');
}
