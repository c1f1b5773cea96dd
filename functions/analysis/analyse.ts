/**
 * The pure stages that turn a period's events into report.json, shared by the run (pipeline/analyse-period.ts) and by
 * `verify --recompute`, which feeds them the bundle's evidence file and the inputs report.json recorded: the same
 * code with the same data gives the same figures, so an auditor can re-perform every one of them.
 */
import type { Period } from '../config/period.js';
import type { Detection } from '../incidents/model.js';
import type { Nanos } from '../time/nanos.js';
import type { AggregateState } from './aggregate-state.js';
import { accountedThrough, withoutCarriedGaps } from './carried-gaps.js';
import { evaluateControls } from './controls/catalogue.js';
import type { ControlInputs } from './controls/inputs.js';
import { detectionContext } from './detection/context.js';
import { detect } from './detection/detect.js';
import { buildReport } from './finalize.js';
import { applyAccountNames } from './account-names.js';
import { judgeReviews } from './reviews.js';
import type { ReportParameters } from './parameters.js';
import { deriveAccess } from '../access/derive.js';
import type { RecordedAccess } from '../access/model.js';
import { READ_ONLY_PUBLISH } from '../access/permissions.js';
import { usersSeen } from './users-seen.js';
import type {
  AccountName,
  RecordedInputs,
  ReportIncident,
  ReportV1,
  StreamCompleteness,
  StreamPlanSummary,
} from './report-model.js';

export interface EventFacts {
  period: Period;
  /** Each stream's sequences as the replay found them. */
  streams: StreamCompleteness[];
  state: AggregateState;
  generatedAt: Nanos;
  parameters: ReportParameters;
  previous: RecordedInputs['previous'];
  streamPlans: StreamPlanSummary[] | null;
  /** Operator mode: the accounts' JWT names as the run read them (inputs.accountNames). */
  accountNames?: AccountName[] | null;
  /** The servers' answers about access and configuration (inputs.access); absent or null: no access section. */
  access?: RecordedAccess | null;
}

/** The report's figures and the detections they raise: everything that comes from the period's events. */
export function analyseEvents(facts: EventFacts): { report: ReportV1; detections: Detection[] } {
  const previous = facts.previous?.report ?? null;
  const streams = withoutCarriedGaps(facts.streams, previous);
  const report = buildReport(
    facts.period,
    streams,
    facts.state,
    facts.generatedAt,
    { topN: facts.parameters.report.topN },
    previous,
  );
  // Before the detections, so that their summaries (and the incidents and alerts made of them) show the names.
  applyAccountNames(report, facts.accountNames);
  if (facts.access)
    report.access = deriveAccess({
      recorded: facts.access,
      users: usersSeen(facts.state),
      readOnly: facts.parameters.access?.readOnlyPublish ?? [...READ_ONLY_PUBLISH],
      previous: previous?.access ?? null,
      // Reports written before access rules 2 record none: recompute derives them as they were derived.
      rules: facts.parameters.access?.rules ?? 1,
    });
  const drift = (facts.streamPlans ?? [])
    .filter((p) => p.action === 'drift')
    .map((p) => ({ stream: p.stream, findings: p.findings }));
  if (facts.streamPlans)
    report.streamSettings = facts.streamPlans.map((p) => ({
      source: p.source,
      stream: p.stream,
      findings: p.findings,
    }));
  const detections = detect(report, detectionContext(facts.parameters, previous, drift));
  return { report, detections };
}

/**
 * The report as it is sealed: its incidents, detections, the controls over everything, and the inputs the
 * controls read besides the events, recorded so that `verify --recompute` evaluates them the same way.
 */
export function completeReport(
  report: ReportV1,
  detections: Detection[],
  inputs: RecordedInputs,
  incidents: ReportIncident[],
  parameters: ReportParameters,
): ReportV1 {
  report.incidents = incidents;
  // Reports written before sign-offs were recorded have no inputs.reviews, and get no reviews section.
  const reviews = inputs.reviews && report.period.date ? judgeReviews(inputs.reviews, report.period.date) : null;
  if (reviews) report.reviews = reviews;
  const controlInputs: ControlInputs = {
    report,
    streams: parameters.streams.map(({ source, stream, kind, quiet }) => ({ source, stream, kind, quiet })),
    previous: inputs.previous?.report ?? null,
    streamPlans: inputs.streamPlans,
    previousBundle: inputs.previousBundle,
    archiveLock: inputs.archiveLock,
    mirrors: inputs.mirrors?.length ? inputs.mirrors.map((m) => ({ ...m, lag: mirrorLag(m, report.streams) })) : null,
    incidents: inputs.incidents,
    incidentDeadlineDays: parameters.incidents.deadlineDays,
    reviews,
    ...(inputs.notifications ? { notifications: inputs.notifications } : {}),
  };
  // Reports written before integrations existed have no inputs.notifications, and get no notifications section.
  if (inputs.notifications) report.notifications = inputs.notifications;
  report.controls = evaluateControls(controlInputs);
  report.detections = detections.map((d) => ({
    ...d,
    evidence: d.evidence.map(({ stream, seq }) => ({ stream, seq })),
  }));
  report.inputs = inputs;
  return report;
}

/**
 * A mirror is in sync when it holds everything up to the period's last message (later traffic may still be in flight).
 */
function mirrorLag(mirror: { stream: string; lastSeq: number | null }, streams: StreamCompleteness[]): number | null {
  if (mirror.lastSeq === null) return null;
  const through = Math.max(
    0,
    ...streams.filter((s) => s.stream === mirror.stream).map((s) => accountedThrough(s) ?? 0),
  );
  return Math.max(0, through - mirror.lastSeq);
}
