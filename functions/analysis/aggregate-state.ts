import type { JsOperation, UnparseableEvent } from '../events/types.js';
import type { Nanos } from '../time/nanos.js';
import { emptyCounts, type CountTable, type SampleSet } from './bounded.js';
import type { JetStreamChange } from './report-model.js';

/**
 * The running state of one period (or slice of one). Every field merges exactly, so the merge of two slices'
 * states (merge-aggregates.ts) is the state of the whole; nothing in it grows with the number of events beyond
 * the bounded lists and the capped distinct-key tables.
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
  transactions: {
    total: number;
    bySubject: CountTable;
    first: Nanos | null;
    last: Nanos | null;
    listed: TransactionRecord[];
  };
  unparseable: { total: number; listed: UnparseableEvent[] };
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

/** Where a message is and when it was stored: what the bounded lists are ordered by. */
export interface StoredAt {
  ts: Nanos;
  stream: string;
  seq: number;
}

/** One financial record with its stored timestamp: the record timeline lists the first ones of the period. */
export interface TransactionRecord extends StoredAt {
  subject: string;
}

/** One failed login: brute-force windows are evaluated over the period's first ones in stored-time order. */
export interface AuthFailureRecord extends StoredAt {
  user: string | null;
  /** Operator mode: the name in the JWT the failed login presented. */
  userName?: string;
  host: string | null;
}

/** The earliest event that shows `user` of `account` logged in from `host` (null when the server did not say). */
export interface LoginRecord extends StoredAt {
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

export interface UserActivity {
  account: string;
  user: string | null;
  /** Operator mode: the user JWT's name (of two names for one key, the first in sort order). */
  userName?: string;
  /** Operator mode: the JWT of the user's latest connect or disconnect event (access/ reads its permissions). */
  jwt?: SeenJwt;
  connects: number;
  disconnects: number;
  totalDurationNs: Nanos;
  maxDurationNs: Nanos;
  clients: SampleSet;
  hosts: SampleSet;
}

/** A user JWT and the event that carried it. */
export interface SeenJwt extends StoredAt {
  token: string;
}

export interface LeafRemote {
  account: string;
  user: string | null;
  /** Operator mode: the leaf node user JWT's name (the events' `name_tag`). */
  userName?: string;
  name: string | null;
  connects: number;
  disconnects: number;
  hosts: SampleSet;
}

/** A JetStream change as the report lists it (its time kept as stored, its account's name added later). */
export interface ChangeRecord extends StoredAt, Omit<JetStreamChange, 'time' | 'accountName'> {}

/** An advisory action or an audit record waiting for its partner, keyed by what both name. */
export interface PendingPart {
  key: string;
  record: ChangeRecord;
}

/** Joins the parts of a map key: NUL appears in no account, user, host or subject the server sends. */
export const KEY_SEPARATOR = '\u0000';

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
