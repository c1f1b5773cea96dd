/**
 * Reading the servers' answers (nats-server's `server/monitor.go` and `events.go` shapes) into the access facts.
 * Pure and defensive: an answer is data as received, so a field of the wrong type is left out, never trusted, and
 * every list is bounded.
 */
import type { AccountAccess, AccountExport, AccountImport, Permissions, ServerFacts, StreamSettings } from './model.js';

/** Lists read from an answer keep at most this many entries (subjects, accounts, streams). */
export const MAX_ANSWER_LIST = 2000;

type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const bool = (v: unknown): boolean => v === true;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v.slice(0, MAX_ANSWER_LIST) : []);
const strings = (v: unknown): string[] => list(v).filter((s): s is string => typeof s === 'string');
/** A time the server sends as RFC 3339; Go's zero time means "never". */
const time = (v: unknown): string | null => {
  const s = str(v);
  return s === null || s.startsWith('0001-01-01') ? null : s;
};

/** Seconds since the epoch (JWT `iat`, `exp`, revocations) as RFC 3339; 0, absent or beyond any date: null. */
export function unixTime(v: unknown): string | null {
  const n = num(v);
  if (n === null || n <= 0) return null;
  const date = new Date(n * 1000);
  return Number.isNaN(date.getTime()) ? null : date.toISOString().replace('.000Z', 'Z');
}

/**
 * `{allow, deny}` as the server and JWTs state it: an absent allow list allows everything not denied. A user JWT's
 * empty lists state nothing (nats-server's buildPermissionsFromJwt keeps a side only when one of its lists has an
 * entry), so `{allow: []}` alone is everything, not nothing.
 */
function permission(v: unknown, form: 'server' | 'jwt'): { allow: string[] | null; deny: string[] } {
  if (!isObj(v) || (form === 'jwt' && !listed(v))) return { allow: null, deny: [] };
  return { allow: Array.isArray(v.allow) ? strings(v.allow) : null, deny: strings(v.deny) };
}

/** Whether a JWT's `{allow, deny}` has an entry in either list. */
const listed = (x: Obj) =>
  (Array.isArray(x.allow) && x.allow.length > 0) || (Array.isArray(x.deny) && x.deny.length > 0);

/**
 * Permissions as USER.INFO states them (`publish`/`subscribe`/`responses`) or a user JWT carries them
 * (`pub`/`sub`/`resp`); null when nothing is stated: the user is unrestricted.
 */
export function permissionsOf(v: unknown, form: 'server' | 'jwt'): Permissions | null {
  if (!isObj(v)) return null;
  const [pub, sub, resp] = form === 'server' ? ['publish', 'subscribe', 'responses'] : ['pub', 'sub', 'resp'];
  const stated = (x: unknown) =>
    isObj(x) && (form === 'jwt' ? listed(x) : Array.isArray(x.allow) || Array.isArray(x.deny));
  if (!stated(v[pub!]) && !stated(v[sub!]) && !isObj(v[resp!])) return null;
  const r = v[resp!];
  return {
    publish: permission(v[pub!], form),
    subscribe: permission(v[sub!], form),
    responses: isObj(r) ? { max: num(r.max) ?? 1, ttl: r.ttl === undefined ? null : String(r.ttl) } : null,
  };
}

/** A VARZ answer's facts. */
export function serverFacts(data: unknown): ServerFacts | null {
  if (!isObj(data)) return null;
  const name = str(data.server_name);
  const id = str(data.server_id);
  const version = str(data.version);
  if (name === null || id === null || version === null) return null;
  const js = isObj(data.jetstream) && isObj(data.jetstream.config) ? data.jetstream.config : null;
  return {
    name,
    id,
    version,
    start: time(data.start),
    configLoadTime: time(data.config_load_time),
    configDigest: str(data.config_digest),
    authRequired: bool(data.auth_required),
    tlsRequired: bool(data.tls_required),
    tlsVerify: bool(data.tls_verify),
    tlsCertNotAfter: time(data.tls_cert_not_after),
    systemAccount: str(data.system_account),
    maxPayload: num(data.max_payload),
    maxConnections: num(data.max_connections),
    jetstream: js ? { maxMemory: num(js.max_memory) ?? 0, maxStorage: num(js.max_storage) ?? 0 } : null,
  };
}

/** The accounts an ACCOUNTZ answer lists (without the global account `$G`, which no configured user is in). */
export function accountzAccounts(data: unknown): string[] {
  return isObj(data) ? strings(data.accounts).filter((a) => a !== '$G') : [];
}

/**
 * The imports every account gets from the system account without anyone configuring them (user info, account
 * statistics and connections of its own, the JetStream API of a domain), and an account's imports of itself (the
 * system account's own, which nats-server 2.9 adds on a reload): shown apart, not as an account's choice.
 */
export function isAutomaticImport(
  i: { subject: string; localSubject: string; account: string },
  owner: string,
  system: string | null,
): boolean {
  if (i.account === owner) return true;
  if (system !== null && i.account !== system) return false;
  const own = [`$SYS.REQ.ACCOUNT.${owner}.CONNZ`, `$SYS.REQ.ACCOUNT.${owner}.STATZ`, `$SYS.REQ.USER.${owner}.INFO`];
  // nats-server 2.9 imports these under their own names into every account.
  const unnamed = [
    '$SYS.REQ.ACCOUNT.PING.CONNZ',
    '$SYS.REQ.ACCOUNT.PING.STATZ',
    '$SYS.REQ.SERVER.PING.CONNZ',
    '$JS.API.>',
  ];
  return own.includes(i.subject) || (unnamed.includes(i.subject) && i.localSubject === i.subject);
}

/** An ACCOUNT.<acc>.INFO answer's account: imports, exports, mappings, revocations, the account JWT's facts. */
export function accountAccess(data: unknown, system: string | null): AccountAccess | null {
  if (!isObj(data)) return null;
  const account = str(data.account_name);
  if (account === null) return null;
  const claims = isObj(data.decoded_jwt) ? data.decoded_jwt : null;
  const nats = claims && isObj(claims.nats) ? claims.nats : null;
  const exports: AccountExport[] = list(data.exports)
    .filter(isObj)
    .flatMap((e) => {
      const subject = str(e.subject);
      const type = e.type === 'service' ? 'service' : e.type === 'stream' ? 'stream' : null;
      if (subject === null || type === null) return [];
      const approved = Array.isArray(e.approved_accounts) ? strings(e.approved_accounts).sort() : null;
      return [{ subject, type, approvedAccounts: approved, tokenRequired: bool(e.token_req) }];
    });
  const imports: AccountImport[] = list(data.imports)
    .filter(isObj)
    .flatMap((i) => {
      const subject = str(i.subject);
      const from = str(i.account);
      const type: AccountImport['type'] | null =
        i.type === 'service' ? 'service' : i.type === 'stream' ? 'stream' : null;
      if (subject === null || from === null || type === null) return [];
      const localSubject = str(i.local_subject) ?? subject;
      const entry = { subject, account: from, localSubject, type };
      return [{ ...entry, automatic: isAutomaticImport(entry, account, system) }];
    });
  const mappings = isObj(data.mappings)
    ? Object.entries(data.mappings)
        .slice(0, MAX_ANSWER_LIST)
        .map(([from, to]) => ({
          from,
          to: list(to)
            .filter(isObj)
            .map((d) => ({ subject: str(d.subject) ?? '', weight: num(d.weight) ?? 100 })),
        }))
    : [];
  const limits = nats && isObj(nats.limits) ? nats.limits : null;
  return {
    account,
    isSystem: bool(data.is_system) || account === system,
    jetstream: bool(data.jetstream_enabled),
    exports: sortBy(exports, (e) => `${e.type} ${e.subject}`),
    imports: sortBy(imports, (i) => `${i.type} ${i.account} ${i.subject} ${i.localSubject}`),
    mappings: sortBy(mappings, (m) => m.from),
    revocations: revocationsOf(data, nats),
    jetstreamLimits: limits
      ? {
          memory: num(limits.mem_storage) ?? 0,
          storage: num(limits.disk_storage) ?? 0,
          streams: num(limits.streams) ?? 0,
          consumers: num(limits.consumer) ?? 0,
        }
      : null,
    jwt: claims
      ? {
          issuer: str(claims.iss) ?? '',
          issuedAt: unixTime(claims.iat),
          expires: unixTime(claims.exp),
        }
      : null,
  };
}

/** The account JWT's default permissions: what a user JWT that states none is given. */
export function defaultPermissionsOf(data: unknown): Permissions | null {
  if (!isObj(data) || !isObj(data.decoded_jwt) || !isObj(data.decoded_jwt.nats)) return null;
  return permissionsOf(data.decoded_jwt.nats.default_permissions, 'jwt');
}

/**
 * The keys that may issue the account's users: its own key and its signing keys (plain or scoped); null when the
 * server gave no account JWT (configuration-file mode, or the account's INFO was not read).
 */
export function userIssuers(data: unknown): Set<string> | null {
  if (!isObj(data) || !isObj(data.decoded_jwt) || !isObj(data.decoded_jwt.nats)) return null;
  const keys = new Set<string>();
  const own = str(data.decoded_jwt.sub);
  if (own !== null) keys.add(own);
  for (const k of list(data.decoded_jwt.nats.signing_keys)) {
    if (typeof k === 'string') keys.add(k);
    else if (isObj(k) && typeof k.key === 'string') keys.add(k.key);
  }
  return keys;
}

/** A scoped signing key's user template: the permissions of every user it issues (whatever their JWT says). */
export function scopedSigningKeys(data: unknown): Map<string, Permissions | null> {
  const scopes = new Map<string, Permissions | null>();
  if (!isObj(data) || !isObj(data.decoded_jwt) || !isObj(data.decoded_jwt.nats)) return scopes;
  for (const k of list(data.decoded_jwt.nats.signing_keys)) {
    if (isObj(k) && k.kind === 'user_scope' && typeof k.key === 'string')
      scopes.set(k.key, permissionsOf(k.template, 'jwt'));
  }
  return scopes;
}

function revocationsOf(data: Obj, nats: Obj | null): { user: string; before: string }[] {
  const out = new Map<string, string>();
  if (nats && isObj(nats.revocations))
    for (const [user, at] of Object.entries(nats.revocations)) {
      const before = unixTime(at);
      if (before !== null) out.set(user, before);
    }
  if (isObj(data.revoked_user))
    for (const [user, at] of Object.entries(data.revoked_user)) {
      const before = time(at);
      if (before !== null && !out.has(user)) out.set(user, before);
    }
  return [...out]
    .slice(0, MAX_ANSWER_LIST)
    .map(([user, before]) => ({ user, before }))
    .sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
}

/** Every stream of a JSZ answer (`accounts`, `streams` and `config` asked) with its settings. */
export function jszStreams(data: unknown): StreamSettings[] {
  if (!isObj(data)) return [];
  return list(data.account_details)
    .filter(isObj)
    .flatMap((acc) => {
      const account = str(acc.id) ?? str(acc.name);
      if (account === null) return [];
      return list(acc.stream_detail)
        .filter(isObj)
        .flatMap((s) => {
          const c = isObj(s.config) ? s.config : null;
          const stream = str(s.name) ?? (c ? str(c.name) : null);
          if (stream === null || c === null) return [];
          return [
            {
              account,
              stream,
              subjects: strings(c.subjects),
              storage: str(c.storage) ?? '',
              retention: str(c.retention) ?? '',
              discard: str(c.discard) ?? '',
              replicas: num(c.num_replicas) ?? 1,
              maxMsgs: num(c.max_msgs) ?? -1,
              maxBytes: num(c.max_bytes) ?? -1,
              maxAge: num(c.max_age) ?? 0,
              maxMsgsPerSubject: num(c.max_msgs_per_subject) ?? -1,
              denyDelete: bool(c.deny_delete),
              denyPurge: bool(c.deny_purge),
              allowRollup: bool(c.allow_rollup_hdrs),
              sealed: bool(c.sealed),
              mirror: isObj(c.mirror) ? str(c.mirror.name) : null,
              sources: list(c.sources)
                .filter(isObj)
                .map((x) => str(x.name) ?? '')
                .filter((n) => n !== ''),
            },
          ];
        });
    });
}

function sortBy<T>(items: T[], key: (t: T) => string): T[] {
  return items
    .map((item) => ({ item, k: key(item) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .map(({ item }) => item);
}
