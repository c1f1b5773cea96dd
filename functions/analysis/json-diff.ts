/**
 * Where two JSON values differ, field by field, as a person reads it: `authFailures.total: report 11, evidence 6`.
 * Pure; used by `verify --recompute` to name every figure that the evidence does not bear out.
 */
export interface Difference {
  /** `connections.byUser[0].connects`; `(top)` for the values themselves. */
  path: string;
  left: unknown;
  right: unknown;
}

export function jsonDifferences(left: unknown, right: unknown, path = ''): Difference[] {
  if (Object.is(left, right)) return [];
  if (Array.isArray(left) && Array.isArray(right)) {
    const out: Difference[] = [];
    for (let i = 0; i < Math.max(left.length, right.length); i++) {
      const at = `${path}[${i}]`;
      if (i >= left.length || i >= right.length) out.push({ path: at, left: left[i], right: right[i] });
      else out.push(...jsonDifferences(left[i], right[i], at));
    }
    return out;
  }
  if (isObject(left) && isObject(right)) {
    const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])];
    return keys.flatMap((key) => jsonDifferences(left[key], right[key], path ? `${path}.${key}` : key));
  }
  return [{ path: path || '(top)', left, right }];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `path: <leftName> <left>, <rightName> <right>`, each value as JSON, long ones cut. */
export function describeDifference(d: Difference, leftName: string, rightName: string): string {
  return `${d.path}: ${leftName} ${shown(d.left)}, ${rightName} ${shown(d.right)}`;
}

function shown(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}
