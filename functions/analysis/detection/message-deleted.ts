import type { Detection } from '../../incidents/model.js';
import type { ReportV1 } from '../report-model.js';
import { plural, targetStream } from './common.js';
import { removals } from './removals.js';

export const MESSAGE_DELETED = 'message-deleted';

/** Single messages deleted from a stream (JetStream's msg.delete): a record taken out of the history. */
export function messageDeleted(report: ReportV1): Detection[] {
  return removals(report, {
    rule: MESSAGE_DELETED,
    severity: 'high',
    operation: 'msg.delete',
    subjectOf: (c) => targetStream(c.target),
    headline: (stream, changes) => `${plural(changes.length, 'message')} deleted from ${stream}`,
  });
}
