import type { StreamKind } from '../../config/schema.js';
import type {
  ArchiveLockState,
  IncidentState,
  PreviousBundleState,
  PreviousReport,
  RecordedNotifications,
  ReportReviews,
  ReportV1,
  StreamPlanSummary,
} from '../report-model.js';

/**
 * Everything the control catalogue reads, gathered by the pipeline before it evaluates (pure from here on).
 * A null input means it could not be gathered in this run; the control that needs it says so and warns.
 */
export interface ControlInputs {
  /** The report of the period, before its controls are filled in. */
  report: Omit<ReportV1, 'controls'>;
  /** The configured streams, with whether a silent day is normal for them. */
  streams: { source: string; stream: string; kind: StreamKind; quiet: boolean }[];
  /** The report of the period just before (the day before for a daily report), when archived. */
  previous: PreviousReport | null;
  /** Each configured stream compared with its tamper-resistant spec (provision's plan, without changing anything). */
  streamPlans: StreamPlanSummary[] | null;
  /** The previous daily bundle as the chain sees it. */
  previousBundle: PreviousBundleState;
  /** Object Lock of what this archive holds: none on a local archive. */
  archiveLock: ArchiveLockState;
  /** Remote mirrors of the audit streams, when the configuration names any. */
  mirrors: { stream: string; mirror: string; lastSeq: number | null; lag: number | null }[] | null;
  /** The incident record's current state. */
  incidents: IncidentState[] | null;
  /** An incident must be resolved within this many days. */
  incidentDeadlineDays: number;
  /** The earlier daily bundles' sign-offs, judged; absent in ad-hoc reports and those written before sign-offs. */
  reviews?: ReportReviews | null;
  /** The incident notifications not yet delivered; absent in reports written before integrations existed. */
  notifications?: RecordedNotifications;
}
