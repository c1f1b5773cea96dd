/**
 * How much of each file `verify` holds in memory. The archive is evidence that someone else may have written, so a
 * file's size is checked against its cap before it is read: a 40 GB "manifest" is a named failure, not an
 * out-of-memory. What verify needs only the hash of, and has no cap for here (the evidence `.jsonl.gz`, any other
 * document a manifest lists), is hashed as it streams and never held whole.
 */
import { MANIFEST, MANIFEST_SIG, REPORT_HTML, REPORT_JSON, REPORT_PDF } from './layout.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** Files read whole, by name in the bundle: the manifest is parsed, report.json and the PDF are checked inside. */
export const READ_LIMITS: Readonly<Record<string, number>> = {
  [MANIFEST]: 4 * MiB,
  [MANIFEST_SIG]: 64 * KiB,
  [REPORT_JSON]: 256 * MiB,
  [REPORT_HTML]: 256 * MiB,
  [REPORT_PDF]: 1 * GiB,
};

/** A key file is a public key and one certificate: a few kilobytes. */
export const KEY_FILE_LIMIT = 64 * KiB;

/** At most this many problems are named for one bundle; one more line says how many more there are. */
export const MAX_PROBLEMS_NAMED = 100;

/** The first `max` problems, and a last line counting the rest when there are more. */
export function capProblems(problems: readonly string[], max = MAX_PROBLEMS_NAMED): string[] {
  if (problems.length <= max) return [...problems];
  return [...problems.slice(0, max), `and ${(problems.length - max).toLocaleString('en-US')} more problems`];
}

/** Appends `items` one by one: push(...items) of a list as long as an archive can make overflows the stack. */
export function append<T>(target: T[], items: Iterable<T>): void {
  for (const item of items) target.push(item);
}

/** The cap of a bundle file read whole; null for one that is streamed. */
export function readLimitOf(name: string): number | null {
  return Object.hasOwn(READ_LIMITS, name) ? READ_LIMITS[name]! : null;
}

/** "report.pdf: 1,073,741,825 bytes, more than verify reads of it (1 GiB)". */
export function tooLargeProblem(name: string, bytes: number, limit: number): string {
  return `${name}: ${bytes.toLocaleString('en-US')} bytes, more than verify reads of it (${formatBytes(limit)})`;
}

export function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', GiB],
    ['MiB', MiB],
    ['KiB', KiB],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes.toLocaleString('en-US')} bytes`;
}

/**
 * What verify may hold at once across the bundles it checks side by side: the caps bound one file, this bounds
 * the sum, so eight bundles with a PDF just under its cap each are checked one or two at a time, not together.
 */
export const MEMORY_BUDGET = 1536 * MiB;

/**
 * Runs work that holds `bytes` once that many are free (at most `capacity`, so one larger job still runs, alone),
 * first come first served so a large job is not passed over forever by small ones.
 */
export function byteBudget(capacity: number): <T>(bytes: number, work: () => Promise<T>) => Promise<T> {
  let free = capacity;
  const waiting: { bytes: number; start: () => void }[] = [];
  const wake = () => {
    while (waiting.length > 0 && waiting[0]!.bytes <= free) {
      const next = waiting.shift()!;
      free -= next.bytes;
      next.start();
    }
  };
  return async (bytes, work) => {
    const held = Math.min(Math.max(0, bytes), capacity);
    if (waiting.length > 0 || held > free) await new Promise<void>((start) => waiting.push({ bytes: held, start }));
    else free -= held;
    try {
      return await work();
    } finally {
      free += held;
      wake();
    }
  };
}
