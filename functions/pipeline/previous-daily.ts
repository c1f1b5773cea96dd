import { createPublicKey } from 'node:crypto';
import type { ControlInputs } from '../analysis/controls/inputs.js';
import { carriedOver } from '../analysis/previous-report.js';
import type { RecordedInputs, ReportV1 } from '../analysis/report-model.js';
import { dailyBundlePath, dayBefore, keyPathOfManifest, MANIFEST, REPORT_JSON } from '../archive/layout.js';
import type { ArchivePort } from '../archive/port.js';
import type { Period } from '../config/period.js';
import { errorMessage } from '../errors.js';
import { findPreviousManifest } from '../seal/chain.js';
import { parseManifest, sha256, type PreviousManifest } from '../seal/manifest.js';
import { verifies } from '../seal/signature.js';

/**
 * What the archive says about the days before this one: the previous report (for continuity and the baseline)
 * and whether the chain reaches this day intact. Only the day right before counts as "previous": a missing day
 * is the chain control's finding, not a hole in the audit stream.
 */
export async function previousDaily(archive: ArchivePort, period: Period): Promise<PreviousDaily> {
  if (period.kind !== 'daily' || !period.date) {
    return {
      previous: null,
      previousBundle: { state: 'not-applicable', detail: 'an ad-hoc report is not part of the daily chain' },
    };
  }
  const yesterday = dailyBundlePath(dayBefore(period.date));
  let link: PreviousManifest | null;
  try {
    link = await findPreviousManifest(archive, period.date);
  } catch (err) {
    return { previous: null, previousBundle: { state: 'invalid', detail: errorMessage(err) } };
  }
  if (link === null)
    return { previous: null, link, previousBundle: { state: 'first', detail: 'no earlier daily report is archived' } };
  if (link.path !== `${yesterday}/${MANIFEST}`) {
    return {
      previous: null,
      link,
      previousBundle: {
        state: 'missing',
        detail:
          `${yesterday} is not in the archive (the latest earlier daily report is ` +
          `${link.path.slice(0, -`/${MANIFEST}`.length)})`,
      },
    };
  }
  try {
    const manifest = parseManifest(link.manifest);
    const keyFile = await archive.read(keyPathOfManifest(manifest), { maxBytes: 64 * 1024 });
    if (keyFile === null)
      return {
        previous: null,
        link,
        previousBundle: { state: 'invalid', detail: `${yesterday}: the key that signed it is not in the archive` },
      };
    // An unreadable key file is its own finding (thrown, named below), not a signature that does not verify.
    const key = createPublicKey(Buffer.from(keyFile).toString('utf8'));
    if (!verifies(link.manifest, key, link.signature)) {
      return {
        previous: null,
        link,
        previousBundle: {
          state: 'invalid',
          detail: `${yesterday}: its manifest signature does not verify (run sox-report verify)`,
        },
      };
    }
    // The signature covers the manifest; the report is only as good as its SHA-256 against it. Nothing (baseline,
    // carried gaps, last sequences) is taken from a report.json that is not the one the manifest sealed.
    const listed = manifest.artifacts.find((a) => a.path === REPORT_JSON);
    const json = await archive.read(`${yesterday}/${REPORT_JSON}`, { maxBytes: 256 * 1024 * 1024 });
    if (!listed || json === null) {
      return {
        previous: null,
        link,
        previousBundle: {
          state: 'invalid',
          detail: `${yesterday}/report.json: ${json === null ? 'missing' : 'not listed in its manifest'}`,
        },
      };
    }
    const actual = sha256(json);
    if (actual !== listed.sha256) {
      return {
        previous: null,
        link,
        previousBundle: {
          state: 'invalid',
          detail:
            `${yesterday}/report.json: SHA-256 is ${actual}, but its signed manifest says ${listed.sha256}: ` +
            'the file was changed after it was sealed, so nothing was taken from it',
        },
      };
    }
    const report = JSON.parse(new TextDecoder().decode(json)) as ReportV1;
    return {
      previous: { bundle: yesterday, reportSha256: actual, report: carriedOver(report) },
      link,
      previousBundle: {
        state: 'ok',
        detail:
          `${yesterday} is archived, its manifest signature verifies and its report.json is the one the ` +
          'manifest sealed',
      },
    };
  } catch (err) {
    return { previous: null, link, previousBundle: { state: 'invalid', detail: `${yesterday}: ${errorMessage(err)}` } };
  }
}

export interface PreviousDaily {
  previous: RecordedInputs['previous'];
  previousBundle: ControlInputs['previousBundle'];
  /** The manifest the new bundle links to, when it could be read (sealing reuses it rather than reading it again). */
  link?: PreviousManifest | null;
}

/** Object Lock of the archive, read off the previous bundle's manifest (this run's objects are checked as written). */
export async function archiveLockState(
  archive: ArchivePort,
  period: Period,
  now: Date,
): Promise<ControlInputs['archiveLock']> {
  if (!archive.lockState)
    return {
      state: 'none',
      detail: 'a local archive has no Object Lock: read-only files stop mistakes, not someone with write access',
    };
  const yesterday =
    period.kind === 'daily' && period.date ? `${dailyBundlePath(dayBefore(period.date))}/${MANIFEST}` : null;
  if (yesterday && (await archive.read(yesterday, { maxBytes: 4 * 1024 * 1024 })) !== null) {
    const lock = await archive.lockState(yesterday);
    const future = lock.retainUntil !== null && lock.retainUntil.getTime() > now.getTime();
    if (lock.mode === 'COMPLIANCE' && future) {
      return {
        state: 'locked',
        detail: `${yesterday} is locked in COMPLIANCE mode until ${lock.retainUntil!.toISOString()}`,
      };
    }
    return {
      state: 'unlocked',
      detail: `${yesterday} is in ${lock.mode ?? 'no'} lock mode until ${lock.retainUntil?.toISOString() ?? 'no date'}`,
    };
  }
  return {
    state: 'locked',
    detail: 'every object of this bundle is written in COMPLIANCE mode and read back before the run succeeds',
  };
}
