import { createPublicKey, verify } from 'node:crypto';
import type { ControlInputs } from './analysis/controls/inputs.js';
import type { ReportV1 } from './analysis/report-model.js';
import type { ArchivePort } from './archive/port.js';
import type { Period } from './config/period.js';
import { errorMessage } from './errors.js';
import { dailyBundlePath, dayBefore, findPreviousManifest } from './seal/chain.js';
import { keyPathOf, parseManifest, type PreviousManifest } from './seal/manifest.js';

/**
 * What the archive says about the days before this one: the previous report (for continuity and the baseline)
 * and whether the chain reaches this day intact. Only the day right before counts as "previous": a missing day
 * is the chain control's finding, not a hole in the audit stream.
 */
export async function previousDaily(
  archive: ArchivePort,
  period: Period,
): Promise<PreviousDaily> {
  if (period.kind !== 'daily' || !period.date) {
    return { previous: null, previousBundle: { state: 'not-applicable', detail: 'an ad-hoc report is not part of the daily chain' } };
  }
  const yesterday = dailyBundlePath(dayBefore(period.date));
  let link;
  try {
    link = await findPreviousManifest(archive, period.date);
  } catch (err) {
    return { previous: null, previousBundle: { state: 'invalid', detail: errorMessage(err) } };
  }
  if (link === null) return { previous: null, link, previousBundle: { state: 'first', detail: 'no earlier daily report is archived' } };
  if (link.path !== `${yesterday}/manifest.json`) {
    return {
      previous: null,
      link,
      previousBundle: { state: 'missing', detail: `${yesterday} is not in the archive (the latest earlier daily report is ${link.path.replace(/\/manifest\.json$/, '')})` },
    };
  }
  try {
    const manifest = parseManifest(link.manifest);
    const keyFile = await archive.read(keyPathOf(manifest.signer.publicKeySha256));
    if (keyFile === null) return { previous: null, link, previousBundle: { state: 'invalid', detail: `${yesterday}: the key that signed it is not in the archive` } };
    if (!verify('sha256', link.manifest, createPublicKey(Buffer.from(keyFile).toString('utf8')), link.signature)) {
      return { previous: null, link, previousBundle: { state: 'invalid', detail: `${yesterday}: its manifest signature does not verify (run sox-report verify)` } };
    }
    const json = await archive.read(`${yesterday}/report.json`);
    const previous = json === null ? null : (JSON.parse(new TextDecoder().decode(json)) as ReportV1);
    return { previous, link, previousBundle: { state: 'ok', detail: `${yesterday} is archived and its manifest signature verifies` } };
  } catch (err) {
    return { previous: null, link, previousBundle: { state: 'invalid', detail: `${yesterday}: ${errorMessage(err)}` } };
  }
}

export interface PreviousDaily {
  previous: ReportV1 | null;
  previousBundle: ControlInputs['previousBundle'];
  /** The manifest the new bundle links to, when it could be read (sealing reuses it rather than reading it again). */
  link?: PreviousManifest | null;
}

/** Object Lock of the archive, read off the previous bundle's manifest (this run's objects are checked as written). */
export async function archiveLockState(archive: ArchivePort, period: Period, now: Date): Promise<ControlInputs['archiveLock']> {
  if (!archive.lockState) return { state: 'none', detail: 'a local archive has no Object Lock: read-only files stop mistakes, not someone with write access' };
  const yesterday = period.kind === 'daily' && period.date ? `${dailyBundlePath(dayBefore(period.date))}/manifest.json` : null;
  if (yesterday && (await archive.read(yesterday)) !== null) {
    const lock = await archive.lockState(yesterday);
    const future = lock.retainUntil !== null && lock.retainUntil.getTime() > now.getTime();
    if (lock.mode === 'COMPLIANCE' && future) {
      return { state: 'locked', detail: `${yesterday} is locked in COMPLIANCE mode until ${lock.retainUntil!.toISOString()}` };
    }
    return { state: 'unlocked', detail: `${yesterday} is in ${lock.mode ?? 'no'} lock mode until ${lock.retainUntil?.toISOString() ?? 'no date'}` };
  }
  return { state: 'locked', detail: 'every object of this bundle is written in COMPLIANCE mode and read back before the run succeeds' };
}
