import { parseInstant, type Nanos } from '../../time/nanos.js';
import type { AuthFailureEvent } from '../report-model.js';

export interface FailureWindow {
  /** The failed logins inside the window, in time order. */
  failures: AuthFailureEvent[];
  first: AuthFailureEvent;
  last: AuthFailureEvent;
}

/**
 * The window of at most `windowMinutes` holding the most failures (the earliest such window on a tie).
 * "Within W minutes" is inclusive: failures exactly W minutes apart are in one window.
 */
export function densestWindow(failures: AuthFailureEvent[], windowMinutes: number): FailureWindow | null {
  const timed = failures
    .map((f) => ({ f, ns: parseInstant(f.time) }))
    .filter((x): x is { f: AuthFailureEvent; ns: Nanos } => x.ns !== null)
    .sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0));
  if (timed.length === 0) return null;
  // Fractional minutes are allowed in the configuration: compare in nanoseconds.
  const width = BigInt(Math.round(windowMinutes * 60_000)) * 1_000_000n;
  let best = { from: 0, to: 0 };
  let start = 0;
  for (let end = 0; end < timed.length; end++) {
    while (timed[end]!.ns - timed[start]!.ns > width) start++;
    if (end - start > best.to - best.from) best = { from: start, to: end };
  }
  const inside = timed.slice(best.from, best.to + 1).map((x) => x.f);
  return { failures: inside, first: inside[0]!, last: inside[inside.length - 1]! };
}
