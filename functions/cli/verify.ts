import { readFile } from 'node:fs/promises';
import { openArchive } from '../archive/index.js';
import { checkDay, verifyArchive, type VerifyEntry, type VerifyReport } from '../archive/verify.js';
import { readTrustPem } from '../archive/verify-keys.js';
import { checkArchiveFolder, isS3Location } from '../config/preflight.js';
import { InputError, errorMessage } from '../errors.js';
import { isLayoutBundlePath } from '../archive/layout.js';
import { redactCredentials } from '../text/redact.js';
import { clipped, terminalJson, visible } from '../text/visible.js';
import { reportError } from './exit.js';

export interface VerifyCommandOptions {
  from?: string;
  to?: string;
  /** PEM files (certificate or public key), repeatable. */
  trust?: string[];
  json?: boolean;
  /** Re-perform every report from its evidence file. */
  recompute?: boolean;
}

/** `sox-report verify <archive>`: 0 when every bundle and the chain hold, 1 when anything fails, 2 for bad input. */
export async function verifyCommand(location: string, opts: VerifyCommandOptions): Promise<number> {
  try {
    // Everything the user typed is checked before the archive is touched.
    if (opts.from !== undefined) checkDay(opts.from, 'from');
    if (opts.to !== undefined) checkDay(opts.to, 'to');
    // A folder that is not there is a typo, not an archive without bundles.
    if (!isS3Location(location)) await checkArchiveFolder(location, 'archive', { mustExist: true });
    const pems = await readTrustFiles(opts.trust ?? []);
    const archive = openArchive(location);
    const report = await verifyArchive(archive, {
      ...(opts.from !== undefined ? { from: opts.from } : {}),
      ...(opts.to !== undefined ? { to: opts.to } : {}),
      ...(pems.length > 0 ? { trust: { pems } } : {}),
      recompute: opts.recompute ?? false,
    });
    // Names of files and folders in an archive are anyone's: shown escaped, as every other value a person reads,
    // and as many as anyone made: bounded, with counts.
    process.stdout.write(opts.json ? `${terminalJson(boundedReport(report), 2)}\n` : formatVerifyReport(report));
    return report.ok ? 0 : 1;
  } catch (err) {
    return reportError(err);
  }
}

async function readTrustFiles(files: string[]): Promise<string[]> {
  return Promise.all(
    files.map(async (file) => {
      let pem: string;
      try {
        pem = await readFile(file, 'utf8');
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        throw new InputError({
          field: 'trust',
          problem: `cannot read ${file} (${typeof code === 'string' ? code : errorMessage(err)})`,
        });
      }
      readTrustPem(pem, file); // names the file when it holds no key, before the archive is read
      return pem;
    }),
  );
}

/** How much of a result verify prints: each list names its first items and says how many more there are. */
export const SHOWN_LIMITS = {
  /**
   * Problems named on one bundle's line, and of the archive: more than verify names of one bundle itself (recompute
   * names up to 41 fields), so this cuts only a list an archive made long, never what a bundle's checks say.
   */
  problems: 120,
  /** Entries that are no bundle of the layout (stray files and folders under daily/, adhoc/, rollup/). */
  strayEntries: 50,
  /** Characters of one value (a problem, a folder's name); a path the system can name (4,096) is shown whole. */
  characters: 4096,
} as const;

export type ShownLimits = { [K in keyof typeof SHOWN_LIMITS]: number };

/** An entry as printed: its first problems, and how many more it has. */
export type ShownEntry = VerifyEntry & { moreProblems?: number };

/** The result as printed: bounded lists, with counts of what is left out; `ok` and the summary count everything. */
export interface ShownVerifyReport extends Omit<VerifyReport, 'entries'> {
  entries: ShownEntry[];
  /** The archive's problems left out of `problems`. */
  moreProblems?: number;
  /** Stray entries (no bundle of the layout) left out of `entries`; each failed, as the summary counts. */
  moreEntries?: number;
}

/**
 * Whether an entry is a failure that is no bundle of the layout: files and folders where no bundle belongs, or a
 * folder under adhoc/ or rollup/ whose name is no period. Many of them are counted, not listed.
 */
function isStray(entry: VerifyEntry): boolean {
  return !entry.ok && (entry.kind === 'unexpected' || (entry.kind !== 'daily' && !isLayoutBundlePath(entry.bundle)));
}

/**
 * The result bounded for printing (text and --json alike): every day and every bundle of the layout, the first
 * `strayEntries` stray entries, the first `problems` problems of each entry and of the archive. Nothing is
 * dropped without its count, and `ok` and the summary are the whole result's.
 */
export function boundedReport(report: VerifyReport, limits: ShownLimits = SHOWN_LIMITS): ShownVerifyReport {
  let stray = 0;
  const entries: ShownEntry[] = [];
  for (const entry of report.entries) {
    if (isStray(entry) && ++stray > limits.strayEntries) continue;
    entries.push(
      entry.problems.length > limits.problems
        ? {
            ...entry,
            problems: entry.problems.slice(0, limits.problems),
            moreProblems: entry.problems.length - limits.problems,
          }
        : entry,
    );
  }
  const moreProblems = report.problems.length - limits.problems;
  const moreEntries = stray - limits.strayEntries;
  return {
    ...report,
    entries,
    problems: report.problems.slice(0, limits.problems),
    ...(moreProblems > 0 ? { moreProblems } : {}),
    ...(moreEntries > 0 ? { moreEntries } : {}),
  };
}

/**
 * One line per day or bundle, then the summary and what the result does not prove. Every value in it that came
 * from the archive (names of files and folders, fields of a manifest, messages quoting them) is shown escaped and
 * cut to `characters`: a line break in a name is `\n`, never a line of its own, so each line is one the program
 * means. Lists are bounded as `boundedReport` bounds them.
 */
export function formatVerifyReport(report: VerifyReport, limits: ShownLimits = SHOWN_LIMITS): string {
  const value = (text: string) => visible(clipped(redactCredentials(text), limits.characters));
  const shown = boundedReport(report, limits);
  const lines = shown.entries.map((entry) => entryLine(entry, value));
  if (shown.moreEntries !== undefined) {
    lines.push(
      `… and ${count(shown.moreEntries, 'more entry', 'more entries')} under daily/, adhoc/ or rollup/ where the ` +
        'layout has no bundle, each failing (the summary counts them)',
    );
  }
  lines.push(...shown.problems.map((p) => `FAIL  ${value(p)}`));
  if (shown.moreProblems !== undefined)
    lines.push(`FAIL  … and ${count(shown.moreProblems, 'more problem', 'more problems')} of the archive`);
  lines.push(value(report.summary.text));
  lines.push(...report.notes.map((n) => `note: ${value(n)}`));
  return `${lines.join('\n')}\n`;
}

function entryLine(entry: ShownEntry, value: (text: string) => string): string {
  const label = value(entry.date ?? entry.bundle);
  if (entry.status === 'ok') return `${label}  OK`;
  const problems = entry.problems.map(value);
  if (entry.moreProblems !== undefined) problems.push(`… and ${entry.moreProblems.toLocaleString('en-US')} more`);
  return `${label}  ${entry.status === 'missing' ? 'MISSING' : 'FAIL'}  ${problems.join('; ')}`;
}

function count(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
