import type { ControlResult, StreamCompleteness } from './report-model.js';

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function ranges(gaps: [number, number][]): string {
  const shown = gaps.slice(0, 10).map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`));
  return shown.join(', ') + (gaps.length > 10 ? ` and ${gaps.length - 10} more ranges` : '');
}

/** Every message each stream stored in the period was read: no sequence is missing. */
export function completenessControl(streams: StreamCompleteness[]): ControlResult {
  const broken = streams.filter((s) => s.gaps.length > 0);
  const title = 'Completeness of every captured stream in the period';
  if (streams.length === 0) {
    return { id: 'completeness', title, status: 'not-applicable', detail: 'no stream is configured' };
  }
  if (broken.length === 0) {
    const read = streams.map((s) => `${s.stream}: ${plural(s.messages, 'message')}${s.firstSeq !== null ? ` (seq ${s.firstSeq}-${s.lastSeq})` : ''}`);
    return { id: 'completeness', title, status: 'pass', detail: `no sequence is missing. ${read.join('; ')}` };
  }
  const detail = broken
    .map((s) => `${s.stream}: ${plural(s.missing, 'message')} missing (seq ${ranges(s.gaps)})`)
    .join('; ');
  return { id: 'completeness', title, status: 'fail', detail: `messages were removed from the record: ${detail}` };
}
