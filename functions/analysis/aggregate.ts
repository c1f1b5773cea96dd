import { parseMessage, type ParseOptions } from '../events/parse.js';
import type { Envelope, JsOperation, ParsedEvent, RawMessage, UnparseableEvent } from '../events/types.js';
import type { Nanos } from '../time/nanos.js';
import {
  MAX_DISTINCT_KEYS,
  count,
  emptyCounts,
  emptySample,
  insertBounded,
  mergeBounded,
  mergeCounts,
  mergeSamples,
  sample,
  type CountTable,
  type SampleSet,
} from './bounded.js';

/**
 * The running state of one period (or slice of one). Every field merges exactly, so
 * finalize(merge(a, b)) equals the state of the whole; nothing in it grows with the number of events
 * beyond the bounded lists and the capped distinct-key tables.
 */
export interface AggregateState {
  limits: AggregateLimits;
  events: number;
  users: Map<string, UserActivity>;
  connects: number;
  disconnects: number;
  leafnodes: { connects: number; disconnects: number; remotes: Map<string, LeafRemote> };
  authFailures: { total: number; byUser: CountTable; byHost: CountTable; listed: AuthFailureRecord[] };
  /** The first successful login of each user from each host: the detection baseline and its new hosts. */
  logins: LoginTable;
  jetstream: {
    /** Changes that happened, whether or not paired yet, counted once each. */
    byOperation: Map<JsOperation, number>;
    refused: number;
    changes: ChangeRecord[];
    /** Advisory actions and audit records waiting for their partner. */
    pendingActions: PendingPart[];
    pendingAudits: PendingPart[];
    reads: number;
    ownReads: number;
    advisories: CountTable;
    /** First stored time seen per stream: parts this close to a slice's start may pair with the slice before. */
    firstSeen: Map<string, Nanos>;
  };
  transactions: { total: number; bySubject: CountTable; first: Nanos | null; last: Nanos | null; listed: TransactionRecord[] };
  unparseable: { total: number; listed: UnparseableEvent[] };
}

/** One financial record with its stored timestamp: the record timeline lists the first ones of the period. */
export interface TransactionRecord {
  ts: Nanos;
  stream: string;
  seq: number;
  subject: string;
}

/** One failed login: brute-force windows are evaluated over the period's first ones in stored-time order. */
export interface AuthFailureRecord {
  ts: Nanos;
  stream: string;
  seq: number;
  user: string | null;
  host: string | null;
}

/** The earliest event that shows `user` of `account` logged in from `host` (null when the server did not say). */
export interface LoginRecord {
  ts: Nanos;
  stream: string;
  seq: number;
  account: string;
  user: string;
  host: string | null;
}

/** Keyed by account, user and host; capped like a CountTable so that hostile data cannot grow memory. */
export interface LoginTable {
  first: Map<string, LoginRecord>;
  /** Pairs seen after the cap was reached were not kept. */
  truncated: boolean;
}

export interface AggregateLimits {
  /** Detail rows kept in lists; counts stay exact. */
  maxListed: number;
  /** Distinct client names and hosts kept per user. */
  maxSamples: number;
  /** How far apart an advisory and its audit record may be stored and still be one change. */
  pairWindowNs: Nanos;
}

export const DEFAULT_LIMITS: AggregateLimits = { maxListed: 1000, maxSamples: 20, pairWindowNs: 5_000_000_000n };

export interface UserActivity {
  account: string;
  user: string | null;
  connects: number;
  disconnects: number;
  totalDurationNs: Nanos;
  maxDurationNs: Nanos;
  clients: SampleSet;
  hosts: SampleSet;
}

export interface LeafRemote {
  account: string;
  user: string | null;
  name: string | null;
  connects: number;
  disconnects: number;
  hosts: SampleSet;
}

export interface ChangeRecord {
  ts: Nanos;
  stream: string;
  seq: number;
  account: string;
  user: string | null;
  client: string | null;
  host: string | null;
  operation: JsOperation;
  target: string;
  success: boolean;
  detail: string | null;
  /** Where the evidence is: the advisory and/or the audit record. */
  evidence: { stream: string; seq: number }[];
}

interface PendingPart {
  key: string;
  record: ChangeRecord;
}

/** Operations the server announces with an advisory of their own besides the audit record. */
const ANNOUNCED = new Set<JsOperation>(['stream.create', 'stream.update', 'stream.delete', 'consumer.create', 'consumer.delete']);

export function emptyAggregate(limits: AggregateLimits = DEFAULT_LIMITS): AggregateState {
  return {
    limits,
    events: 0,
    users: new Map(),
    connects: 0,
    disconnects: 0,
    leafnodes: { connects: 0, disconnects: 0, remotes: new Map() },
    authFailures: { total: 0, byUser: emptyCounts(), byHost: emptyCounts(), listed: [] },
    logins: { first: new Map(), truncated: false },
    jetstream: {
      byOperation: new Map(),
      refused: 0,
      changes: [],
      pendingActions: [],
      pendingAudits: [],
      reads: 0,
      ownReads: 0,
      advisories: emptyCounts(),
      firstSeen: new Map(),
    },
    transactions: { total: 0, bySubject: emptyCounts(), first: null, last: null, listed: [] },
    unparseable: { total: 0, listed: [] },
  };
}

export function compareTransactions(a: TransactionRecord, b: TransactionRecord): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  if (a.stream !== b.stream) return a.stream < b.stream ? -1 : 1;
  return a.seq - b.seq;
}

export function compareChanges(a: ChangeRecord, b: ChangeRecord): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  if (a.stream !== b.stream) return a.stream < b.stream ? -1 : 1;
  return a.seq - b.seq;
}

/** Stored-time order, ties by stream and sequence: the same order whatever the slices or the merge order. */
function compareStored(a: { ts: Nanos; stream: string; seq: number }, b: { ts: Nanos; stream: string; seq: number }): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  if (a.stream !== b.stream) return a.stream < b.stream ? -1 : 1;
  return a.seq - b.seq;
}

export const compareAuthFailures: (a: AuthFailureRecord, b: AuthFailureRecord) => number = compareStored;
export const compareLogins: (a: LoginRecord, b: LoginRecord) => number = compareStored;

export function compareUnparseable(a: UnparseableEvent, b: UnparseableEvent): number {
  if (a.stream !== b.stream) return a.stream < b.stream ? -1 : 1;
  return a.seq - b.seq;
}

const SEP = '\u0000';

export function addUnparseable(state: AggregateState, item: UnparseableEvent): void {
  state.unparseable.total += 1;
  insertBounded(state.unparseable.listed, item, state.limits.maxListed, compareUnparseable);
}

/** Parses one stored message and adds it to the state, as understood or as unparseable. */
export function addMessage(state: AggregateState, raw: RawMessage, options: ParseOptions): void {
  const parsed = parseMessage(raw, options);
  if (parsed.ok) addEvent(state, parsed.event);
  else addUnparseable(state, parsed.unparseable);
}

export function addEvent(state: AggregateState, event: ParsedEvent): void {
  state.events += 1;
  if (!state.jetstream.firstSeen.has(event.stream)) state.jetstream.firstSeen.set(event.stream, event.ts);
  switch (event.type) {
    case 'connect':
    case 'disconnect': {
      const { client } = event;
      const connect = event.type === 'connect';
      // A disconnect proves a login too (one that began before the period): both feed the baseline.
      if (client.user !== null) recordLogin(state.logins, event, client.account, client.user, client.host);
      if (client.kind === 'Leafnode') {
        const key = [client.account, client.user ?? '', client.name ?? ''].join(SEP);
        let remote = state.leafnodes.remotes.get(key);
        if (!remote) {
          remote = { account: client.account, user: client.user, name: client.name, connects: 0, disconnects: 0, hosts: emptySample() };
          state.leafnodes.remotes.set(key, remote);
        }
        if (connect) {
          state.leafnodes.connects += 1;
          remote.connects += 1;
        } else {
          state.leafnodes.disconnects += 1;
          remote.disconnects += 1;
        }
        if (client.host) sample(remote.hosts, client.host, state.limits.maxSamples);
        return;
      }
      const user = userActivity(state, client.account, client.user);
      if (connect) {
        state.connects += 1;
        user.connects += 1;
      } else {
        state.disconnects += 1;
        user.disconnects += 1;
        if (event.durationNs !== null) {
          user.totalDurationNs += event.durationNs;
          if (event.durationNs > user.maxDurationNs) user.maxDurationNs = event.durationNs;
        }
      }
      if (client.name) sample(user.clients, client.name, state.limits.maxSamples);
      if (client.host) sample(user.hosts, client.host, state.limits.maxSamples);
      return;
    }
    case 'auth-failure':
      state.authFailures.total += 1;
      count(state.authFailures.byUser, event.user ?? '');
      count(state.authFailures.byHost, event.host ?? '');
      listAuthFailure(state, event);
      return;
    case 'leafnode-connect':
      // Only sent where gateways exist, alongside the ordinary CONNECT that is already counted.
      return;
    case 'js-action': {
      if (event.own) {
        state.jetstream.ownReads += 1;
        return;
      }
      const record: ChangeRecord = {
        ts: event.ts, stream: event.stream, seq: event.seq, account: event.account, user: null, client: null, host: null,
        operation: event.operation, target: event.target, success: true, detail: null,
        evidence: [{ stream: event.stream, seq: event.seq }],
      };
      pair(state, record, 'action');
      return;
    }
    case 'api-audit': {
      if (event.own) {
        state.jetstream.ownReads += 1;
        return;
      }
      if (event.operation === null) {
        state.jetstream.reads += 1;
        return;
      }
      const record: ChangeRecord = {
        ts: event.ts, stream: event.stream, seq: event.seq, account: event.account, user: event.user, client: event.client,
        host: event.host, operation: event.operation, target: event.target, success: event.success, detail: event.detail,
        evidence: [{ stream: event.stream, seq: event.seq }],
      };
      if (event.success && ANNOUNCED.has(event.operation)) pair(state, record, 'audit');
      else settle(state, record);
      return;
    }
    case 'advisory':
      count(state.jetstream.advisories, event.advisory);
      return;
    case 'transaction': {
      const tx = state.transactions;
      tx.total += 1;
      count(tx.bySubject, event.subject);
      if (tx.first === null || event.ts < tx.first) tx.first = event.ts;
      if (tx.last === null || event.ts > tx.last) tx.last = event.ts;
      const full = tx.listed.length >= state.limits.maxListed;
      if (!full || event.ts < tx.listed[tx.listed.length - 1]!.ts) {
        const record = { ts: event.ts, stream: event.stream, seq: event.seq, subject: event.subject };
        insertBounded(tx.listed, record, state.limits.maxListed, compareTransactions);
      }
      return;
    }
  }
}

function listAuthFailure(state: AggregateState, event: Envelope & { user: string | null; host: string | null }): void {
  const listed = state.authFailures.listed;
  // Most failures of a busy day come after the list is full: compare before building a record (a tie in time
  // is left to insertBounded, which orders it by stream and sequence).
  if (listed.length >= state.limits.maxListed && event.ts > listed[listed.length - 1]!.ts) return;
  const record = { ts: event.ts, stream: event.stream, seq: event.seq, user: event.user, host: event.host };
  insertBounded(listed, record, state.limits.maxListed, compareAuthFailures);
}

function recordLogin(table: LoginTable, at: { ts: Nanos; stream: string; seq: number }, account: string, user: string, host: string | null): void {
  const key = [account, user, host ?? ''].join(SEP);
  const known = table.first.get(key);
  const record = { ts: at.ts, stream: at.stream, seq: at.seq, account, user, host };
  if (known === undefined) {
    if (table.first.size < MAX_DISTINCT_KEYS) table.first.set(key, record);
    else table.truncated = true;
  } else if (compareLogins(record, known) < 0) {
    table.first.set(key, record);
  }
}

function mergeLogins(a: LoginTable, b: LoginTable): LoginTable {
  const merged: LoginTable = { first: new Map(a.first), truncated: a.truncated || b.truncated };
  for (const record of b.first.values()) recordLogin(merged, record, record.account, record.user, record.host);
  return merged;
}

function userActivity(state: AggregateState, account: string, user: string | null): UserActivity {
  const key = account + SEP + (user ?? '');
  let activity = state.users.get(key);
  if (!activity) {
    activity = {
      account, user, connects: 0, disconnects: 0, totalDurationNs: 0n, maxDurationNs: 0n,
      clients: emptySample(), hosts: emptySample(),
    };
    state.users.set(key, activity);
  }
  return activity;
}

function settle(state: AggregateState, record: ChangeRecord): void {
  const js = state.jetstream;
  js.byOperation.set(record.operation, (js.byOperation.get(record.operation) ?? 0) + 1);
  if (!record.success) js.refused += 1;
  insertBounded(js.changes, record, state.limits.maxListed, compareChanges);
}

/** An advisory says what changed, the audit record who asked: together they are one change. */
function pair(state: AggregateState, record: ChangeRecord, part: 'action' | 'audit'): void {
  const js = state.jetstream;
  const key = [record.account, record.operation, record.target].join(SEP);
  const partners = part === 'action' ? js.pendingAudits : js.pendingActions;
  let best = -1;
  for (let i = 0; i < partners.length; i++) {
    const candidate = partners[i]!;
    if (candidate.key !== key || absDiff(candidate.record.ts, record.ts) > state.limits.pairWindowNs) continue;
    if (best < 0 || absDiff(candidate.record.ts, record.ts) < absDiff(partners[best]!.record.ts, record.ts)) best = i;
  }
  if (best >= 0) {
    const [partner] = partners.splice(best, 1);
    const audit = part === 'audit' ? record : partner!.record;
    const action = part === 'action' ? record : partner!.record;
    settle(state, {
      ...audit,
      // The advisory is the server's statement that the change took effect: its time is the change's time.
      ts: action.ts, stream: action.stream, seq: action.seq,
      evidence: [...action.evidence, ...audit.evidence].sort((a, b) => (a.stream === b.stream ? a.seq - b.seq : a.stream < b.stream ? -1 : 1)),
    });
  } else {
    (part === 'action' ? js.pendingActions : js.pendingAudits).push({ key, record });
  }
  expirePending(state, record.stream, record.ts);
}

function absDiff(a: Nanos, b: Nanos): Nanos {
  return a > b ? a - b : b - a;
}

/**
 * Parts older by more than the pairing window than the newest message of their stream will never be
 * paired, unless they are that close to the slice's first message: their partner may be in the slice before.
 */
function expirePending(state: AggregateState, stream: string, now: Nanos | null): void {
  const js = state.jetstream;
  const window = state.limits.pairWindowNs;
  const firstSeen = js.firstSeen.get(stream);
  for (const list of [js.pendingActions, js.pendingAudits]) {
    for (let i = list.length - 1; i >= 0; i--) {
      const { record } = list[i]!;
      const nearSliceStart = firstSeen !== undefined && record.ts - firstSeen <= window;
      if (now === null || (record.stream === stream && now - record.ts > window && !nearSliceStart)) {
        list.splice(i, 1);
        settle(state, record);
      }
    }
  }
}

/** Settles whatever is still waiting for a partner: call once the whole period has been added. */
export function settlePending(state: AggregateState): void {
  expirePending(state, '', null);
}

export function mergeAggregates(a: AggregateState, b: AggregateState): AggregateState {
  const limits = a.limits;
  const merged = emptyAggregate(limits);
  merged.events = a.events + b.events;
  merged.connects = a.connects + b.connects;
  merged.disconnects = a.disconnects + b.disconnects;
  for (const source of [a, b]) {
    for (const [key, u] of source.users) {
      const m = merged.users.get(key);
      if (!m) merged.users.set(key, { ...u, clients: { ...u.clients, values: [...u.clients.values] }, hosts: { ...u.hosts, values: [...u.hosts.values] } });
      else {
        m.connects += u.connects;
        m.disconnects += u.disconnects;
        m.totalDurationNs += u.totalDurationNs;
        if (u.maxDurationNs > m.maxDurationNs) m.maxDurationNs = u.maxDurationNs;
        m.clients = mergeSamples(m.clients, u.clients, limits.maxSamples);
        m.hosts = mergeSamples(m.hosts, u.hosts, limits.maxSamples);
      }
    }
    for (const [key, r] of source.leafnodes.remotes) {
      const m = merged.leafnodes.remotes.get(key);
      if (!m) merged.leafnodes.remotes.set(key, { ...r, hosts: { ...r.hosts, values: [...r.hosts.values] } });
      else {
        m.connects += r.connects;
        m.disconnects += r.disconnects;
        m.hosts = mergeSamples(m.hosts, r.hosts, limits.maxSamples);
      }
    }
  }
  merged.leafnodes.connects = a.leafnodes.connects + b.leafnodes.connects;
  merged.leafnodes.disconnects = a.leafnodes.disconnects + b.leafnodes.disconnects;
  merged.authFailures = {
    total: a.authFailures.total + b.authFailures.total,
    byUser: mergeCounts(a.authFailures.byUser, b.authFailures.byUser),
    byHost: mergeCounts(a.authFailures.byHost, b.authFailures.byHost),
    listed: mergeBounded(a.authFailures.listed, b.authFailures.listed, limits.maxListed, compareAuthFailures),
  };
  merged.logins = mergeLogins(a.logins, b.logins);
  const js = merged.jetstream;
  for (const source of [a, b]) {
    for (const [op, n] of source.jetstream.byOperation) js.byOperation.set(op, (js.byOperation.get(op) ?? 0) + n);
  }
  js.refused = a.jetstream.refused + b.jetstream.refused;
  js.changes = mergeBounded(a.jetstream.changes, b.jetstream.changes, limits.maxListed, compareChanges);
  js.reads = a.jetstream.reads + b.jetstream.reads;
  js.ownReads = a.jetstream.ownReads + b.jetstream.ownReads;
  js.advisories = mergeCounts(a.jetstream.advisories, b.jetstream.advisories);
  for (const source of [a, b]) {
    for (const [stream, ts] of source.jetstream.firstSeen) {
      const known = js.firstSeen.get(stream);
      if (known === undefined || ts < known) js.firstSeen.set(stream, ts);
    }
  }
  // Parts left waiting at a slice's edge may find their partner in the other slice: pair them in time order.
  const waiting = [
    ...[...a.jetstream.pendingActions, ...b.jetstream.pendingActions].map((p) => ({ part: 'action' as const, record: p.record })),
    ...[...a.jetstream.pendingAudits, ...b.jetstream.pendingAudits].map((p) => ({ part: 'audit' as const, record: p.record })),
  ].sort((x, y) => compareChanges(x.record, y.record));
  for (const { part, record } of waiting) pair(merged, record, part);
  merged.transactions = {
    total: a.transactions.total + b.transactions.total,
    bySubject: mergeCounts(a.transactions.bySubject, b.transactions.bySubject),
    first: minNanos(a.transactions.first, b.transactions.first),
    last: maxNanos(a.transactions.last, b.transactions.last),
    listed: mergeBounded(a.transactions.listed, b.transactions.listed, limits.maxListed, compareTransactions),
  };
  merged.unparseable = {
    total: a.unparseable.total + b.unparseable.total,
    listed: mergeBounded(a.unparseable.listed, b.unparseable.listed, limits.maxListed, compareUnparseable),
  };
  return merged;
}

function minNanos(a: Nanos | null, b: Nanos | null): Nanos | null {
  if (a === null) return b;
  if (b === null) return a;
  return a < b ? a : b;
}

function maxNanos(a: Nanos | null, b: Nanos | null): Nanos | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}
