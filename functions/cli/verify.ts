import { readFile } from 'node:fs/promises';
import { openArchive } from '../archive/index.js';
import { checkDay, verifyArchive, type VerifyEntry, type VerifyReport } from '../archive/verify.js';
import { readTrustPem } from '../archive/verify-keys.js';
import { checkArchiveFolder, isS3Location } from '../config/preflight.js';
import { InputError, errorMessage } from '../errors.js';
import { terminalJson } from '../text/visible.js';
import { reportError, shown } from './exit.js';

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
    // Names of files and folders in an archive are anyone's: shown escaped, as every other value a person reads.
    process.stdout.write(opts.json ? `${terminalJson(report, 2)}\n` : shown(formatVerifyReport(report)));
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

/** One line per day or bundle, then the summary and what the result does not prove. */
export function formatVerifyReport(report: VerifyReport): string {
  const lines = report.entries.map(entryLine);
  lines.push(...report.problems.map((p) => `FAIL  ${p}`));
  lines.push(report.summary.text);
  lines.push(...report.notes.map((n) => `note: ${n}`));
  return `${lines.join('\n')}\n`;
}

function entryLine(entry: VerifyEntry): string {
  const label = entry.date ?? entry.bundle;
  if (entry.status === 'ok') return `${label}  OK`;
  return `${label}  ${entry.status === 'missing' ? 'MISSING' : 'FAIL'}  ${entry.problems.join('; ')}`;
}
