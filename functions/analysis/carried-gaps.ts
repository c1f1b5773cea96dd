import type { ReportV1, StreamCompleteness } from './report-model.js';

/**
 * A run of messages deleted at the end of a stream is reported by the period that holds the stream's last stored
 * time; when a later message arrives, the next period's replay sees the same run before it. This drops from a
 * period what the previous report already listed past its last message, so a deleted message is counted once.
 */
export function withoutCarriedGaps(
  streams: StreamCompleteness[],
  previous: Pick<ReportV1, 'streams'> | null,
): StreamCompleteness[] {
  if (!previous) return streams;
  return streams.map((s) => {
    const before = previous.streams.find((p) => p.source === s.source && p.stream === s.stream);
    const reportedThrough = before ? trailingEnd(before) : null;
    if (reportedThrough === null) return s;
    const gaps: [number, number][] = [];
    for (const [from, to] of s.gaps) {
      if (to <= reportedThrough) continue;
      gaps.push([Math.max(from, reportedThrough + 1), to]);
    }
    if (gaps.length === s.gaps.length && gaps.every(([a], i) => a === s.gaps[i]![0])) return s;
    return { ...s, gaps, missing: gaps.reduce((n, [a, b]) => n + b - a + 1, 0) };
  });
}

/** The last sequence a report accounted for: its last message, or the end of a gap it listed after it. */
export function accountedThrough(s: StreamCompleteness): number | null {
  return trailingEnd(s) ?? s.lastSeq;
}

function trailingEnd(s: StreamCompleteness): number | null {
  // A period with no surviving message can still have listed the run deleted within it.
  const after = s.gaps.filter(([from]) => s.lastSeq === null || from > s.lastSeq).map(([, to]) => to);
  return after.length ? Math.max(...after) : null;
}
