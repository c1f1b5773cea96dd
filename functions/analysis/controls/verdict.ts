import type { ControlStatus } from '../report-model.js';

export interface Verdict {
  status: ControlStatus;
  detail: string;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function ranges(gaps: [number, number][]): string {
  const shown = gaps.slice(0, 10).map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`));
  return shown.join(', ') + (gaps.length > 10 ? ` and ${gaps.length - 10} more ranges` : '');
}
