/** A stream's progress as a person reads it on a terminal line (cli/progress-display.ts draws the bar beside it). */
import { visible } from '../text/visible.js';
import type { StreamView } from './progress-model.js';

/** `source/stream`, with any character that would act on the screen shown as an escape. */
export function streamLabel(view: Pick<StreamView, 'source' | 'stream'>): string {
  return `${visible(view.source)}/${visible(view.stream)}`;
}

/** `4000/10000  1250 msg/s  5s left`; `? msg/s` and `? left` while the rate is unknown; `done` at the end. */
export function progressFigures(view: StreamView): string {
  const rate = view.rate === null ? '?' : String(Math.round(view.rate));
  const left = view.done ? 'done' : view.etaSeconds === null ? '? left' : `${duration(view.etaSeconds)} left`;
  return `${view.read}/${view.total}  ${rate} msg/s  ${left}`;
}

/** `45s`, `3m07s`, `2h05m`: two units at most, the larger first. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
