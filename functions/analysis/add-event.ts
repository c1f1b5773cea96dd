import { parseMessage, type ParseOptions } from '../events/parse.js';
import type { Envelope, ParsedEvent, RawMessage, UnparseableEvent } from '../events/types.js';
import { count, emptySample, insertBounded, sample } from './bounded.js';
import {
  KEY_SEPARATOR,
  type AggregateState,
  type ChangeRecord,
  type SeenJwt,
  type UserActivity,
} from './aggregate-state.js';
import { ANNOUNCED, pair, settle } from './change-pairing.js';
import { recordLogin } from './login-table.js';
import { comparePosition, compareStored } from './stored-order.js';

/** Parses one stored message and adds it to the state, as understood or as unparseable. */
export function addMessage(state: AggregateState, raw: RawMessage, options: ParseOptions): void {
  const parsed = parseMessage(raw, options);
  if (parsed.ok) addEvent(state, parsed.event);
  else addUnparseable(state, parsed.unparseable);
}

export function addUnparseable(state: AggregateState, item: UnparseableEvent): void {
  state.unparseable.total += 1;
  insertBounded(state.unparseable.listed, item, state.limits.maxListed, comparePosition);
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
        const key = [client.account, client.user ?? '', client.name ?? ''].join(KEY_SEPARATOR);
        let remote = state.leafnodes.remotes.get(key);
        if (!remote) {
          remote = {
            account: client.account,
            user: client.user,
            name: client.name,
            connects: 0,
            disconnects: 0,
            hosts: emptySample(),
          };
          state.leafnodes.remotes.set(key, remote);
        }
        if (client.userName !== undefined) remote.userName = firstName(remote.userName, client.userName);
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
      if (client.userName !== undefined) user.userName = firstName(user.userName, client.userName);
      if (client.jwt !== undefined)
        user.jwt = laterJwt(user.jwt, { token: client.jwt, ts: event.ts, stream: event.stream, seq: event.seq });
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
        ts: event.ts,
        stream: event.stream,
        seq: event.seq,
        account: event.account,
        user: null,
        client: null,
        host: null,
        operation: event.operation,
        target: event.target,
        success: true,
        detail: null,
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
        ts: event.ts,
        stream: event.stream,
        seq: event.seq,
        account: event.account,
        user: event.user,
        ...(event.userName !== undefined ? { userName: event.userName } : {}),
        client: event.client,
        host: event.host,
        operation: event.operation,
        target: event.target,
        success: event.success,
        detail: event.detail,
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
        insertBounded(tx.listed, record, state.limits.maxListed, compareStored);
      }
      return;
    }
  }
}

function listAuthFailure(
  state: AggregateState,
  event: Envelope & { user: string | null; userName?: string; host: string | null },
): void {
  const listed = state.authFailures.listed;
  // Most failures of a busy day come after the list is full: compare before building a record (a tie in time
  // is left to insertBounded, which orders it by stream and sequence).
  if (listed.length >= state.limits.maxListed && event.ts > listed[listed.length - 1]!.ts) return;
  const record = {
    ts: event.ts,
    stream: event.stream,
    seq: event.seq,
    user: event.user,
    ...(event.userName !== undefined ? { userName: event.userName } : {}),
    host: event.host,
  };
  insertBounded(listed, record, state.limits.maxListed, compareStored);
}

/** Of two JWT names for one key (a re-issued JWT), the first in sort order: the same whatever the slicing. */
export function firstName(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}

/** Of two JWTs seen for one user, the one stored later (then the later position): the same whatever the slicing. */
export function laterJwt(a: SeenJwt | undefined, b: SeenJwt | undefined): SeenJwt | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareStored(a, b) >= 0 ? a : b;
}

function userActivity(state: AggregateState, account: string, user: string | null): UserActivity {
  const key = account + KEY_SEPARATOR + (user ?? '');
  let activity = state.users.get(key);
  if (!activity) {
    activity = {
      account,
      user,
      connects: 0,
      disconnects: 0,
      totalDurationNs: 0n,
      maxDurationNs: 0n,
      clients: emptySample(),
      hosts: emptySample(),
    };
    state.users.set(key, activity);
  }
  return activity;
}
