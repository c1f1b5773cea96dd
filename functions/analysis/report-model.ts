import type { AccessSection, RecordedAccess } from '../access/model.js';
import type { PeriodKind } from '../config/period.js';
import type { StreamKind } from '../config/schema.js';
import type { ConfiguredAccount } from '../config/account-refs.js';
import type { JsOperation, UnparseableEvent } from '../events/types.js';
import type { AttestationDecision, AttestationIdentity } from '../attest/model.js';
import type { Detection } from '../incidents/model.js';
import type { UndeliveredNotice } from '../incidents/notifications.js';

/** report.json, schema sox-report/v1 (docs/architecture.md). Instants are RFC 3339 UTC with nanoseconds. */
export interface ReportV1 {
  schema: 'sox-report/v1';
  period: { from: string; to: string; timezone: string; kind: PeriodKind; date?: string };
  generatedAt: string;
  streams: StreamCompleteness[];
  connections: {
    connects: number;
    disconnects: number;
    users: number;
    byUser: {
      account: string;
      /** Operator mode: the account JWT's name (inputs.accountNames), shown beside the key. */
      accountName?: string;
      /** The user as the server names it: in operator (JWT) mode its public key, the identifier to match on. */
      user: string | null;
      /** Operator mode: the user JWT's name, shown beside the key; absent where the events carry none. */
      userName?: string;
      connects: number;
      disconnects: number;
      totalDurationSeconds: number;
      maxDurationSeconds: number;
      clients: string[];
      clientsTruncated: boolean;
      hosts: string[];
      hostsTruncated: boolean;
    }[];
    leafnodes: {
      connects: number;
      disconnects: number;
      remotes: {
        account: string;
        /** Operator mode: the account JWT's name (inputs.accountNames). */
        accountName?: string;
        user: string | null;
        /** Operator mode: the leaf node user JWT's name. */
        userName?: string;
        name: string | null;
        connects: number;
        disconnects: number;
        hosts: string[];
      }[];
    };
  };
  authFailures: {
    total: number;
    /** Operator mode: `user` is the key the presented JWT names, `userName` its name (a claim: the login failed). */
    byUser: { user: string | null; userName?: string; count: number }[];
    byHost: { host: string | null; count: number }[];
  };
  jetstreamChanges: JetStreamChange[];
  jetstreamSummary: {
    changes: number;
    listed: number;
    refused: number;
    byOperation: Partial<Record<JsOperation, number>>;
    /** API calls that only read. */
    reads: number;
    /** The report's own consumers and reads, recognised and left out of the changes. */
    ownReads: number;
    otherAdvisories: { advisory: string; count: number }[];
  };
  transactions: {
    total: number;
    bySubject: { subject: string; count: number }[];
    first: string | null;
    last: string | null;
    /** The period's first records in stored-time order (bounded by report.maxListed; `total` is exact). */
    listed: { time: string; stream: string; seq: number; subject: string }[];
  };
  /**
   * The period's first failed logins in stored-time order (bounded by report.maxListed; authFailures.total is
   * exact), so that brute-force windows can be evaluated. Absent in reports written before detection existed.
   */
  authFailureEvents?: AuthFailureEvent[];
  /** Who has logged in successfully, and from where, carried from report to report (absent in older reports). */
  baseline?: Baseline;
  /** Access and configuration evidence (functions/access/model.ts); absent in reports written before it. */
  access?: AccessSection;
  controls: ControlResult[];
  incidents: ReportIncident[];
  /**
   * Each capture stream's settings found weaker than the tamper-resistant spec when the report ran (empty findings:
   * intact). The next report compares with it, so a weakening raises an incident once, not every day.
   */
  streamSettings?: { source: string; stream: string; findings: string[] }[];
  unparseable: number;
  unparseableEvents: UnparseableEvent[];
  /** What the detection rules found in the period (each becomes an incident, once); absent in older reports. */
  detections?: Detection[];
  /**
   * Everything the report read besides the period's events, as it read it: `verify --recompute` takes these as
   * recorded and re-performs the rest from the evidence file. Absent in reports written before the evidence file.
   */
  inputs?: RecordedInputs;
  /**
   * The sign-offs of the earlier daily bundles (inputs.reviews judged against review.deadlineDays; in a rollup, those
   * of its days, rollup.reviews); absent in ad-hoc reports and in reports written before sign-offs were recorded.
   */
  reviews?: ReportReviews;
  /**
   * The incident notifications not yet delivered to the configured integrations (inputs.notifications as read);
   * absent in reports written before integrations existed.
   */
  notifications?: RecordedNotifications;
  /** A rollup's days and the daily bundles it rests on (period.kind 'rollup' only). */
  rollup?: RollupSection;
}

/** What a rollup rests on: each day of it, its daily bundle, and whether that bundle verified. */
export interface RollupSection {
  /** The first and last day of the rollup (YYYY-MM-DD, both inclusive). */
  first: string;
  last: string;
  verified: number;
  failed: number;
  missing: number;
  days: RollupDay[];
  /**
   * The daily bundles of the rollup (each whose manifest was read) and their attestations as read, judged on `asOf`
   * into `reviews` and the reports-reviewed control; absent in rollups written before sign-offs were shown.
   */
  reviews?: RecordedReviews;
}

export interface RollupDay {
  date: string;
  /** The daily bundle's folder. */
  bundle: string;
  /** verified: signatures, hashes, chain and the report re-performed from its evidence all hold. */
  status: 'verified' | 'failed' | 'missing';
  /** SHA-256 of the daily manifest the rollup rests on; null when the day is missing or its manifest unreadable. */
  manifestSha256: string | null;
  /** Why the day failed verification (bounded), or that it is missing; empty when verified. */
  problems: string[];
  /** The day's figures from its verified report; null unless verified. */
  figures: RollupDayFigures | null;
}

export interface RollupDayFigures {
  messages: number;
  transactions: number;
  connects: number;
  authFailures: number;
  changes: number;
  incidentsOpened: number;
  incidentsResolved: number;
  /** The ids of the controls that failed on the day. */
  failingControls: string[];
}

/** The outbound queue of the incident record as a run found it after sending what was due. */
export interface RecordedNotifications {
  /** The names of the integrations configured for the run. */
  integrations: string[];
  /** Why the queue could not be read; null when it was. */
  recordError: string | null;
  undelivered: UndeliveredNotice[];
}

/** What a report carries over from the report of the period before it. */
export type PreviousReport = Pick<ReportV1, 'streams' | 'baseline' | 'streamSettings' | 'controls' | 'access'>;

export interface RecordedInputs {
  /** The previous daily report, when it was archived and verified (its manifest signature and its SHA-256). */
  previous: { bundle: string; reportSha256: string; report: PreviousReport } | null;
  previousBundle: PreviousBundleState;
  streamPlans: StreamPlanSummary[] | null;
  archiveLock: ArchiveLockState;
  /** Each configured mirror's last sequence when the run read it (null: missing); null when none is configured. */
  mirrors: { stream: string; mirror: string; lastSeq: number | null }[] | null;
  /** The incident record's state after this run's detections were recorded; null when it could not be read. */
  incidents: IncidentState[] | null;
  /** The earlier daily bundles and their attestations as read (daily reports only; absent in older reports). */
  reviews?: RecordedReviews | null;
  /** The outbound queue of incident notifications (absent in older reports). */
  notifications?: RecordedNotifications;
  /** Operator (JWT) mode: the name of each account key, as the server said (absent outside operator mode). */
  accountNames?: AccountName[];
  /** The servers' answers the access section is derived from (absent in older reports; null: not collected). */
  access?: RecordedAccess | null;
  /** Time slices each stream was read in (`run --slices`; 1: one read); absent in older reports. */
  slices?: number;
}

/** An account public key and its JWT name; where the name could not be read, null and the reason. */
export interface AccountName {
  account: string;
  name: string | null;
  reason: string | null;
}

/** One attestation as a report shows it: who signed off what, when, with which decision. */
export interface ReviewAttestation {
  by: string;
  decision: AttestationDecision;
  note: string | null;
  at: string;
  /** The SHA-256 of the manifest the reviewer attested. */
  manifestSha256: string;
  identity: AttestationIdentity;
}

/** What a daily run read for the reports-reviewed control: the earlier bundles, their manifests and sign-offs. */
export interface RecordedReviews {
  deadlineDays: number;
  lookbackDays: number;
  /** Rollups only: the day (YYYY-MM-DD) the deadline is judged on, the day the rollup was produced. */
  asOf?: string;
  /** Why the archive's manifests or the attestation record could not be read; null when both were. */
  recordError: string | null;
  /** Each earlier daily bundle the archive held within lookbackDays, newest first. */
  bundles: { bundle: string; date: string; manifestSha256: string; attestations: ReviewAttestation[] }[];
}

/** An earlier bundle's sign-off state on the report's day. */
export type ReviewStatus = 'reviewed' | 'not-yet-due' | 'overdue' | 'hash-mismatch';

export interface ReportReviews {
  deadlineDays: number;
  lookbackDays: number;
  /** Rollups only: the day the deadline was judged on (a daily judges on its own day). */
  asOf?: string;
  recordError: string | null;
  bundles: {
    bundle: string;
    date: string;
    /** Whole days from the bundle's day to the report's day. */
    ageDays: number;
    status: ReviewStatus;
    manifestSha256: string;
    attestations: ReviewAttestation[];
  }[];
  /** The bundles nobody has attested (with the archived manifest's hash). */
  notReviewed: string[];
}

/** The previous daily bundle as the chain sees it. */
export interface PreviousBundleState {
  state: 'ok' | 'missing' | 'invalid' | 'first' | 'not-applicable';
  detail: string;
}

/** Object Lock of what the archive holds: none on a local archive. */
export interface ArchiveLockState {
  state: 'locked' | 'unlocked' | 'none';
  detail: string;
}

/** One incident of the record as the controls judge it. */
export interface IncidentState {
  id: string;
  rule: string;
  status: 'open' | 'acknowledged' | 'resolved';
  ageDays: number;
}

/** A configured stream against its tamper-resistant spec (provision's plan, without changing anything). */
export interface StreamPlanSummary {
  source: string;
  stream: string;
  kind: StreamKind;
  action: 'ok' | 'drift' | 'absent' | 'create';
  findings: string[];
  /** Operator mode: the source's configured `account` and the key the run used for it (by name or as given). */
  sourceAccount?: ConfiguredAccount;
  /** Operator mode: the stream's configured `account` and the key the run used for it. */
  account?: ConfiguredAccount;
}

export interface StreamCompleteness {
  source: string;
  stream: string;
  kind: StreamKind;
  account?: string;
  /** null when the period holds no message of the stream. */
  firstSeq: number | null;
  lastSeq: number | null;
  messages: number;
  /** Sequences missing inside the period: deleted or purged messages, as inclusive ranges. */
  gaps: [number, number][];
  missing: number;
  firstTime: string | null;
  lastTime: string | null;
}

export interface JetStreamChange {
  time: string;
  account: string;
  /** Operator mode: the account JWT's name (inputs.accountNames), shown beside the key. */
  accountName?: string;
  /** null where the server does not say (nats-server before 2.10.10 names only the account). */
  user: string | null;
  /** Operator mode, nats-server 2.10.10+: the user JWT's name; absent where the audit record carries none. */
  userName?: string;
  client: string | null;
  host: string | null;
  operation: JsOperation;
  target: string;
  success: boolean;
  detail: string | null;
  evidence: { stream: string; seq: number }[];
}

export type ControlStatus = 'pass' | 'fail' | 'warn' | 'not-applicable';

export interface ControlResult {
  id: string;
  title: string;
  status: ControlStatus;
  detail: string;
}

export interface AuthFailureEvent {
  time: string;
  /** The name that was tried; null when none was given. */
  user: string | null;
  /** Operator mode: the name in the JWT the failed login presented (`user` is the key it names). */
  userName?: string;
  host: string | null;
  stream: string;
  seq: number;
}

/**
 * The previous report's baseline together with this period's successful logins. Bounded (functions/analysis/
 * detection/baseline.ts): users and hosts already in the baseline are kept first, and `truncated` says so.
 */
export interface Baseline {
  /** "ACCOUNT/user" of everyone seen logging in successfully, sorted. */
  users: string[];
  /** The hosts each user logged in from, sorted by user ("ACCOUNT/user"). */
  userHosts: { user: string; hosts: string[]; hostsTruncated: boolean }[];
  /** Some users or hosts were left out to keep the baseline bounded (now or in an earlier report). */
  truncated: boolean;
  /**
   * This period's first login of each user from each host the previous baseline did not hold for that user,
   * in stored-time order (bounded by report.maxListed): the new hosts, with the event that shows each.
   */
  newHosts: BaselineLogin[];
}

export interface BaselineLogin {
  time: string;
  /** "ACCOUNT/user". */
  user: string;
  host: string;
  stream: string;
  seq: number;
}

/**
 * An incident as a report shows it: opened in the period (its evidence is), resolved in the period, or still open.
 * The first five keys are always there; the rest say who mitigated it, how, and how long it has been open.
 */
export interface ReportIncident {
  id: string;
  rule: string;
  severity: string;
  status: string;
  summary: string;
  subject?: string;
  openedAt?: string;
  ageDays?: number;
  openedInPeriod?: boolean;
  resolvedInPeriod?: boolean;
  acknowledged?: { at: string; by: string; note: string | null } | null;
  resolved?: { at: string; by: string; note: string | null; link?: string } | null;
  /**
   * The incident in each configured tool that has heard of it: its key there (the Jira issue, PagerDuty's dedup
   * key; null for a webhook or an issue not yet made), its page, and whether every change reached it. Reports
   * written before integrations, or without any, lack it.
   */
  integrations?: IncidentInTool[];
}

export interface IncidentInTool {
  integration: string;
  type: 'webhook' | 'pagerduty' | 'jira';
  key: string | null;
  url: string | null;
  sync: 'delivered' | 'pending';
}
