/**
 * One day of a rollup read from its daily bundle, for its figures: what `sox-report rollup` merges
 * (pipeline/run-rollup.ts) and what `verify --recompute` re-performs a rollup from (verify-rollup.ts). The manifest,
 * report.json and evidence must be the bytes the manifest lists (and the manifest the one the rollup rests on, when
 * that is known), and the evidence is replayed with the parameters the day was produced with. Never throws: what
 * cannot be read or does not hold is a failed day naming why.
 */
import { createHash } from 'node:crypto';
import type { RollupDayInput } from '../analysis/rollup.js';
import type { ReportV1 } from '../analysis/report-model.js';
import { errorMessage } from '../errors.js';
import { replayEvidence } from '../evidence/replay-evidence.js';
import { parseManifest, sha256 } from '../seal/manifest.js';
import { isEvidenceFile, MANIFEST, REPORT_JSON } from './layout.js';
import type { ArchivePort, VersionOptions } from './port.js';
import { readLimitOf } from './verify-limits.js';

export interface RolledDayOptions {
  /** The SHA-256 of the day's manifest that the rollup rests on: a manifest with other bytes is a failed day. */
  manifestSha256?: string;
  /** The day's manifest as the caller already read (and checked) it: not read a second time. */
  manifestBytes?: Uint8Array;
  /** The version of a file of the bundle that the archive's listing found (S3); the latest when undefined. */
  versionOf?: (name: string) => string | undefined;
}

export async function readRolledDay(
  archive: ArchivePort,
  date: string,
  bundle: string,
  options: RolledDayOptions = {},
): Promise<RollupDayInput> {
  let manifestSha256: string | null = null;
  const failed = (why: string): RollupDayInput => ({ date, bundle, status: 'failed', manifestSha256, problems: [why] });
  const version = (name: string): VersionOptions => {
    const versionId = options.versionOf?.(name);
    return versionId ? { versionId } : {};
  };
  try {
    const manifestBytes =
      options.manifestBytes ??
      (await archive.read(`${bundle}/${MANIFEST}`, { maxBytes: readLimitOf(MANIFEST)!, ...version(MANIFEST) }));
    if (manifestBytes === null) return failed(`${MANIFEST}: not in the archive`);
    manifestSha256 = sha256(manifestBytes);
    if (options.manifestSha256 !== undefined && manifestSha256 !== options.manifestSha256)
      return failed(`${MANIFEST}: SHA-256 is ${manifestSha256}, the rollup rests on ${options.manifestSha256}`);
    const manifest = parseManifest(manifestBytes);
    if (manifest.schema !== 'sox-report-manifest/v2')
      return failed('sealed before evidence files existed (manifest v1): its figures cannot be merged exactly');
    const reportArtifact = manifest.artifacts.find((a) => a.path === REPORT_JSON);
    const evidenceArtifact = manifest.artifacts.find((a) => isEvidenceFile(a.path));
    if (!reportArtifact || !evidenceArtifact) return failed(`${MANIFEST}: lists no report.json or no evidence file`);
    const reportBytes = await archive.read(`${bundle}/${REPORT_JSON}`, {
      maxBytes: readLimitOf(REPORT_JSON)!,
      ...version(REPORT_JSON),
    });
    if (reportBytes === null) return failed(`${REPORT_JSON}: not in the archive`);
    if (sha256(reportBytes) !== reportArtifact.sha256)
      return failed(`${REPORT_JSON}: SHA-256 is ${sha256(reportBytes)}, the manifest says ${reportArtifact.sha256}`);
    const hash = createHash('sha256');
    let bytes = 0;
    async function* hashed(): AsyncIterable<Uint8Array> {
      const path = `${bundle}/${evidenceArtifact!.path}`;
      for await (const chunk of archive.readStream(path, version(evidenceArtifact!.path))) {
        hash.update(chunk);
        bytes += chunk.length;
        yield chunk;
      }
    }
    const replayed = await replayEvidence(hashed(), manifest.producer.parameters);
    const evidenceSha256 = hash.digest('hex');
    if (bytes !== evidenceArtifact.bytes || evidenceSha256 !== evidenceArtifact.sha256) {
      return failed(
        `${evidenceArtifact.path}: ${bytes} bytes with SHA-256 ${evidenceSha256}, ` +
          `the manifest says ${evidenceArtifact.bytes} bytes with SHA-256 ${evidenceArtifact.sha256}`,
      );
    }
    if (replayed.problems.length > 0) return failed(`${evidenceArtifact.path}: ${replayed.problems[0]!}`);
    const report = JSON.parse(new TextDecoder().decode(reportBytes)) as ReportV1;
    return {
      date,
      bundle,
      status: 'verified',
      manifestSha256,
      report,
      state: replayed.state,
      streams: replayed.streams,
    };
  } catch (err) {
    return failed(`cannot be read for the rollup (${errorMessage(err)})`);
  }
}

/**
 * A day that failed verification only because the report it recorded as the day before's is no longer the one
 * archived, when the day before failed verification itself: the edit is that day's, so a rollup counts the day
 * (its own bundle holds). `problems` are the day's as verify named them; `dayBeforeFailed`: the day before's
 * bundle failed in the same verification.
 */
export function countedDespiteDayBefore(problems: readonly string[], dayBeforeFailed: boolean): boolean {
  return dayBeforeFailed && problems.length > 0 && problems.every((p) => p.startsWith('recompute: inputs.previous.'));
}
