import type { Detection } from '../../incidents/model.js';
import type { ReportV1, StreamCompleteness } from '../report-model.js';
import { detection, plural, shownName } from './common.js';
import type { DetectionContext } from './context.js';

export const GAP = 'gap';

function ranges(gaps: [number, number][]): string {
  const shown = gaps.slice(0, 10).map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`));
  return shown.join(', ') + (gaps.length > 10 ? ` and ${gaps.length - 10} more ranges` : '');
}

/** The missing sequences themselves are the evidence: where the record has a hole. Lazy: a gap can span millions. */
function* missingSeqs(s: StreamCompleteness): Generator<{ stream: string; seq: number }, void, undefined> {
  for (const [from, to] of s.gaps) for (let seq = from; seq <= to; seq++) yield { stream: s.stream, seq };
}

/**
 * Messages missing from a stream inside the period. In an audit stream that should be impossible (deny_delete,
 * deny_purge): critical. In a transactions stream it is a financial record gone: high. The report keeps no time
 * for a missing message, so the detection is dated by the stream's first message in the period.
 */
export function gap(report: ReportV1, context: DetectionContext): Detection[] {
  const audit = new Set(context.auditStreams);
  const isAudit = (s: StreamCompleteness) =>
    audit.has(s.stream) || s.kind === 'system-events' || s.kind === 'advisories';
  return report.streams
    .filter((s) => s.gaps.length > 0)
    .map((s) =>
      detection(report, {
        rule: GAP,
        severity: isAudit(s) ? 'critical' : 'high',
        subject: s.stream,
        summary:
          `${isAudit(s) ? 'audit' : s.kind} stream ${shownName(s.stream)}: ` +
          `${plural(s.missing, 'message')} missing (seq ${ranges(s.gaps)}) of seq ` +
          `${s.firstSeq ?? '?'}-${s.lastSeq ?? '?'}`,
        at: s.firstTime ?? report.period.from,
        evidence: missingSeqs(s),
      }),
    );
}
