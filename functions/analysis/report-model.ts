import type { PeriodKind } from '../config/period.js';
import type { StreamKind } from '../config/schema.js';
import type { JsOperation, UnparseableEvent } from '../events/types.js';

/** report.json, schema sox-report/v1 (ARCHITECTURE.md). Instants are RFC 3339 UTC with nanoseconds. */
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
      user: string | null;
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
      remotes: { account: string; user: string | null; name: string | null; connects: number; disconnects: number; hosts: string[] }[];
    };
  };
  authFailures: {
    total: number;
    byUser: { user: string | null; count: number }[];
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
  controls: ControlResult[];
  incidents: { id: string; rule: string; severity: string; status: string; summary: string }[];
  unparseable: number;
  unparseableEvents: UnparseableEvent[];
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
  /** null where the server does not say (nats-server before 2.10.10 names only the account). */
  user: string | null;
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
