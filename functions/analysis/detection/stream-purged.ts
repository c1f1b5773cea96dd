import type { Detection } from '../../incidents/model.js';
import type { ReportV1 } from '../report-model.js';
import { plural, targetStream } from './common.js';
import { removals } from './removals.js';

export const STREAM_PURGED = 'stream-purged';

/** A stream purged, whole or by subject or sequence: many records removed at once. */
export function streamPurged(report: ReportV1): Detection[] {
  return removals(report, {
    rule: STREAM_PURGED,
    severity: 'high',
    operation: 'stream.purge',
    subjectOf: (c) => targetStream(c.target),
    headline: (stream, changes) => `stream ${stream} purged${changes.length > 1 ? ` ${plural(changes.length, 'time')}` : ''}`,
  });
}
