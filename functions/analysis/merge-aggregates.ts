import type { Nanos } from '../time/nanos.js';
import { firstName, laterJwt } from './add-event.js';
import { mergeBounded, mergeCounts, mergeSamples } from './bounded.js';
import { emptyAggregate, type AggregateState } from './aggregate-state.js';
import { pair } from './change-pairing.js';
import { mergeLogins } from './login-table.js';
import { comparePosition, compareStored } from './stored-order.js';

/** The state of two slices as one: the same as aggregating both slices' messages in one state. */
export function mergeAggregates(a: AggregateState, b: AggregateState): AggregateState {
  const limits = a.limits;
  const merged = emptyAggregate(limits);
  merged.events = a.events + b.events;
  merged.connects = a.connects + b.connects;
  merged.disconnects = a.disconnects + b.disconnects;
  for (const source of [a, b]) {
    for (const [key, u] of source.users) {
      const m = merged.users.get(key);
      if (!m)
        merged.users.set(key, {
          ...u,
          clients: { ...u.clients, values: [...u.clients.values] },
          hosts: { ...u.hosts, values: [...u.hosts.values] },
        });
      else {
        m.connects += u.connects;
        m.disconnects += u.disconnects;
        const userName = firstName(m.userName, u.userName);
        if (userName !== undefined) m.userName = userName;
        const jwt = laterJwt(m.jwt, u.jwt);
        if (jwt !== undefined) m.jwt = jwt;
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
        const userName = firstName(m.userName, r.userName);
        if (userName !== undefined) m.userName = userName;
      }
    }
  }
  merged.leafnodes.connects = a.leafnodes.connects + b.leafnodes.connects;
  merged.leafnodes.disconnects = a.leafnodes.disconnects + b.leafnodes.disconnects;
  merged.authFailures = {
    total: a.authFailures.total + b.authFailures.total,
    byUser: mergeCounts(a.authFailures.byUser, b.authFailures.byUser),
    byHost: mergeCounts(a.authFailures.byHost, b.authFailures.byHost),
    listed: mergeBounded(a.authFailures.listed, b.authFailures.listed, limits.maxListed, compareStored),
  };
  merged.logins = mergeLogins(a.logins, b.logins);
  const js = merged.jetstream;
  for (const source of [a, b]) {
    for (const [op, n] of source.jetstream.byOperation) js.byOperation.set(op, (js.byOperation.get(op) ?? 0) + n);
  }
  js.refused = a.jetstream.refused + b.jetstream.refused;
  js.changes = mergeBounded(a.jetstream.changes, b.jetstream.changes, limits.maxListed, compareStored);
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
    ...[...a.jetstream.pendingActions, ...b.jetstream.pendingActions].map((p) => ({
      part: 'action' as const,
      record: p.record,
    })),
    ...[...a.jetstream.pendingAudits, ...b.jetstream.pendingAudits].map((p) => ({
      part: 'audit' as const,
      record: p.record,
    })),
  ].sort((x, y) => compareStored(x.record, y.record));
  for (const { part, record } of waiting) pair(merged, record, part);
  merged.transactions = {
    total: a.transactions.total + b.transactions.total,
    bySubject: mergeCounts(a.transactions.bySubject, b.transactions.bySubject),
    first: minNanos(a.transactions.first, b.transactions.first),
    last: maxNanos(a.transactions.last, b.transactions.last),
    listed: mergeBounded(a.transactions.listed, b.transactions.listed, limits.maxListed, compareStored),
  };
  merged.unparseable = {
    total: a.unparseable.total + b.unparseable.total,
    listed: mergeBounded(a.unparseable.listed, b.unparseable.listed, limits.maxListed, comparePosition),
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
