import type { ControlStatus } from '../report-model.js';

export interface Verdict {
  status: ControlStatus;
  detail: string;
}

export { plural } from '../wording.js';

export function ranges(gaps: [number, number][]): string {
  const shown = gaps.slice(0, 10).map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`));
  return shown.join(', ') + (gaps.length > 10 ? ` and ${gaps.length - 10} more ranges` : '');
}
