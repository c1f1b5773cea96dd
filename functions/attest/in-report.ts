/**
 * What a daily run reads for the reports-reviewed control: the earlier daily bundles of the archive (their manifests'
 * SHA-256) and the attestations that name them, recorded in report.json `inputs.reviews` as read. A rollup reads the
 * same for the daily bundles it rests on (recorded in `rollup.reviews`).
 */
import { dailyBundlePath } from '../archive/layout.js';
import { earlierDays } from '../analysis/reviews.js';
import type { RecordedReviews } from '../analysis/report-model.js';
import type { Period } from '../config/period.js';
import type { Config } from '../config/schema.js';
import { InputError, NatsUnavailableError, errorMessage } from '../errors.js';
import type { Ports } from '../pipeline/contracts.js';
import { connectWithin } from '../source/nats-steps.js';
import { archivedManifest } from './attest.js';
import { readAttestations, reviewSource } from './stream.js';

export async function gatherReviews(
  config: Config,
  ports: Pick<Ports, 'archive' | 'connect' | 'deadline' | 'log'>,
  period: Period,
): Promise<RecordedReviews | null> {
  if (period.kind !== 'daily' || !period.date) return null;
  const { deadlineDays, lookbackDays } = config.review;
  const bundles: RecordedReviews['bundles'] = [];
  const unreadable: string[] = [];
  for (const date of earlierDays(period.date, lookbackDays)) {
    const bundle = dailyBundlePath(date);
    // A bundle that is not archived is not listed (the chain's control names a missing day); one that is there but
    // cannot be read is said, never taken for absent.
    const manifest = await archivedManifest(ports.archive, bundle).catch((err: unknown) => {
      if (!(err instanceof InputError)) unreadable.push(`${bundle}/manifest.json: ${errorMessage(err)}`);
      return null;
    });
    if (manifest) bundles.push({ bundle, date, manifestSha256: manifest.sha256, attestations: [] });
  }
  if (unreadable.length) {
    const recordError = `the archive could not be read (${unreadable.join('; ')})`;
    ports.log(`sign-offs: ${recordError}`);
    return { deadlineDays, lookbackDays, recordError, bundles };
  }
  if (bundles.length === 0) return { deadlineDays, lookbackDays, recordError: null, bundles };
  return { deadlineDays, lookbackDays, recordError: await readSignOffs(config, ports, bundles), bundles };
}

/**
 * The sign-offs of the daily bundles a rollup rests on (each day whose manifest it read), judged on `asOf`, the day
 * the rollup was produced. A missing day is not listed: rollup-coverage names it.
 */
export async function gatherRollupReviews(
  config: Config,
  ports: Pick<Ports, 'connect' | 'deadline' | 'log'>,
  days: { date: string; bundle: string; manifestSha256: string | null }[],
  asOf: string,
): Promise<RecordedReviews> {
  const { deadlineDays, lookbackDays } = config.review;
  const bundles: RecordedReviews['bundles'] = days
    .filter((d): d is typeof d & { manifestSha256: string } => d.manifestSha256 !== null)
    .map((d) => ({ bundle: d.bundle, date: d.date, manifestSha256: d.manifestSha256, attestations: [] }));
  // A rollup's figures need no NATS: when it cannot be reached, the sign-offs are said to be unjudged (a warning).
  const recordError =
    bundles.length === 0
      ? null
      : await readSignOffs(config, ports, bundles).catch((err: unknown) => {
          ports.log(`sign-offs: ${errorMessage(err)}`);
          return `the attestation record could not be read (${errorMessage(err)})`;
        });
  return { deadlineDays, lookbackDays, asOf, recordError, bundles };
}

/** Adds to each bundle the attestations that name it; why the record could not be read, or null. */
async function readSignOffs(
  config: Config,
  ports: Pick<Ports, 'connect' | 'deadline' | 'log'>,
  bundles: RecordedReviews['bundles'],
): Promise<string | null> {
  let recordError: string | null = null;
  const source = reviewSource(config);
  try {
    const nc = await connectWithin(source, (s) => ports.connect(s), {
      deadline: ports.deadline,
      purpose: 'to read the attestations',
    });
    try {
      const record = await readAttestations(nc, config);
      if (record === null) ports.log(`attestation stream ${config.review.stream} does not exist: nothing is attested`);
      for (const anomaly of record?.anomalies ?? []) ports.log(`attestation record: ${anomaly.problem}`);
      for (const { attestation: a } of record?.attestations ?? []) {
        const reviewed = bundles.find((b) => b.bundle === a.bundle);
        reviewed?.attestations.push({
          by: a.by,
          decision: a.decision,
          note: a.note,
          at: a.at,
          manifestSha256: a.manifestSha256,
          identity: a.identity,
        });
      }
    } finally {
      await nc.close().catch(() => undefined);
    }
  } catch (err) {
    if (err instanceof NatsUnavailableError) throw err;
    recordError = `the attestation record could not be read (${errorMessage(err)})`;
    ports.log(`attestation record of source "${source.name}" could not be read: ${recordError}`);
  }
  return recordError;
}
