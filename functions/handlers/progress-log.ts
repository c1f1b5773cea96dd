/**
 * The replay's progress on Lambda: a structured log line (Powertools) at most every 30 seconds while a stream is
 * read, and one as each stream ends, so a long run shows in CloudWatch how far it is and how long it has left.
 */
import { progressTracker, type RunView } from '../progress/progress-model.js';
import type { StreamProgress } from '../progress/stream-progress.js';

/** Often enough to see a 15-minute function move, rarely enough to cost nothing in CloudWatch. */
export const PROGRESS_LOG_EVERY_MS = 30_000;

/** Where the lines go; a Powertools Logger is one. */
export interface ProgressLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
}

export const PROGRESS_LOG_MESSAGE = 'replay progress';

/**
 * The progress port of a Lambda run. `now` is in milliseconds; the first periodic line comes `everyMs` after the
 * port was made.
 */
export function progressLog(
  logger: ProgressLogger,
  now: () => number,
  everyMs = PROGRESS_LOG_EVERY_MS,
): (update: StreamProgress) => void {
  const tracker = progressTracker(now);
  let loggedAt = now();
  return (update) => {
    const view = tracker.record(update);
    const at = now();
    if (!update.done && at - loggedAt < everyMs) return;
    loggedAt = at;
    logger.info(PROGRESS_LOG_MESSAGE, progressFields(view));
  };
}

/** The line's fields: every stream started so far, and the run's rate and time left, in whole numbers. */
export function progressFields(view: RunView): Record<string, unknown> {
  return {
    streams: view.streams.map(({ source, stream, read, total, done, rate, etaSeconds }) => ({
      source,
      stream,
      read,
      total,
      done,
      rate: whole(rate),
      etaSeconds,
    })),
    read: view.read,
    rate: whole(view.rate),
    etaSeconds: view.etaSeconds,
  };
}

function whole(rate: number | null): number | null {
  return rate === null ? null : Math.round(rate);
}
