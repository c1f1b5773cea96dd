/**
 * The first stage of a run: read the period from NATS into the evidence file and the aggregate, then turn them
 * into report.json with the pure stages (analysis/analyse.ts), gathering on the way what the controls read
 * besides the events (the previous report, stream settings, mirrors, the archive lock, the incident record).
 */
import { analyseEvents, completeReport } from '../analysis/analyse.js';
import { reportParameters } from '../analysis/parameters.js';
import { withConfiguredAccounts } from '../analysis/account-names.js';
import { resolveConfiguredAccounts } from '../source/account-directory.js';
import type { RecordedInputs, ReportV1 } from '../analysis/report-model.js';
import { EVIDENCE_FILE } from '../archive/layout.js';
import type { ByteDigest, StagedFile } from '../archive/port.js';
import type { Period } from '../config/period.js';
import type { Config } from '../config/schema.js';
import { recordIncidents } from '../incidents/run-incidents.js';
import { gatherReviews } from '../attest/in-report.js';
import type { PreviousManifest } from '../seal/manifest.js';
import { producerOf, type Producer } from '../seal/producer.js';
import { formatInstant, millisFromNanos } from '../time/nanos.js';
import type { PeriodReading, Ports } from './contracts.js';
import { gatherAccess } from './gather-access.js';
import { archiveLockState, previousDaily } from './previous-daily.js';
import { replayAndAggregate } from './replay-aggregate.js';
import type { Replayed } from './replay-aggregate.js';
import { mergeReadSlices, replaySliced } from './replay-sliced.js';

export interface AnalysedPeriod {
  report: ReportV1;
  /** The staged evidence file, closed, with its size and SHA-256. */
  evidence: { file: StagedFile; digest: ByteDigest };
  producer: Producer;
  /** The manifest the bundle links to, as read for the controls (undefined: not read). */
  chainLink: PreviousManifest | null | undefined;
}

export async function analysePeriod(
  configured: Config,
  period: Period,
  ports: Ports,
  bundle: string,
  retainUntil: Date,
  /** Time slices each stream is read in, in parallel (replay-sliced.ts), or slices read elsewhere, merged. */
  { slices, readSlices }: PeriodReading = { slices: 1 },
): Promise<AnalysedPeriod> {
  // Operator mode: accounts configured by name become the keys the server uses, before anything is read.
  const resolved = await resolveConfiguredAccounts(configured, (s) => ports.connect(s), ports.deadline);
  const config = resolved.config;
  const parameters = reportParameters(config);
  const file = await ports.archive.stageFile(bundle, EVIDENCE_FILE, { retainUntil });
  let replayed: Replayed;
  let digest: ByteDigest;
  const header = {
    bundle,
    period: {
      from: formatInstant(period.from),
      to: formatInstant(period.to),
      timezone: period.timezone,
      kind: period.kind,
      ...(period.date ? { date: period.date } : {}),
    },
  };
  try {
    const replayOptions = { evidence: { header, sink: file }, onProgress: ports.progress };
    replayed = readSlices
      ? await mergeReadSlices(config, readSlices, ports, replayOptions)
      : slices > 1
        ? await replaySliced(config, period, ports, slices, replayOptions)
        : await replayAndAggregate(config, period, ports, replayOptions);
    digest = await file.close();
  } catch (err) {
    await file.discard();
    throw err;
  }
  try {
    const access = await gatherAccess(config, ports);
    const { previous, previousBundle, link } = await previousDaily(ports.archive, period);
    const { report, detections } = analyseEvents({
      period,
      streams: replayed.streams,
      state: replayed.state,
      generatedAt: ports.now(),
      parameters,
      previous,
      streamPlans: replayed.streamPlans,
      accountNames: replayed.accountNames,
      access,
    });
    const now = new Date(millisFromNanos(ports.now()));
    const incidents = await recordIncidents(config, ports, detections, period, now);
    const inputs: RecordedInputs = {
      previous,
      previousBundle,
      streamPlans: withConfiguredAccounts(replayed.streamPlans, configured, resolved.accounts),
      archiveLock: await archiveLockState(ports.archive, period, now),
      mirrors: config.mirrors.length
        ? replayed.mirrors.map(({ stream, mirror, lastSeq }) => ({ stream, mirror, lastSeq }))
        : null,
      incidents: incidents.states,
      reviews: await gatherReviews(config, ports, period),
      notifications: incidents.notifications,
      ...(replayed.accountNames ? { accountNames: replayed.accountNames } : {}),
      slices,
      access,
    };
    completeReport(report, detections, inputs, incidents.report, parameters);
    return {
      report,
      evidence: { file, digest },
      producer: producerOf(config, replayed.servers, parameters),
      chainLink: link,
    };
  } catch (err) {
    await file.discard();
    throw err;
  }
}
