/**
 * What a daily run reads for the reports-reviewed control: the earlier daily bundles of the archive (their manifests'
 * SHA-256) and the attestations that name them, recorded in report.json `inputs.reviews` as read.
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
  return { deadlineDays, lookbackDays, recordError, bundles };
}
