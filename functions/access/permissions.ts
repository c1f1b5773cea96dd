/**
 * What a set of NATS permissions allows, judged on subjects as patterns: whether one pattern covers another,
 * what lies beyond the reporting user's read-only list, and which privileges a user holds. Pure.
 */
import type { Permissions, Privilege } from './model.js';

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

/** Whether the permissions let a user publish every subject of `pattern` (allowed, and no part of it denied). */
export function mayPublishAll(permissions: Permissions | null, pattern: string): boolean {
  if (permissions === null) return true;
  const { allow, deny } = permissions.publish;
  const allowed = allow === null || allow.some((a) => covers(a, pattern));
  return allowed && !deny.some((d) => overlaps(d, pattern));
}

const PRIVILEGES: [Privilege, string][] = [
  ['all-subjects', '>'],
  ['jetstream-api', '$JS.API.>'],
  ['system', '$SYS.>'],
];

/** The privileges a user holds: publishing anything, the whole JetStream API, or the system account's subjects. */
export function privilegesOf(permissions: Permissions | null): Privilege[] {
  return PRIVILEGES.filter(([, pattern]) => mayPublishAll(permissions, pattern)).map(([privilege]) => privilege);
}

/**
 * The publish permissions not covered by the read-only list, sorted; `>` when the user may publish everything not
 * denied (no allow list at all).
 */
export function beyondReadOnly(permissions: Permissions | null, readOnly: readonly string[]): string[] {
  if (permissions === null || permissions.publish.allow === null) return ['>'];
  return permissions.publish.allow.filter((subject) => !readOnly.some((r) => covers(r, subject))).sort();
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
