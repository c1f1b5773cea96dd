/**
 * report.json's `access`, derived from the servers' answers as recorded (inputs.access), the users the period's
 * connect events showed (with their JWTs in operator mode) and the previous daily report's access. Pure: the run
 * and `verify --recompute` derive it the same way from the same data.
 */
import { named } from '../text/named.js';
import {
  accountAccess,
  defaultPermissionsOf,
  isObj,
  jszStreams,
  permissionsOf,
  scopedSigningKeys,
  userIssuers,
  serverFacts,
  str,
} from './answers.js';
import { allAccessChanges, MAX_CHANGES } from './changes.js';
import {
  ACCESS_RULES,
  type AccessAnswer,
  type AccessRules,
  type AccessSection,
  type AccountAccess,
  type Permissions,
  RULES_1_CHANGE_KINDS,
  type RecordedAccess,
  type ReportingUser,
  type ServerFacts,
  type StreamSettings,
  type UserAccess,
} from './model.js';
import { beyondReadOnly, type PrivilegeContext, privilegesOf, routesOf } from './permissions.js';
import { userClaims } from './user-jwt.js';

/** A user the period's connect and disconnect events showed, with the JWT of the latest one (operator mode). */
export interface UserSeen {
  account: string;
  user: string;
  userName?: string;
  jwt?: { token: string; seenAt: string };
}

export interface AccessFacts {
  recorded: RecordedAccess;
  users: UserSeen[];
  /** The subjects the reporting user may publish and still be read-only (parameters: access.readOnlyPublish). */
  readOnly: string[];
  /** The previous daily report's access; null when there is none to compare with. */
  previous: AccessSection | null;
  /** The rules to derive with (model.ts ACCESS_RULES): a report's own, from its parameters; the current by default. */
  rules?: AccessRules;
}

/** An account's public key (operator mode). */
const ACCOUNT_KEY = /^A[A-Z2-7]{55}$/;

/** How privileges are judged: the rules, and what a user's account adds to its permissions (permissions.ts). */
interface Judging {
  rules: AccessRules;
  context(account: string): PrivilegeContext;
}

const LABELS: Record<AccessAnswer['request'], string> = {
  'user-info': "the reporting user's permissions ($SYS.REQ.USER.INFO)",
  varz: "the servers' settings ($SYS.REQ.SERVER.PING.VARZ)",
  jsz: "the streams' settings ($SYS.REQ.SERVER.PING.JSZ)",
  accountz: 'the list of accounts ($SYS.REQ.SERVER.PING.ACCOUNTZ)',
  'account-info': "an account's imports, exports and revocations",
  'own-connection': "the report's own connection ($SYS.REQ.ACCOUNT.PING.CONNZ)",
};

export function deriveAccess(facts: AccessFacts): AccessSection {
  const { recorded } = facts;
  const rules = facts.rules ?? ACCESS_RULES;
  const answered = (request: AccessAnswer['request']) =>
    recorded.answers.filter((a) => a.request === request && a.error === null);
  const servers = uniqueBy(
    answered('varz').flatMap((a) => serverFacts(a.data) ?? []),
    (s) => s.name,
  ).sort(byKey((s: ServerFacts) => s.name));
  const system =
    servers.find((s) => s.systemAccount !== null)?.systemAccount ??
    answered('accountz')
      .map((a) => (isObj(a.data) ? str(a.data.system_account) : null))
      .find((s) => s !== null) ??
    null;

  const infos = answered('account-info');
  const accounts: AccountAccess[] = uniqueBy(
    infos.flatMap((a) => {
      const access = accountAccess(a.data, system);
      if (!access) return [];
      const name = isObj(a.data) ? str(a.data.name_tag) : null;
      return [name && name !== access.account ? { ...access, accountName: name } : access];
    }),
    (a) => a.account,
  ).sort(byKey((a: AccountAccess) => a.account));
  const accountName = new Map(accounts.flatMap((a) => (a.accountName ? [[a.account, a.accountName] as const] : [])));
  const showAccount = (key: string) => named(key, accountName.get(key));
  const streams = uniqueBy(
    answered('jsz').flatMap((a) => jszStreams(a.data)),
    (s) => `${s.account}\u0000${s.stream}`,
  )
    .map((s): StreamSettings => (accountName.has(s.account) ? { ...s, accountName: accountName.get(s.account)! } : s))
    .sort(byKey((s: StreamSettings) => `${s.account}\u0000${s.stream}`));

  // Every server's streams, or the account's consumer deletions cannot be judged by its streams' retention.
  const streamsKnown =
    answered('jsz').length > 0 &&
    !recorded.answers.some((a) => a.request === 'jsz' && a.error !== null) &&
    !recorded.omitted.some((o) => o.request === 'jsz');
  const judging: Judging = {
    rules,
    context: (account) => ({
      routes: routesOf(accounts.find((a) => a.account === account)),
      consumerBound: streamsKnown
        ? streams.filter((s) => s.account === account && s.retention !== 'limits').map((s) => s.stream)
        : null,
    }),
  };

  const userInfo = answered('user-info')[0];
  const reportingUser = reportingUserOf(userInfo?.data, recorded.source, facts.readOnly, judging);
  const operator =
    accounts.some((a) => ACCOUNT_KEY.test(a.account)) ||
    (reportingUser !== null && ACCOUNT_KEY.test(reportingUser.account));

  const infoByAccount = new Map(
    infos.flatMap((a) => {
      const name = isObj(a.data) ? str(a.data.account_name) : null;
      return name === null ? [] : [[name, a.data] as const];
    }),
  );
  const users = facts.users.map((seen) =>
    userAccess(seen, infoByAccount, accounts, reportingUser, accountName, judging),
  );
  const own = answered('own-connection')[0]?.data;
  const fromJwt = reportingUser ?? reportingUserFromJwt(own, facts, infoByAccount, accounts, judging);
  const reporting = fromJwt && withNames(fromJwt, accountName, users, ownConnection(own));
  const userName = new Map(users.map((u) => [`${u.account}\u0000${u.user}`, u.userName]));

  const section: AccessSection = {
    collectedAt: recorded.collectedAt,
    mode: operator ? 'operator' : 'configuration-file',
    servers,
    accounts,
    reportingUser: reporting,
    users,
    streams,
    changes: [],
    limits: limitsOf(recorded, operator, servers, accounts, facts.previous !== null),
  };
  if (facts.previous) {
    const changes = allAccessChanges(facts.previous, section, {
      account: showAccount,
      user: (account, user) => named(user, userName.get(`${account}\u0000${user}`)),
    }).filter((c) => rules !== 1 || (RULES_1_CHANGE_KINDS as readonly string[]).includes(c.kind));
    section.changes = changes.slice(0, MAX_CHANGES);
    if (changes.length > MAX_CHANGES)
      section.limits.push(
        `changes: ${changes.length} differences from the previous daily report; the first ${MAX_CHANGES} are listed`,
      );
  }
  return section;
}

function reportingUserOf(data: unknown, source: string, readOnly: string[], judging: Judging): ReportingUser | null {
  if (!isObj(data)) return null;
  const user = str(data.user);
  const account = str(data.account);
  if (user === null || account === null) return null;
  const permissions = permissionsOf(data.permissions, 'server');
  return {
    source,
    account,
    user,
    permissions,
    permissionsFrom: 'user-info',
    beyondReadOnly: beyondReadOnly(permissions, readOnly, judging.rules),
    privileges: privilegesOf(permissions, judging.rules, judging.context(account)),
  };
}

/**
 * The reporting user from the JWT its own connection logged in with (operator mode, where the server answers no
 * USER.INFO): its permissions as the server applies them (the JWT's, its signing key's scope, or the account's
 * defaults). Null outside operator mode, or when the JWT is not the account's own.
 */
function reportingUserFromJwt(
  data: unknown,
  facts: AccessFacts,
  infoByAccount: Map<string, unknown>,
  accounts: AccountAccess[],
  judging: Judging,
): ReportingUser | null {
  const own = ownConnection(data);
  if (own === null || own.jwt === null) return null;
  const { account, user } = own;
  const seen = { account, user, jwt: { token: own.jwt, seenAt: facts.recorded.collectedAt } };
  const access = userAccess(seen, infoByAccount, accounts, null, new Map(), judging);
  if (access.jwt === null || access.flags.includes('invalid-signature') || access.flags.includes('foreign-issuer'))
    return null;
  const permissionsFrom = access.permissionsFrom === 'unknown' ? 'user-jwt' : access.permissionsFrom;
  if (permissionsFrom === 'user-info') return null;
  return {
    source: facts.recorded.source,
    account,
    user,
    permissions: access.permissions,
    permissionsFrom,
    beyondReadOnly: beyondReadOnly(access.permissions, facts.readOnly, judging.rules),
    privileges: access.privileges,
  };
}

/** The report's own connection as its CONNZ entry states it: its user, account, JWT and the JWT's name. */
function ownConnection(
  data: unknown,
): { user: string; account: string; jwt: string | null; name: string | null } | null {
  const connection = isObj(data) && Array.isArray(data.connections) ? data.connections[0] : undefined;
  if (!isObj(connection)) return null;
  const user = str(connection.authorized_user);
  const account = str(connection.account);
  if (user === null || account === null) return null;
  return { user, account, jwt: str(connection.jwt), name: str(connection.name_tag) };
}

function withNames(
  user: ReportingUser,
  accountName: Map<string, string>,
  users: UserAccess[],
  own: ReturnType<typeof ownConnection>,
): ReportingUser {
  const { source, account, user: key, ...rest } = user;
  const name = accountName.get(account);
  const ownName = own?.user === key && own.account === account && own.name !== key ? own.name : null;
  const userName = users.find((u) => u.account === account && u.user === key)?.userName ?? ownName ?? undefined;
  return {
    source,
    account,
    ...(name ? { accountName: name } : {}),
    user: key,
    ...(userName ? { userName } : {}),
    ...rest,
  };
}

function userAccess(
  seen: UserSeen,
  infoByAccount: Map<string, unknown>,
  accounts: AccountAccess[],
  reportingUser: ReportingUser | null,
  accountName: Map<string, string>,
  judging: Judging,
): UserAccess {
  const base = {
    account: seen.account,
    ...(accountName.has(seen.account) ? { accountName: accountName.get(seen.account)! } : {}),
    user: seen.user,
    ...(seen.userName ? { userName: seen.userName } : {}),
  };
  const claims = seen.jwt ? userClaims(seen.jwt.token) : null;
  if (!seen.jwt || !claims) {
    const isReporting = reportingUser?.account === seen.account && reportingUser.user === seen.user;
    const permissions = isReporting ? reportingUser.permissions : null;
    return {
      ...base,
      permissions,
      permissionsFrom: isReporting ? 'user-info' : 'unknown',
      jwt: null,
      privileges: isReporting ? reportingUser.privileges : [],
      flags: seen.jwt ? ['invalid-signature'] : [],
      seenAt: seen.jwt?.seenAt ?? null,
    };
  }
  const info = infoByAccount.get(seen.account);
  const scope = scopedSigningKeys(info).get(claims.issuer);
  // A valid signature proves only that the key inside the token signed it: that key must be the account's.
  const issuers = userIssuers(info);
  const own = permissionsOf(claims.nats, 'jwt');
  const defaults = defaultPermissionsOf(info);
  const [permissions, permissionsFrom]: [Permissions | null, UserAccess['permissionsFrom']] =
    scope !== undefined
      ? [scope, 'signing-key-scope']
      : own !== null
        ? [own, 'user-jwt']
        : defaults !== null
          ? [defaults, 'account-default']
          : [null, 'user-jwt'];
  const revoked = accounts
    .find((a) => a.account === seen.account)
    ?.revocations.filter((r) => r.user === seen.user || r.user === '*')
    .some(
      (r) =>
        (claims.issuedAt === null || Date.parse(claims.issuedAt) <= Date.parse(r.before)) &&
        Date.parse(seen.jwt!.seenAt) >= Date.parse(r.before),
    );
  return {
    ...base,
    permissions,
    permissionsFrom,
    jwt: {
      issuer: claims.issuer,
      issuedAt: claims.issuedAt,
      expires: claims.expires,
      signatureValid: claims.signatureValid,
    },
    privileges: privilegesOf(permissions, judging.rules, judging.context(seen.account)),
    flags: [
      ...(claims.expires === null ? (['no-expiry'] as const) : []),
      ...(revoked ? (['revoked-but-connected'] as const) : []),
      ...(claims.signatureValid ? [] : (['invalid-signature'] as const)),
      ...(issuers !== null && !issuers.has(claims.issuer) ? (['foreign-issuer'] as const) : []),
    ],
    seenAt: seen.jwt.seenAt,
  };
}

function limitsOf(
  recorded: RecordedAccess,
  operator: boolean,
  servers: ServerFacts[],
  accounts: AccountAccess[],
  compared: boolean,
): string[] {
  const limits: string[] = [];
  const failed = new Set<string>();
  for (const a of recorded.answers) {
    if (a.error === null) continue;
    const key = `${a.request}\u0000${a.error}`;
    if (failed.has(key)) continue;
    failed.add(key);
    limits.push(`${LABELS[a.request]}: not read (${a.subject}: ${a.error})`);
  }
  for (const o of recorded.omitted)
    limits.push(
      `${LABELS[o.request]}: the answer to ${o.subject} (${o.bytes} bytes) is larger than the bound and left out`,
    );
  if (!operator)
    limits.push(
      'users: in configuration-file mode no endpoint lists users or their permissions; the users shown are those ' +
        "seen connecting, and only the reporting user's own permissions are known",
    );
  if (servers.some((s) => s.configDigest === null))
    limits.push(
      'configuration digest: nats-server before 2.11 states none; a reload shows as a new configuration load time',
    );
  // An account JWT states its JetStream limits; a configuration file's account limits no endpoint reports.
  const unstated = accounts.filter((a) => a.jetstream && a.jetstreamLimits === null).map((a) => a.account);
  if (unstated.length)
    limits.push(`JetStream limits of ${unstated.join(', ')}: no endpoint states an account's limits outside its JWT`);
  limits.push('encryption at rest: no endpoint states whether JetStream encrypts what it stores');
  if (!compared) limits.push('changes: no earlier daily report with access evidence to compare with');
  return limits;
}

function uniqueBy<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function byKey<T>(key: (t: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
}
