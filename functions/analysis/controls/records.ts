import { isAuditKind } from '../../config/schema.js';
import { accountedThrough } from '../carried-gaps.js';
import type { ControlInputs } from './inputs.js';
import type { Verdict } from './verdict.js';
import { plural, ranges } from './verdict.js';

/**
 * No sequence of an audit stream is missing in the period, and the period starts where the previous report ended:
 * messages removed between two reports (a purge the night before) show up as a broken continuation.
 */
export function auditCompleteness({ report, previous }: ControlInputs): Verdict {
  const audit = report.streams.filter((s) => isAuditKind(s.kind));
  if (audit.length === 0) return { status: 'not-applicable', detail: 'no audit stream is configured' };
  const problems: string[] = [];
  const notes: string[] = [];
  let continued = 0;
  for (const s of audit) {
    if (s.gaps.length) problems.push(`${s.stream}: ${plural(s.missing, 'message')} missing (seq ${ranges(s.gaps)})`);
    const before = previous?.streams.find((p) => p.source === s.source && p.stream === s.stream);
    const start = Math.min(s.firstSeq ?? Infinity, ...s.gaps.map(([from]) => from));
    const through = before ? accountedThrough(before) : null;
    if (through !== null && Number.isFinite(start)) {
      const expected = through + 1;
      continued += 1;
      if (start > expected)
        problems.push(
          `${s.stream}: seq ${expected}-${start - 1} were removed ` +
            `between the previous report (ended at ${through}) and this one`,
        );
      if (start < expected)
        notes.push(
          `${s.stream}: starts at seq ${start}, before the previous report's last (${through}): the periods overlap`,
        );
    }
  }
  if (problems.length)
    return { status: 'fail', detail: `messages were removed from the audit record: ${problems.join('; ')}` };
  const read = audit.map(
    (s) =>
      `${s.stream} ${plural(s.messages, 'message')}${s.firstSeq !== null ? ` (seq ${s.firstSeq}-${s.lastSeq})` : ''}`,
  );
  if (notes.length)
    return { status: 'warn', detail: `no sequence is missing, but ${notes.join('; ')}. ${read.join('; ')}` };
  const continuation = continued
    ? ', and ' +
      `${continued === audit.length ? 'each stream' : `${plural(continued, 'stream')} of ${audit.length}`} ` +
      'continues where the previous report ended'
    : '';
  return { status: 'pass', detail: `no sequence is missing${continuation}. ${read.join('; ')}` };
}

/** Financial records complete: a gap in a transactions stream fails and names the sequences. */
export function financialRecordsComplete({ report }: ControlInputs): Verdict {
  const tx = report.streams.filter((s) => s.kind === 'transactions');
  if (tx.length === 0) return { status: 'not-applicable', detail: 'no transactions stream is configured' };
  const broken = tx.filter((s) => s.gaps.length > 0);
  if (broken.length) {
    return {
      status: 'fail',
      detail:
        'financial records were deleted: ' +
        broken.map((s) => `${s.stream}: ${plural(s.missing, 'record')} missing (seq ${ranges(s.gaps)})`).join('; '),
    };
  }
  return {
    status: 'pass',
    detail: `every record is there: ${tx.map((s) => `${s.stream} ${plural(s.messages, 'record')}`).join('; ')}`,
  };
}

/** A capture stream that recorded nothing all period is broken capture, unless it is configured as quiet. */
export function eventsFlowing({ report, streams }: ControlInputs): Verdict {
  const silent = report.streams.filter((s) => s.messages === 0 && s.gaps.length === 0);
  const unexpected = silent.filter((s) => !streams.find((c) => c.source === s.source && c.stream === s.stream)?.quiet);
  if (unexpected.length) {
    return {
      status: 'fail',
      detail:
        `no event at all in the period on ${unexpected.map((s) => s.stream).join(', ')} ` +
        '(mark a stream "quiet" if silence is normal for it)',
    };
  }
  if (silent.length)
    return {
      status: 'pass',
      detail: `events were recorded; ${silent.map((s) => s.stream).join(', ')} stayed silent, as configured (quiet)`,
    };
  return {
    status: 'pass',
    detail: `every stream recorded events: ${report.streams.map((s) => `${s.stream} ${s.messages}`).join(', ')}`,
  };
}
