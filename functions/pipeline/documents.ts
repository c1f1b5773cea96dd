/**
 * What a bundle's documents rest on: the report and its evidence file, from this run's replay (a rollup's from its
 * daily bundles, pipeline/run-rollup.ts) or, when an interrupted run got as far as its report.json, as that run
 * stored them (seal/bundle-place.ts vouched for them).
 */
import type { ReportV1 } from '../analysis/report-model.js';
import { EVIDENCE_FILE, REPORT_JSON } from '../archive/layout.js';
import type { BundleFile } from '../archive/port.js';
import type { Period } from '../config/period.js';
import type { Config } from '../config/schema.js';
import { RunError } from '../errors.js';
import type { StoredObjects } from '../seal/bundle-place.js';
import type { ArtifactDigest, PreviousManifest } from '../seal/manifest.js';
import type { Producer } from '../seal/producer.js';
import { analysePeriod } from './analyse-period.js';
import type { PeriodReading, Ports } from './contracts.js';

/** What the bundle's documents rest on: the report, its evidence file, and what produced them. */
export interface Documents {
  report: ReportV1;
  reportJson: Uint8Array;
  /** The evidence file; null for a rollup, which rests on its daily bundles' evidence. */
  evidence: (BundleFile & ArtifactDigest) | null;
  producer: Producer;
  chainLink: PreviousManifest | null | undefined;
  /** Drops the staged evidence when the bundle is not archived after all. */
  discard(): Promise<void>;
}

/** report.json as archived: indented, with a final newline. */
export function reportJsonBytes(report: ReportV1): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(report, null, 2)}\n`);
}

export async function documentsOfThisRun(
  config: Config,
  period: Period,
  ports: Ports,
  where: string,
  retainUntil: Date,
  stored: StoredObjects | null,
  reading: PeriodReading = { slices: 1 },
): Promise<Documents> {
  const analysed = await analysePeriod(config, period, ports, where, retainUntil, reading);
  const { file, digest } = analysed.evidence;
  let evidence: Documents['evidence'] = { name: EVIDENCE_FILE, staged: file, path: EVIDENCE_FILE, ...digest };
  // An interrupted run that got as far as its evidence left it locked: this run's must be the same bytes.
  const earlier = stored?.files.get(EVIDENCE_FILE);
  if (earlier) {
    await file.discard();
    if (earlier.sha256 !== digest.sha256) {
      throw new RunError(
        `${ports.archive.locate(`${where}/${EVIDENCE_FILE}`)} was archived by an interrupted run ` +
          `(SHA-256 ${earlier.sha256}), but this run read other messages for the period ` +
          `(SHA-256 ${digest.sha256}): the streams changed since. Nothing was signed. ` +
          'The bundle cannot be completed at this path: investigate the capture streams, ' +
          'and archive the period elsewhere.',
      );
    }
    evidence = {
      name: EVIDENCE_FILE,
      stored: { bytes: earlier.bytes, sha256: earlier.sha256 },
      path: EVIDENCE_FILE,
      bytes: earlier.bytes,
      sha256: earlier.sha256,
    };
  }
  return {
    report: analysed.report,
    reportJson: reportJsonBytes(analysed.report),
    evidence,
    producer: analysed.producer,
    chainLink: analysed.chainLink,
    discard: () => (earlier ? Promise.resolve() : file.discard()),
  };
}

/**
 * An interrupted run got as far as its report.json: its documents are sealed as they are, with what produced them.
 * They rest on the evidence file the intent vouching for report.json names (a rollup's names none: it rests on its
 * daily bundles' evidence); written before report.json, that file must be stored too.
 */
export function documentsOfInterruptedRun(stored: StoredObjects): Documents {
  const json = stored.files.get(REPORT_JSON)!;
  const vouching = stored.intents.find((i) =>
    i.artifacts.some((a) => a.path === REPORT_JSON && a.sha256 === json.sha256),
  );
  if (!vouching) throw new RunError("the interrupted run's report.json is named by no intent: it cannot be completed");
  const restsOn = vouching.artifacts.some((a) => a.path === EVIDENCE_FILE);
  const evidence = stored.files.get(EVIDENCE_FILE);
  if (restsOn && !evidence)
    throw new RunError(
      `the interrupted run's report.json has no evidence file beside it: the bundle cannot be completed`,
    );
  return {
    report: JSON.parse(new TextDecoder().decode(json.data!)) as ReportV1,
    reportJson: json.data!,
    evidence:
      restsOn && evidence
        ? {
            name: EVIDENCE_FILE,
            stored: { bytes: evidence.bytes, sha256: evidence.sha256 },
            path: EVIDENCE_FILE,
            bytes: evidence.bytes,
            sha256: evidence.sha256,
          }
        : null,
    producer: vouching.producer as Producer,
    chainLink: undefined,
    discard: () => Promise.resolve(),
  };
}
