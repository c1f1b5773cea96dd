import type { Detection } from '../../incidents/model.js';
import type { ReportV1 } from '../report-model.js';
import { plural, targetStream } from './common.js';
import { removals } from './removals.js';

export const STREAM_DELETED = 'stream-deleted';

/** A whole stream deleted, with every message it held. */
export function streamDeleted(report: ReportV1): Detection[] {
  return removals(report, {
    rule: STREAM_DELETED,
    severity: 'high',
    operation: 'stream.delete',
    subjectOf: (c) => targetStream(c.target),
    headline: (stream, changes) => `stream ${stream} deleted${changes.length > 1 ? ` ${plural(changes.length, 'time')}` : ''}`,
  });
}
