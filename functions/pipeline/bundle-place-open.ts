/**
 * What every run that seals a bundle does first, before anything is read (a daily or ad-hoc report, a rollup): where
 * the bundle goes, until when it is locked, what crashed runs of that place left, the signing key's file (a renewed
 * certificate is a file of its own), and what is already in the bundle's place.
 */
import { bundlePath, keyPathOf, MANIFEST, REPORT_HTML, REPORT_JSON, REPORT_PDF } from '../archive/layout.js';
import type { ArchivePort } from '../archive/port.js';
import type { Period } from '../config/period.js';
import type { Config } from '../config/schema.js';
import { errorMessage, RunError } from '../errors.js';
import { inspectBundlePlace, type BundlePlace } from '../seal/bundle-place.js';
import { certificateSha256, keyFile } from '../seal/manifest.js';
import type { Ports, RunResult } from './contracts.js';
import { millisFromNanos } from '../time/nanos.js';

export interface OpenedPlace {
  where: string;
  located: Pick<RunResult, 'reportDir' | 'reportJson' | 'reportPdf' | 'reportHtml' | 'manifest'>;
  retainUntil: Date;
  place: BundlePlace;
}

/** `noun` says what a failure left unarchived ("bundle", "rollup"). */
export async function openBundlePlace(
  config: Config,
  period: Period,
  ports: Pick<Ports, 'archive' | 'signer' | 'log'>,
  noun: string,
): Promise<OpenedPlace> {
  const where = bundlePath(period);
  const at = (name: string) => ports.archive.locate(`${where}/${name}`);
  const located = {
    reportDir: ports.archive.locate(where),
    reportJson: at(REPORT_JSON),
    reportPdf: at(REPORT_PDF),
    reportHtml: at(REPORT_HTML),
    manifest: at(MANIFEST),
  };
  const retainUntil = retainUntilOf(period, config.retentionYears);
  await clearLeftovers(ports.archive, where, ports.log);
  try {
    await ports.archive.writeOnce(
      keyPathOf(ports.signer.publicKeySha256, certificateSha256(ports.signer.certificatePem)),
      keyFile(ports.signer),
      { retainUntil },
    );
  } catch (err) {
    throw new RunError(`${errorMessage(err)}; nothing of this ${noun} was archived`, { cause: err });
  }
  const place = await inspectBundlePlace(ports.archive, where, ports.signer);
  return { where, located, retainUntil, place };
}

/** Says what was removed, fixed or kept: an operator who finds a leftover gone learns here where it went. */
async function clearLeftovers(archive: ArchivePort, where: string, log: (line: string) => void): Promise<void> {
  const { removed, fixed, kept } = await archive.clearLeftovers(where);
  for (const line of removed) log(`removed what a crashed run left: ${line}`);
  for (const line of fixed) log(`sealed bundle given its read-only modes: ${line}`);
  for (const line of kept) log(`leftover: ${line}`);
}

/** The lock outlives the period by the configured years (seven by default). */
export function retainUntilOf(period: Period, years: number): Date {
  const end = new Date(millisFromNanos(period.to));
  end.setUTCFullYear(end.getUTCFullYear() + years);
  return end;
}
