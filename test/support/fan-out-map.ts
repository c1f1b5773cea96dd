import { SLICE_RESULT_KEYS, type SliceResult } from '../../functions/handlers/fan-out-payload.js';

/**
 * What the fan-out's distributed map hands the merge (cdk/fan-out.ts): each slice function's result, in the plan's
 * order, as the ReadSlice step's ResultSelector keeps it.
 */
export function mapResults(returned: readonly unknown[]): SliceResult[] {
  return returned.map((result) => {
    const all = result as Record<string, unknown>;
    return Object.fromEntries(SLICE_RESULT_KEYS.map((key) => [key, all[key]])) as unknown as SliceResult;
  });
}
