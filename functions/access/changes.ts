/**
 * What differs between the previous daily report's access and this one's: imports and exports added or removed,
 * users' permissions changed, a configuration reload, a restart or an upgrade, a stream's limits or flags changed,
 * revocations added or lifted, mappings, an account's JetStream limits and its JWT's expiry and issuer. Pure; each
 * change becomes an incident (analysis/detection/access-change.ts).
 */
import type {
  AccessChange,
  AccessSection,
  AccountAccess,
  AccountExport,
  AccountImport,
  Permissions,
  StreamSettings,
} from './model.js';
import { normalisedPermissions, permissionsText } from './permissions.js';

/** Changes listed at most (a wholesale reconfiguration is summarised by its first ones, and the count says so). */
export const MAX_CHANGES = 500;

/** How accounts and users are shown in a change's words: their JWT names beside the keys (text/named.ts). */
export interface Namer {
  account(key: string): string;
  user(account: string, user: string): string;
}

export function accessChanges(previous: AccessSection, current: AccessSection, names: Namer): AccessChange[] {
  return allAccessChanges(previous, current, names).slice(0, MAX_CHANGES);
}

/** Every change, unbounded: deriveAccess lists the first MAX_CHANGES and states how many there were. */
export function allAccessChanges(previous: AccessSection, current: AccessSection, names: Namer): AccessChange[] {
  return [
    ...serverChanges(previous, current),
    ...accountChanges(previous.accounts, current.accounts, names),
    ...userChanges(previous, current, names),
    ...streamChanges(previous.streams, current.streams, names),
  ];
}

function change(
  kind: AccessChange['kind'],
  subject: string,
  detail: string,
  before: string | null,
  after: string | null,
  at: string | null = null,
): AccessChange {
  return { kind, subject, detail, at, before, after };
}

function serverChanges(previous: AccessSection, current: AccessSection): AccessChange[] {
  const before = new Map(previous.servers.map((s) => [s.name, s]));
  return current.servers.flatMap((now) => {
    const was = before.get(now.name);
    if (!was) return [];
    const out: AccessChange[] = [];
    const subject = `server ${now.name}`;
    if (was.version !== now.version)
      out.push(
        change(
          'server-upgraded',
          subject,
          `${subject} runs ${now.version} (was ${was.version})`,
          was.version,
          now.version,
          now.start,
        ),
      );
    if (was.start !== now.start)
      out.push(
        change(
          'server-restarted',
          subject,
          `${subject} restarted (its configuration loaded anew)`,
          was.start,
          now.start,
          now.start,
        ),
      );
    else if (was.configLoadTime !== now.configLoadTime || was.configDigest !== now.configDigest)
      out.push(
        change(
          'configuration-reloaded',
          subject,
          `${subject} reloaded its configuration`,
          was.configDigest ?? was.configLoadTime,
          now.configDigest ?? now.configLoadTime,
          now.configLoadTime,
        ),
      );
    return out;
  });
}

const exportKey = (e: AccountExport) => {
  const to = e.approvedAccounts === null ? 'every account' : e.approvedAccounts.join(', ') || 'no account';
  return `${e.type} ${e.subject} to ${to}${e.tokenRequired ? ' (token required)' : ''}`;
};
const importKey = (i: AccountImport) =>
  `${i.type} ${i.subject} from ${i.account}${i.localSubject !== i.subject ? ` as ${i.localSubject}` : ''}`;

function accountChanges(previous: AccountAccess[], current: AccountAccess[], names: Namer): AccessChange[] {
  const before = new Map(previous.map((a) => [a.account, a]));
  return current.flatMap((now) => {
    const was = before.get(now.account);
    if (!was) return [];
    const subject = `account ${names.account(now.account)}`;
    const chosen = (list: AccountImport[]) => list.filter((i) => !i.automatic);
    const stillRevoked = new Set(now.revocations.map((r) => r.user));
    return [
      ...added(was.exports.map(exportKey), now.exports.map(exportKey)).map((k) =>
        change('export-added', subject, `${subject} exports ${k}`, null, k),
      ),
      ...added(now.exports.map(exportKey), was.exports.map(exportKey)).map((k) =>
        change('export-removed', subject, `${subject} no longer exports ${k}`, k, null),
      ),
      ...added(chosen(was.imports).map(importKey), chosen(now.imports).map(importKey)).map((k) =>
        change('import-added', subject, `${subject} imports ${k}`, null, k),
      ),
      ...added(chosen(now.imports).map(importKey), chosen(was.imports).map(importKey)).map((k) =>
        change('import-removed', subject, `${subject} no longer imports ${k}`, k, null),
      ),
      ...added(
        was.revocations.map((r) => `${r.user} (issued before ${r.before})`),
        now.revocations.map((r) => `${r.user} (issued before ${r.before})`),
      ).map((k) => change('revocation-added', subject, `${subject} revoked user ${k}`, null, k)),
      // Lifted: the user has no revocation left (one with another time is a revocation added, above).
      ...was.revocations
        .filter((r) => !stillRevoked.has(r.user))
        .map((r) => `${r.user} (issued before ${r.before})`)
        .map((k) => change('revocation-removed', subject, `${subject} lifted the revocation of user ${k}`, k, null)),
      ...jwtChanges(was, now, subject),
      ...(JSON.stringify(was.mappings) !== JSON.stringify(now.mappings)
        ? [
            change(
              'mapping-changed',
              subject,
              `${subject} changed its subject mappings`,
              mappingsText(was.mappings),
              mappingsText(now.mappings),
            ),
          ]
        : []),
    ];
  });
}

/**
 * The account JWT's JetStream limits, expiry and issuer (a different operator, or another of its signing keys).
 * Compared only where both reports read the account's JWT: an answer without one says nothing about the account.
 */
function jwtChanges(was: AccountAccess, now: AccountAccess, subject: string): AccessChange[] {
  const out: AccessChange[] = [];
  const limits = (a: AccountAccess) => (a.jetstreamLimits === null ? 'not stated' : limitsText(a.jetstreamLimits));
  if (was.jwt !== null && now.jwt !== null && limits(was) !== limits(now))
    out.push(
      change(
        'jetstream-limits-changed',
        subject,
        `${subject} has other JetStream limits`,
        limits(was),
        limits(now),
        now.jwt.issuedAt,
      ),
    );
  if (was.jwt === null || now.jwt === null) return out;
  if (was.jwt.expires !== now.jwt.expires) {
    const expiry = (at: string | null) => at ?? 'never';
    out.push(
      change(
        'account-expiry-changed',
        subject,
        `${subject}'s JWT ${now.jwt.expires === null ? 'never expires' : `expires ${now.jwt.expires}`} ` +
          `(was ${expiry(was.jwt.expires)})`,
        expiry(was.jwt.expires),
        expiry(now.jwt.expires),
        now.jwt.issuedAt,
      ),
    );
  }
  if (was.jwt.issuer !== now.jwt.issuer)
    out.push(
      change(
        'account-issuer-changed',
        subject,
        `${subject}'s JWT is signed by ${now.jwt.issuer} (was ${was.jwt.issuer})`,
        was.jwt.issuer,
        now.jwt.issuer,
        now.jwt.issuedAt,
      ),
    );
  return out;
}

/** An account's JetStream limits in a change's words; -1 is unlimited. */
function limitsText(l: NonNullable<AccountAccess['jetstreamLimits']>): string {
  const n = (v: number) => (v < 0 ? 'unlimited' : String(v));
  return `memory ${n(l.memory)}, storage ${n(l.storage)}, streams ${n(l.streams)}, consumers ${n(l.consumers)}`;
}

function mappingsText(mappings: AccountAccess['mappings']): string {
  if (mappings.length === 0) return 'none';
  return mappings.map((m) => `${m.from} → ${m.to.map((t) => `${t.subject} (${t.weight}%)`).join(', ')}`).join('; ');
}

function userChanges(previous: AccessSection, current: AccessSection, names: Namer): AccessChange[] {
  const key = (u: { account: string; user: string }) => `${u.account}\u0000${u.user}`;
  const known = (u: AccessSection['users'][number]) => u.permissionsFrom !== 'unknown';
  const before = new Map(previous.users.filter(known).map((u) => [key(u), u]));
  const out: AccessChange[] = [];
  const compare = (
    was: Permissions | null,
    now: Permissions | null,
    user: { account: string; user: string },
    who: string,
  ) => {
    const a = permissionsText(was && normalisedPermissions(was));
    const b = permissionsText(now && normalisedPermissions(now));
    const shown = names.user(user.account, user.user);
    if (a !== b)
      out.push(
        change(
          'permissions-changed',
          `user ${shown}`,
          `${who}${shown} of account ${names.account(user.account)} has other permissions`,
          a,
          b,
        ),
      );
  };
  for (const now of current.users.filter(known)) {
    const was = before.get(key(now));
    if (was) compare(was.permissions, now.permissions, now, 'user ');
  }
  const r0 = previous.reportingUser;
  const r1 = current.reportingUser;
  // Compared above only when both reports list it among their users with known permissions.
  const comparedAbove = (u: { account: string; user: string }) =>
    before.has(key(u)) && current.users.some((c) => known(c) && key(c) === key(u));
  if (r0 && r1 && r0.user === r1.user && r0.account === r1.account && !comparedAbove(r1))
    compare(r0.permissions, r1.permissions, r1, 'the reporting user ');
  return out;
}

const STREAM_FIELDS = [
  'subjects',
  'storage',
  'retention',
  'discard',
  'replicas',
  'maxMsgs',
  'maxBytes',
  'maxAge',
  'maxMsgsPerSubject',
  'denyDelete',
  'denyPurge',
  'allowRollup',
  'sealed',
  'mirror',
  'sources',
] as const satisfies readonly (keyof StreamSettings)[];

function streamChanges(previous: StreamSettings[], current: StreamSettings[], names: Namer): AccessChange[] {
  const key = (s: StreamSettings) => `${s.account}\u0000${s.stream}`;
  const before = new Map(previous.map((s) => [key(s), s]));
  return current.flatMap((now) => {
    const was = before.get(key(now));
    if (!was) return [];
    const fields = STREAM_FIELDS.filter((f) => JSON.stringify(was[f]) !== JSON.stringify(now[f]));
    if (fields.length === 0) return [];
    const show = (s: StreamSettings) => fields.map((f) => `${f} ${JSON.stringify(s[f])}`).join(', ');
    return [
      change(
        'stream-settings-changed',
        // Stream names are per account: the subject names both, so two accounts' streams are two incidents.
        `stream ${now.stream} of account ${names.account(now.account)}`,
        `stream ${now.stream} of account ${names.account(now.account)} changed ${fields.join(', ')}`,
        show(was),
        show(now),
      ),
    ];
  });
}

/** The keys of `after` not in `before`, in order, once each. */
function added(before: string[], after: string[]): string[] {
  const had = new Set(before);
  return [...new Set(after)].filter((k) => !had.has(k));
}
