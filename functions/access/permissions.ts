/**
 * What a set of NATS permissions allows, judged on subjects as patterns: whether one pattern covers another,
 * what lies beyond the reporting user's read-only list, and which privileges a user holds. Pure.
 */
import type { AccessRules, AccountAccess, Permissions, Privilege } from './model.js';

/** What reading a stream through ordered consumers asks of the JetStream API (and `$JS.ACK` of its replies). */
export const JETSTREAM_READS = [
  '$JS.API.INFO',
  '$JS.API.STREAM.INFO.*',
  '$JS.API.STREAM.MSG.GET.*',
  '$JS.API.CONSUMER.CREATE.*',
  '$JS.API.CONSUMER.CREATE.*.>',
  '$JS.API.CONSUMER.INFO.*.*',
  '$JS.API.CONSUMER.MSG.NEXT.*.*',
  '$JS.API.CONSUMER.DELETE.*.*',
  '$JS.ACK.>',
] as const;

/**
 * The subjects the reporting user needs to publish (README "The NATS side"): JetStream reads through ordered
 * consumers, the system account's information requests, and the records the run appends to.
 */
export const READ_ONLY_PUBLISH = [
  ...JETSTREAM_READS,
  '$SYS.REQ.USER.INFO',
  '$SYS.REQ.ACCOUNT.*.INFO',
  '$SYS.REQ.ACCOUNT.PING.STATZ',
  '$SYS.REQ.ACCOUNT.PING.CONNZ',
  '$SYS.REQ.SERVER.PING.VARZ',
  '$SYS.REQ.SERVER.PING.JSZ',
  '$SYS.REQ.SERVER.PING.ACCOUNTZ',
] as const;

/** The read-only list with the subjects of the records a run appends to (incidents, sign-offs, alerts). */
export function readOnlyPublish(records: {
  incidentPrefix: string;
  attestationPrefix: string;
  alertSubject?: string;
}): string[] {
  return [
    ...READ_ONLY_PUBLISH,
    `${records.incidentPrefix}.>`,
    `${records.attestationPrefix}.>`,
    ...(records.alertSubject ? [records.alertSubject] : []),
  ];
}

/** Whether every subject `inner` matches is matched by `outer` (both NATS subject patterns). */
export function covers(outer: string, inner: string): boolean {
  const o = outer.split('.');
  const i = inner.split('.');
  for (let k = 0; k < o.length; k++) {
    const token = o[k]!;
    if (token === '>') return i.length > k;
    if (k >= i.length) return false;
    const t = i[k]!;
    if (token === '*') {
      if (t === '>') return false;
      continue;
    }
    if (token !== t) return false;
  }
  return o.length === i.length;
}

/** Whether some subject matches both patterns. */
export function overlaps(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  for (let k = 0; k < Math.max(x.length, y.length); k++) {
    const s = x[k];
    const t = y[k];
    if (s === '>' || t === '>') return s !== undefined && t !== undefined;
    if (s === undefined || t === undefined) return false;
    if (s !== '*' && t !== '*' && s !== t) return false;
  }
  return true;
}

/**
 * Whether the patterns together match every subject `pattern` matches: `$JS.API.*` and `$JS.API.*.>` together
 * cover `$JS.API.>` though neither does alone. Exact: a token only a `*` or `>` entry matches stands for the
 * infinitely many tokens no literal entry names, so only those entries can cover it.
 */
export function coveredTogether(entries: readonly string[], pattern: string): boolean {
  return coveredTokens(
    entries.map((e) => e.split('.')),
    pattern.split('.'),
  );
}

function coveredTokens(entries: string[][], pattern: string[]): boolean {
  if (pattern.length === 0) return entries.some((e) => e.length === 0);
  if (entries.some((e) => e[0] === '>')) return true;
  const first = pattern[0]!;
  const rest = (keep: (token: string) => boolean) =>
    entries.filter((e) => e.length > 0 && keep(e[0]!)).map((e) => e.slice(1));
  if (first === '*')
    return coveredTokens(
      rest((t) => t === '*'),
      pattern.slice(1),
    );
  if (first === '>') {
    // One more token (an entry that ends in `*` here), or more than one (what follows a `*`, covering `>`).
    const next = rest((t) => t === '*');
    return next.some((e) => e.length === 0) && coveredTokens(next, ['>']);
  }
  return coveredTokens(
    rest((t) => t === '*' || t === first),
    pattern.slice(1),
  );
}

/** The subjects two patterns both match, as one pattern; null when they share none. */
export function intersection(a: string, b: string): string | null {
  const x = a.split('.');
  const y = b.split('.');
  const out: string[] = [];
  for (let k = 0; k < Math.max(x.length, y.length); k++) {
    const s = x[k];
    const t = y[k];
    if (s === undefined || t === undefined) return null;
    if (s === '>') return [...out, ...y.slice(k)].join('.');
    if (t === '>') return [...out, ...x.slice(k)].join('.');
    if (s !== '*' && t !== '*' && s !== t) return null;
    out.push(s === '*' ? t : s);
  }
  return out.join('.');
}

/**
 * Whether the permissions let a user publish every subject of `pattern` (allowed, and no part of it denied). Rules 1
 * (reports written before rules 2) took an allow list to cover a pattern only when one of its entries did.
 */
export function mayPublishAll(permissions: Permissions | null, pattern: string, rules: AccessRules = 2): boolean {
  if (permissions === null) return true;
  const { allow, deny } = permissions.publish;
  const allowed =
    allow === null || (rules === 1 ? allow.some((a) => covers(a, pattern)) : coveredTogether(allow, pattern));
  return allowed && !deny.some((d) => overlaps(d, pattern));
}

/** Whether the permissions let a user publish at least one subject of `pattern`: allowed and not denied. Exact. */
export function mayPublishSome(permissions: Permissions | null, pattern: string): boolean {
  if (permissions === null) return true;
  const { allow, deny } = permissions.publish;
  const reachable = allow === null ? [pattern] : allow.flatMap((a) => intersection(a, pattern) ?? []);
  return reachable.some((subjects) => !coveredTogether(deny, subjects));
}

const PRIVILEGES: [Privilege, string][] = [
  ['all-subjects', '>'],
  ['jetstream-api', '$JS.API.>'],
  ['system', '$SYS.>'],
];

/**
 * The JetStream API subjects (nats-server `jetstream_api.go`) that delete or alter what a stream holds, for any
 * stream: the stream itself, a purge, one message, its settings (limits, deny_delete, its subjects), and every
 * stream of an account (`$JS.API.ACCOUNT.PURGE.*`: accepted from the system account only, listed all the same).
 */
export const DESTRUCTIVE_STREAM_API = [
  '$JS.API.STREAM.DELETE.*',
  '$JS.API.STREAM.PURGE.*',
  '$JS.API.STREAM.MSG.DELETE.*',
  '$JS.API.STREAM.UPDATE.*',
  '$JS.API.ACCOUNT.PURGE.*',
] as const;

/**
 * Deleting a consumer: it removes messages only from a stream whose retention is interest or work queue (their
 * messages go when no consumer wants them any more); of a limits stream, the audit streams among them, it removes
 * none. The read-only list holds it, for the report's own ordered consumers.
 */
export const CONSUMER_DELETE = '$JS.API.CONSUMER.DELETE.*.*';

/** A way a published subject reaches another: an account's subject mapping or a service import. */
export interface Route {
  /** What the user publishes. */
  from: string;
  /** Where it arrives, as a pattern (mapping functions widened to wildcards). */
  to: string;
}

/** What, besides a user's permissions, decides whether it may delete or alter stream data. */
export interface PrivilegeContext {
  /** Its account's subject mappings and chosen service imports (routesOf). */
  routes: Route[];
  /**
   * Its account's streams whose messages a consumer's deletion removes (interest, work queue); null when the
   * account's streams are not known, so that deleting any consumer counts.
   */
  consumerBound: string[] | null;
}

/** Nothing known about the account: every consumer deletion counts. */
export const UNKNOWN_ACCOUNT: PrivilegeContext = { routes: [], consumerBound: null };

/**
 * The routes of an account: its subject mappings and the services it chose to import (the server's automatic
 * imports arrive under their own subjects, so they reach nothing a user's own permissions do not already say).
 */
export function routesOf(account: AccountAccess | undefined): Route[] {
  if (!account) return [];
  return [
    ...account.mappings.flatMap((m) => m.to.map((t) => ({ from: m.from, to: widened(t.subject) }))),
    ...account.imports
      .filter((i) => i.type === 'service' && !i.automatic)
      .map((i) => ({ from: i.localSubject, to: i.subject })),
  ];
}

/**
 * A mapping's destination as a pattern: from its first function (`{{wildcard(1)}}`, `{{split(…)}}`, `$1`) on, any
 * tokens, since a function may put in one token or several. Wider than the truth: it flags rather than misses.
 */
function widened(destination: string): string {
  const tokens = destination.split('.');
  const first = tokens.findIndex((t) => t.includes('{{') || /\$\d/.test(t));
  return first === -1 ? destination : [...tokens.slice(0, first), '>'].join('.');
}

/**
 * The privileges a user holds: publishing anything, the whole JetStream API or the system account's subjects (every
 * subject of the pattern), and (rules 2) a subject that deletes or alters a stream's data, for at least one stream.
 * Directly, that is exact (allow and deny lists with their wildcards, mayPublishSome). Through a route it is not:
 * a route counts when the user may publish any subject of its `from` and its `to` reaches such a subject (any
 * consumer's deletion included, the other account's streams being unknown), though only some of those subjects
 * may arrive there; what the server states does not decide which, so the user is flagged rather than missed.
 */
export function privilegesOf(
  permissions: Permissions | null,
  rules: AccessRules = 2,
  context: PrivilegeContext = UNKNOWN_ACCOUNT,
): Privilege[] {
  const held = PRIVILEGES.filter(([, pattern]) => mayPublishAll(permissions, pattern, rules)).map(([p]) => p);
  if (rules === 1) return held;
  const consumers =
    context.consumerBound === null
      ? [CONSUMER_DELETE]
      : context.consumerBound.map((stream) => `$JS.API.CONSUMER.DELETE.${stream}.*`);
  const direct = [...DESTRUCTIVE_STREAM_API, ...consumers].some((d) => mayPublishSome(permissions, d));
  const routed = context.routes.some(
    (r) =>
      [...DESTRUCTIVE_STREAM_API, CONSUMER_DELETE].some((d) => overlaps(r.to, d)) &&
      mayPublishSome(permissions, r.from),
  );
  return direct || routed ? [...held, 'jetstream-destructive'] : held;
}

/**
 * The publish permissions not covered by the read-only list, sorted; `>` when the user may publish everything not
 * denied (no allow list at all). Rules 1 took an entry as covered only when one read-only entry covered it.
 */
export function beyondReadOnly(
  permissions: Permissions | null,
  readOnly: readonly string[],
  rules: AccessRules = 2,
): string[] {
  if (permissions === null || permissions.publish.allow === null) return ['>'];
  const covered = (subject: string) =>
    rules === 1 ? readOnly.some((r) => covers(r, subject)) : coveredTogether(readOnly, subject);
  return permissions.publish.allow.filter((subject) => !covered(subject)).sort();
}

/** Permissions in one order, so that two reports compare equal when the server lists them differently. */
export function normalisedPermissions(permissions: Permissions): Permissions {
  const sorted = (list: string[] | null) => (list === null ? null : [...new Set(list)].sort());
  return {
    publish: { allow: sorted(permissions.publish.allow), deny: sorted(permissions.publish.deny) ?? [] },
    subscribe: { allow: sorted(permissions.subscribe.allow), deny: sorted(permissions.subscribe.deny) ?? [] },
    responses: permissions.responses,
  };
}

/** Permissions in words for a change's before and after: "publish: a, b; subscribe: c" (null: unrestricted). */
export function permissionsText(permissions: Permissions | null): string {
  if (permissions === null) return 'unrestricted';
  const part = (name: string, p: { allow: string[] | null; deny: string[] }) =>
    `${name} ${p.allow === null ? 'any' : p.allow.length ? p.allow.join(', ') : 'none'}` +
    (p.deny.length ? ` except ${p.deny.join(', ')}` : '');
  const responses = permissions.responses ? `; responses ${permissions.responses.max}` : '';
  return `${part('publish', permissions.publish)}; ${part('subscribe', permissions.subscribe)}${responses}`;
}
