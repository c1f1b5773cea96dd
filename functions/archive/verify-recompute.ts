/**
 * `verify --recompute`: re-performs a bundle's report from its evidence file alone (no NATS). The evidence is
 * parsed, aggregated and analysed by the very code of the run (analysis/analyse.ts) with the parameters the
 * manifest recorded; what does not come from events (the previous report, stream settings, mirrors, the archive
 * lock, the incident record) is taken as report.json recorded it, and cross-checked against the previous bundle
 * when the archive holds it. Every field that differs from the archived report.json is named with both values.
 */
import { analyseEvents, completeReport } from '../analysis/analyse.js';
import { describeDifference, jsonDifferences } from '../analysis/json-diff.js';
import { reportParametersSchema } from '../analysis/parameters.js';
import { carriedOver } from '../analysis/previous-report.js';
import type { PreviousReport, ReportV1 } from '../analysis/report-model.js';
import type { Period } from '../config/period.js';
import { errorMessage } from '../errors.js';
import { replayEvidence } from '../evidence/replay-evidence.js';
import { sha256, type Manifest } from '../seal/manifest.js';
import { firstIssueText } from '../text/zod-issue.js';
import { parseInstant } from '../time/nanos.js';
import { isEvidenceFile, REPORT_JSON } from './layout.js';
import type { ArchivePort } from './port.js';
import type { ReplayedEvidence } from '../evidence/replay-evidence.js';

/** At most this many differing fields are named for one bundle; the count says how many more there are. */
export const MAX_NAMED = 40;

export interface RecomputeResult {
  problems: string[];
  notes: string[];
}

export async function recomputeBundle(
  archive: ArchivePort,
  bundle: string,
  manifest: Manifest,
  reportBytes: Uint8Array | null,
  versionOf: (name: string) => string | undefined = () => undefined,
): Promise<RecomputeResult> {
  const fail = (why: string): RecomputeResult => ({ problems: [`recompute: ${why}`], notes: [] });
  if (manifest.schema !== 'sox-report-manifest/v2')
    return fail('the bundle was sealed before evidence files existed (manifest v1): nothing to re-perform it from');
  const evidence = manifest.artifacts.filter((a) => isEvidenceFile(a.path));
  if (evidence.length !== 1)
    return fail(
      evidence.length === 0
        ? 'the manifest lists no evidence file'
        : `the manifest lists ${evidence.length} evidence files`,
    );
  if (reportBytes === null) return fail('report.json could not be read');
  const parameters = reportParametersSchema.safeParse(manifest.producer.parameters);
  if (!parameters.success)
    return fail(`the manifest's producer.parameters are not usable (${firstIssueText(parameters.error)})`);

  let archived: ReportV1;
  try {
    archived = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(reportBytes)) as ReportV1;
  } catch (err) {
    return fail(`report.json is not JSON (${errorMessage(err)})`);
  }
  if (!archived.inputs) return fail('report.json records no inputs (written before the evidence file existed)');
  const period = periodOf(manifest);
  const generatedAt = parseInstant(archived.generatedAt);
  if (!period || generatedAt === null) return fail('the period or generatedAt is not an instant');

  const path = `${bundle}/${evidence[0]!.path}`;
  let replayed: ReplayedEvidence;
  try {
    const versionId = versionOf(evidence[0]!.path);
    replayed = await replayEvidence(archive.readStream(path, versionId ? { versionId } : {}), parameters.data);
  } catch (err) {
    return fail(`${evidence[0]!.path}: ${errorMessage(err)}`);
  }
  const problems = replayed.problems.map((p) => `recompute: ${p}`);
  const header = replayed.header!;
  if (header.bundle !== bundle)
    problems.push(`recompute: the evidence file belongs to ${header.bundle}, not to ${bundle}`);
  for (const key of ['from', 'to', 'timezone', 'kind'] as const) {
    if (header.period[key] !== manifest.period[key])
      problems.push(
        `recompute: the evidence file's period.${key} is ${header.period[key]}, ` +
          `the manifest says ${manifest.period[key]}`,
      );
  }

  let recomputed: unknown;
  try {
    const { report, detections } = analyseEvents({
      period,
      streams: replayed.streams,
      state: replayed.state,
      generatedAt,
      parameters: parameters.data,
      previous: archived.inputs.previous,
      streamPlans: archived.inputs.streamPlans,
      accountNames: archived.inputs.accountNames ?? null,
      access: archived.inputs.access ?? null,
    });
    completeReport(report, detections, archived.inputs, archived.incidents, parameters.data);
    // Reports archived before sign-offs were recorded have no inputs.reviews: compare them without that control.
    if (archived.inputs.reviews === undefined)
      report.controls = report.controls.filter((c) => c.id !== 'reports-reviewed');
    // Nor have those archived before incident integrations an inputs.notifications, nor that control.
    if (archived.inputs.notifications === undefined)
      report.controls = report.controls.filter((c) => c.id !== 'incident-notifications-delivered');
    // Nor have those archived before access evidence an inputs.access, nor that control.
    if (archived.inputs.access === undefined)
      report.controls = report.controls.filter((c) => c.id !== 'reporting-user-read-only');
    recomputed = JSON.parse(JSON.stringify(report));
  } catch (err) {
    // report.json's recorded inputs are anyone's who could write it: a shape the analysis cannot take is a finding.
    return {
      problems: [...problems, `recompute: the report could not be re-performed (${errorMessage(err)})`],
      notes: [],
    };
  }
  const differences = jsonDifferences(archived, recomputed);
  problems.push(
    ...differences.slice(0, MAX_NAMED).map((d) => `recompute: ${describeDifference(d, 'report', 'evidence')}`),
  );
  if (differences.length > MAX_NAMED)
    problems.push(`recompute: and ${differences.length - MAX_NAMED} more fields differ`);
  problems.push(...(await checkPreviousInputs(archive, archived.inputs.previous)));
  const notes =
    problems.length === 0
      ? [`re-performed from ${evidence[0]!.path}: ${replayed.messages} messages, every figure agrees`]
      : [];
  return { problems, notes };
}

/** The previous report as recorded must be the one archived, when the archive holds it. */
async function checkPreviousInputs(
  archive: ArchivePort,
  previous: { bundle: string; reportSha256: string; report: PreviousReport } | null,
): Promise<string[]> {
  if (!previous) return [];
  let bytes: Uint8Array | null;
  try {
    bytes = await archive.read(`${previous.bundle}/${REPORT_JSON}`, { maxBytes: 256 * 1024 * 1024 });
  } catch (err) {
    return [`recompute: ${previous.bundle}/report.json cannot be read (${errorMessage(err)})`];
  }
  if (bytes === null) return [];
  const actual = sha256(bytes);
  if (actual !== previous.reportSha256) {
    return [
      `recompute: inputs.previous.reportSha256 is ${previous.reportSha256}, ` +
        `but ${previous.bundle}/report.json has ${actual}`,
    ];
  }
  const carried = carriedOver(JSON.parse(new TextDecoder().decode(bytes)) as ReportV1);
  return jsonDifferences(previous.report, JSON.parse(JSON.stringify(carried)))
    .slice(0, MAX_NAMED)
    .map((d) => `recompute: inputs.previous.report.${describeDifference(d, 'recorded', `${previous.bundle}`)}`);
}

function periodOf(manifest: Manifest): Period | null {
  const from = parseInstant(manifest.period.from);
  const to = parseInstant(manifest.period.to);
  if (from === null || to === null) return null;
  return {
    from,
    to,
    timezone: manifest.period.timezone,
    kind: manifest.period.kind,
    ...(manifest.period.date ? { date: manifest.period.date } : {}),
  };
}
