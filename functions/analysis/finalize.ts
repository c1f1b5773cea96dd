import type { Period } from '../config/period.js';
import { formatInstant, type Nanos } from '../time/nanos.js';
import type { AggregateState, ChangeRecord } from './aggregate-state.js';
import { settlePending } from './change-pairing.js';
import { topCounts } from './bounded.js';
import { BASELINE_MAX_HOSTS_PER_USER, BASELINE_MAX_USERS, buildBaseline } from './detection/baseline.js';
import type { JetStreamChange, PreviousReport, ReportV1, StreamCompleteness } from './report-model.js';

export interface ReportOptions {
  /** Rows kept in each ranked table. */
  topN: number;
}

const seconds = (ns: Nanos) => Number(ns / 1_000_000n) / 1000;

/**
 * Turns a period's state into report.json. Settles pending pairs, so call it once, on the final state.
 * `previousReport` is the report of the period before (null on the first day, or when it cannot be read): its
 * baseline of who logged in from where is carried into this one.
 */
export function buildReport(
  period: Period,
  streams: StreamCompleteness[],
  state: AggregateState,
  generatedAt: Nanos,
  options: ReportOptions,
  previousReport: PreviousReport | null = null,
): ReportV1 {
  settlePending(state);
  const { topN } = options;
  const byUser = [...state.users.values()]
    .sort((a, b) => b.connects - a.connects || cmp(a.account, b.account) || cmp(a.user ?? '', b.user ?? ''))
    .slice(0, topN)
    .map((u) => ({
      account: u.account,
      user: u.user,
      ...(u.userName !== undefined ? { userName: u.userName } : {}),
      connects: u.connects,
      disconnects: u.disconnects,
      totalDurationSeconds: seconds(u.totalDurationNs),
      maxDurationSeconds: seconds(u.maxDurationNs),
      clients: u.clients.values,
      clientsTruncated: u.clients.truncated,
      hosts: u.hosts.values,
      hostsTruncated: u.hosts.truncated,
    }));
  const remotes = [...state.leafnodes.remotes.values()]
    .sort((a, b) => cmp(a.account, b.account) || cmp(a.user ?? '', b.user ?? '') || cmp(a.name ?? '', b.name ?? ''))
    .slice(0, topN)
    .map((r) => ({
      account: r.account,
      user: r.user,
      ...withUserName(r.userName),
      name: r.name,
      connects: r.connects,
      disconnects: r.disconnects,
      hosts: r.hosts.values,
    }));
  const js = state.jetstream;
  return {
    schema: 'sox-report/v1',
    period: {
      from: formatInstant(period.from),
      to: formatInstant(period.to),
      timezone: period.timezone,
      kind: period.kind,
      ...(period.date ? { date: period.date } : {}),
    },
    generatedAt: formatInstant(generatedAt),
    streams,
    connections: {
      connects: state.connects,
      disconnects: state.disconnects,
      users: state.users.size,
      byUser,
      leafnodes: { connects: state.leafnodes.connects, disconnects: state.leafnodes.disconnects, remotes },
    },
    authFailures: {
      total: state.authFailures.total,
      byUser: topCounts(state.authFailures.byUser, topN).map(([user, count]) => ({
        user: user || null,
        // Operator mode: the JWT name the listed failures of this key presented (none past the listed ones).
        ...withUserName(state.authFailures.listed.find((f) => f.user === user && f.userName !== undefined)?.userName),
        count,
      })),
      byHost: topCounts(state.authFailures.byHost, topN).map(([host, count]) => ({ host: host || null, count })),
    },
    authFailureEvents: state.authFailures.listed.map((f) => ({
      time: formatInstant(f.ts),
      user: f.user,
      ...withUserName(f.userName),
      host: f.host,
      stream: f.stream,
      seq: f.seq,
    })),
    baseline: buildBaseline(previousReport?.baseline ?? null, state.logins.first.values(), state.logins.truncated, {
      maxUsers: BASELINE_MAX_USERS,
      maxHostsPerUser: BASELINE_MAX_HOSTS_PER_USER,
      maxListed: state.limits.maxListed,
    }),
    jetstreamChanges: js.changes.map(toChange),
    jetstreamSummary: {
      changes: [...js.byOperation.values()].reduce((a, b) => a + b, 0),
      listed: js.changes.length,
      refused: js.refused,
      byOperation: Object.fromEntries([...js.byOperation].sort(([a], [b]) => cmp(a, b))),
      reads: js.reads,
      ownReads: js.ownReads,
      otherAdvisories: topCounts(js.advisories, topN).map(([advisory, count]) => ({ advisory, count })),
    },
    transactions: {
      total: state.transactions.total,
      bySubject: topCounts(state.transactions.bySubject, topN).map(([subject, count]) => ({ subject, count })),
      first: state.transactions.first === null ? null : formatInstant(state.transactions.first),
      last: state.transactions.last === null ? null : formatInstant(state.transactions.last),
      listed: state.transactions.listed.map((t) => ({
        time: formatInstant(t.ts),
        stream: t.stream,
        seq: t.seq,
        subject: t.subject,
      })),
    },
    // Filled in by completeReport (analyse.ts) from the control catalogue, which reads more than the aggregate.
    controls: [],
    incidents: [],
    unparseable: state.unparseable.total,
    unparseableEvents: state.unparseable.listed,
  };
}

function toChange(c: ChangeRecord): JetStreamChange {
  return {
    time: formatInstant(c.ts),
    account: c.account,
    user: c.user,
    ...(c.userName !== undefined ? { userName: c.userName } : {}),
    client: c.client,
    host: c.host,
    operation: c.operation,
    target: c.target,
    success: c.success,
    detail: c.detail,
    evidence: c.evidence,
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `userName` where a JWT name is known, nothing otherwise: reports without names stay as they were. */
function withUserName(userName: string | undefined): { userName?: string } {
  return userName === undefined ? {} : { userName };
}
