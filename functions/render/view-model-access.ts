/**
 * The Access review section of the documents, from report.json `access` (functions/access/model.ts): what changed
 * since the previous daily report, the reporting user and whether it only reads, every user with its permissions
 * (administrators and flags marked), the accounts with their exports and imports, the servers, the streams'
 * settings, and what could not be seen. Plain tables of the view model, so the HTML and the PDF draw it as they
 * draw every other section: bounded, escaped, named the same way.
 */
import type {
  AccessChange,
  AccessChangeKind,
  AccessSection,
  AccountAccess,
  Permissions,
  Privilege,
  ServerFacts,
  StreamSettings,
  UserAccess,
} from '../access/model.js';
import type { ReportV1 } from '../analysis/report-model.js';
import { named } from '../text/named.js';
import { formatDuration, formatNumber, formatTime, NOT_RECORDED } from './format.js';
import type { Cell, Section, Table } from './view-model-types.js';
import { code, col, count, list, num, numCol, status, type TableBuilder, text, time } from './view-model-cells.js';

/** Values shown in one cell (subjects of a permission, sources of a stream); the cell says how many more there are. */
export const MAX_IN_CELL = 12;

const OBJECTIVE =
  'Track access: who may do what (every user, the administrators, the report’s own user), how the accounts and ' +
  'servers are set up, and what changed since the previous daily report.';

const CHANGE_LABELS: Record<AccessChangeKind, string> = {
  'export-added': 'export added',
  'export-removed': 'export removed',
  'import-added': 'import added',
  'import-removed': 'import removed',
  'permissions-changed': 'permissions changed',
  'configuration-reloaded': 'configuration reloaded',
  'server-restarted': 'server restarted',
  'server-upgraded': 'server upgraded',
  'stream-settings-changed': 'stream settings changed',
  'revocation-added': 'revocation added',
  'mapping-changed': 'mapping changed',
  'revocation-removed': 'revocation lifted',
  'jetstream-limits-changed': 'JetStream limits changed',
  'account-expiry-changed': 'account JWT expiry changed',
  'account-issuer-changed': 'account JWT issuer changed',
};

/**
 * What a privilege lets a user publish (`>`, `$JS.API.>`, `$SYS.>`, a JetStream API subject that deletes or alters
 * a stream's data); the May publish column shows the subjects.
 */
const PRIVILEGE_LABELS: Record<Privilege, string> = {
  'all-subjects': 'all subjects',
  'jetstream-api': 'JetStream API',
  system: 'system subjects',
  'jetstream-destructive': 'may delete or alter stream data',
};

const FLAG_LABELS: Record<UserAccess['flags'][number], string> = {
  'no-expiry': 'JWT never expires',
  'revoked-but-connected': 'revoked but connected',
  'invalid-signature': 'invalid JWT signature',
  'foreign-issuer': "JWT not signed by its account's keys",
};

/** The email's line about access changes; null when there are none. */
export function accessChangesLine(access: AccessSection): string | null {
  const n = access.changes.length;
  return n === 0 ? null : `${count(n, 'access change')} since the previous daily report: see Access review.`;
}

export function accessReviewSection(report: ReportV1, access: AccessSection, table: TableBuilder): Section {
  const tz = report.period.timezone;
  const names = nameBook(access);
  const admins = access.users.filter((u) => u.privileges.length > 0).length;
  const flagged = access.users.filter((u) => u.flags.length > 0).length;
  return {
    id: 'access-review',
    title: 'Access review',
    objective: OBJECTIVE,
    paragraphs: [
      `${access.mode === 'operator' ? 'Operator (JWT) mode' : 'Configuration-file mode'}, read at ` +
        `${formatTime(access.collectedAt, tz)}: ${count(access.servers.length, 'server')}, ` +
        `${count(access.accounts.length, 'account')}, ${count(access.users.length, 'user')} ` +
        `(${formatNumber(admins)} with administrative privileges, ${formatNumber(flagged)} flagged), ` +
        `${count(access.streams.length, 'stream')}.`,
      changesSentence(report, access),
      reportingUserSentence(access),
      access.limits.length === 0
        ? 'Every request was answered: nothing is listed as unseen.'
        : `${count(access.limits.length, 'thing')} could not be seen; listed at the end of this section.`,
    ],
    tables: [
      table({
        id: 'access-changes',
        caption: 'Changes since the previous daily report',
        columns: [col('Change', 1), col('Concerns', 1.1), col('What', 2), col('When', 1.3), col('Before → after', 2)],
        rows: access.changes.map(changeRow),
        emptyText: noChangeText(report),
      }),
      reportingUserTable(access, names, table),
      usersTable(access, names, tz, table),
      accountsTable(access, names, tz, table),
      exportsImportsTable(access, names, table),
      serversTable(access, tz, table),
      streamsTable(access, names, table),
      table({
        id: 'access-limits',
        caption: 'What could not be seen',
        columns: [col('Limit', 1)],
        rows: access.limits.map((l) => [text(l)]),
        emptyText: 'Nothing: every request was answered.',
      }),
    ],
  };
}

/**
 * Names by key (operator mode) for the places report.json gives only a key: imports, revocations, issuers. A
 * change's subject and detail come worded, names included (access/changes.ts), and are shown as they are.
 */
interface NameBook {
  account(key: string): string;
  user(key: string): string;
}

function nameBook(access: AccessSection): NameBook {
  const accounts = new Map<string, string>();
  const users = new Map<string, string>();
  for (const a of [...access.accounts, ...access.users, ...access.streams])
    if (a.accountName) accounts.set(a.account, a.accountName);
  for (const u of access.users) if (u.userName) users.set(u.user, u.userName);
  return {
    account: (key) => named(key, accounts.get(key)),
    user: (key) => named(key, users.get(key)),
  };
}

function changesSentence(report: ReportV1, access: AccessSection): string {
  if (access.changes.length > 0) return `${count(access.changes.length, 'change')} since the previous daily report.`;
  return noChangeText(report);
}

/** No change, or nothing to compare with: the previous report is missing or predates the access evidence. */
function noChangeText(report: ReportV1): string {
  const previous = report.inputs?.previous;
  if (previous?.report.access) return 'No change since the previous daily report.';
  if (previous) return 'There is no previous report to compare with: the previous daily report has no access evidence.';
  return 'There is no previous report to compare with.';
}

function reportingUserSentence(access: AccessSection): string {
  const r = access.reportingUser;
  if (r === null) return 'The reporting user could not be identified: see what could not be seen.';
  if (r.permissions === null)
    return 'The reporting user is NOT read-only: the server states no permissions for it, so it may publish anything.';
  if (r.beyondReadOnly.length > 0)
    return (
      `The reporting user is NOT read-only: it may publish ${count(r.beyondReadOnly.length, 'subject')} beyond ` +
      'the read-only list of the README.'
    );
  return 'The reporting user is read-only: it may publish nothing beyond the read-only list of the README.';
}

function changeRow(c: AccessChange): Cell[] {
  return [
    text(CHANGE_LABELS[c.kind]),
    text(c.subject),
    text(c.detail),
    c.at === null ? text('between the two reports') : time(c.at),
    text(c.before === null && c.after === null ? null : `${c.before ?? NOT_RECORDED} → ${c.after ?? NOT_RECORDED}`),
  ];
}

function reportingUserTable(access: AccessSection, names: NameBook, table: TableBuilder): Table {
  const r = access.reportingUser;
  const readOnly = r !== null && r.permissions !== null && r.beyondReadOnly.length === 0;
  return table({
    id: 'access-reporting-user',
    caption: 'The reporting user (the user this report reads with)',
    columns: [
      col('Source', 0.7),
      col('Account', 0.9),
      col('User', 1),
      col('Read-only', 0.9),
      col('May publish', 1.6),
      col('May subscribe', 1.3),
      col('Beyond read-only', 1.3),
      col('Privileges', 1),
    ],
    rows:
      r === null
        ? []
        : [
            [
              code(r.source),
              code(names.account(r.account)),
              text(names.user(r.user)),
              status(readOnly ? 'read-only' : 'not-read-only'),
              text(r.permissions === null ? 'any subject (no permissions stated)' : publishText(r.permissions)),
              text(r.permissions === null ? 'any subject (no permissions stated)' : allowed(r.permissions.subscribe)),
              list(bounded(r.beyondReadOnly), false),
              list(
                r.privileges.map((p) => PRIVILEGE_LABELS[p]),
                false,
              ),
            ],
          ],
    emptyText: 'The reporting user could not be identified: see what could not be seen.',
  });
}

/** Administrators first, then flagged users: a bounded table never leaves them out. */
function usersTable(access: AccessSection, names: NameBook, tz: string, table: TableBuilder): Table {
  const rank = (u: UserAccess) => (u.privileges.length > 0 ? 0 : u.flags.length > 0 ? 1 : 2);
  const users = [...access.users].sort((a, b) => rank(a) - rank(b));
  return table({
    id: 'access-users',
    caption: 'Users and their permissions (administrators and flagged users first)',
    columns: [
      col('Account', 0.9),
      col('User', 1.1),
      col('Administrator', 1.15),
      col('Privileges', 1),
      col('May publish', 1.5),
      col('May subscribe', 1.3),
      col('Flags', 1),
      col('JWT and evidence', 1.4),
    ],
    rows: users.map((u) => [
      code(names.account(u.account)),
      text(named(u.user, u.userName)),
      u.privileges.length > 0 ? status('admin') : text('no'),
      list(
        u.privileges.map((p) => PRIVILEGE_LABELS[p]),
        false,
      ),
      text(userPermissions(u, publishText)),
      text(userPermissions(u, (p) => allowed(p.subscribe))),
      list(
        u.flags.map((f) => FLAG_LABELS[f]),
        false,
      ),
      list(userJwt(u, names, tz), false),
    ]),
    emptyText: 'No user was seen in this period.',
  });
}

/** A user's permissions in words; null permissions are unrestricted unless nobody could say (`unknown`). */
function userPermissions(u: UserAccess, words: (p: Permissions) => string): string {
  if (u.permissionsFrom === 'unknown') return 'not visible (no endpoint states them)';
  return u.permissions === null ? 'any subject (unrestricted)' : words(u.permissions);
}

const PERMISSIONS_FROM: Record<UserAccess['permissionsFrom'], string | null> = {
  'user-jwt': 'permissions from the user JWT',
  'signing-key-scope': 'permissions from the signing key scope',
  'account-default': 'permissions: account defaults',
  'user-info': 'permissions from USER.INFO',
  unknown: null,
};

/** Where the user's permissions come from, its JWT's expiry, issuer and signature, and when it was seen. */
function userJwt(u: UserAccess, names: NameBook, tz: string): string[] {
  const from = PERMISSIONS_FROM[u.permissionsFrom];
  return [
    ...(from === null ? [] : [from]),
    ...(u.jwt === null
      ? []
      : [
          u.jwt.expires === null ? 'never expires' : `expires ${formatTime(u.jwt.expires, tz)}`,
          `issuer ${names.account(u.jwt.issuer)}`,
          ...(u.jwt.signatureValid ? [] : ['signature invalid']),
        ]),
    ...(u.seenAt === null ? [] : [`seen ${formatTime(u.seenAt, tz)}`]),
  ];
}

function accountsTable(access: AccessSection, names: NameBook, tz: string, table: TableBuilder): Table {
  return table({
    id: 'access-accounts',
    caption: 'Accounts',
    columns: [
      col('Account', 1),
      col('Settings', 1),
      col('JetStream limits', 1.3),
      col('Mappings', 1.3),
      col('Revocations', 1.3),
      numCol('Automatic imports', 0.8),
      col('Account JWT', 1.3),
    ],
    rows: access.accounts.map((a) => [
      code(names.account(a.account)),
      list(accountSettings(a), false),
      text(a.jetstreamLimits === null ? null : accountLimits(a.jetstreamLimits)),
      list(bounded(a.mappings.map(mappingText)), false),
      list(
        bounded(
          a.revocations.map(
            (r) => `${r.user === '*' ? 'every user' : names.user(r.user)} before ${formatTime(r.before, tz)}`,
          ),
        ),
        false,
      ),
      num(a.imports.filter((i) => i.automatic).length),
      list(
        a.jwt === null
          ? []
          : [
              a.jwt.expires === null ? 'never expires' : `expires ${formatTime(a.jwt.expires, tz)}`,
              `issuer ${a.jwt.issuer}`,
            ],
        false,
      ),
    ]),
    emptyText: 'No account could be read.',
  });
}

function accountSettings(a: AccountAccess): string[] {
  const chosen = a.imports.filter((i) => !i.automatic).length;
  return [
    ...(a.isSystem ? ['system account'] : []),
    a.jetstream ? 'JetStream enabled' : 'JetStream off',
    count(a.exports.length, 'export'),
    count(chosen, 'import'),
  ];
}

function mappingText(m: AccountAccess['mappings'][number]): string {
  const whole = m.to.length === 1 && m.to[0]!.weight === 100;
  const to = m.to.map((t) => (whole ? t.subject : `${t.subject} (${formatNumber(t.weight)}%)`));
  return `${m.from} → ${to.join(', ')}`;
}

/** Every export and every import an account chose; the server's automatic imports are counted in Accounts. */
function exportsImportsTable(access: AccessSection, names: NameBook, table: TableBuilder): Table {
  const rows = access.accounts.flatMap((a): Cell[][] => [
    ...a.exports.map((e) => [
      code(names.account(a.account)),
      text('export'),
      text(e.type),
      code(e.subject),
      text(
        e.approvedAccounts === null
          ? 'any account (public)'
          : `only ${bounded(e.approvedAccounts.map(names.account)).join(', ')}`,
      ),
      text(e.tokenRequired ? 'token required' : null),
    ]),
    ...a.imports
      .filter((i) => !i.automatic)
      .map((i) => [
        code(names.account(a.account)),
        text('import'),
        text(i.type),
        code(i.subject),
        text(`from ${names.account(i.account)}`),
        text(i.localSubject === i.subject ? null : `as ${i.localSubject}`),
      ]),
  ]);
  return table({
    id: 'access-exports-imports',
    caption: 'Exports and imports between accounts',
    columns: [
      col('Account', 1),
      col('Direction', 0.7),
      col('Type', 0.7),
      col('Subject', 1.5),
      col('With', 1.3),
      col('Detail', 1),
    ],
    rows,
    emptyText: 'No account exports or imports anything (other than what the server adds itself).',
  });
}

function serversTable(access: AccessSection, tz: string, table: TableBuilder): Table {
  return table({
    id: 'access-servers',
    caption: 'Servers',
    columns: [
      col('Server', 1),
      col('Version', 0.7),
      col('Authentication and TLS', 1.5),
      col('Started', 1.2),
      col('Configuration loaded', 1.2),
      col('Configuration digest', 1.2),
      col('Limits', 1.4),
    ],
    rows: access.servers.map((s) => [
      text(named(s.id, s.name)),
      code(s.version),
      list(authAndTls(s, tz), false),
      time(s.start),
      time(s.configLoadTime),
      code(s.configDigest),
      list(serverLimits(s), false),
    ]),
    emptyText: 'No server answered.',
  });
}

function authAndTls(s: ServerFacts, tz: string): string[] {
  return [
    s.authRequired ? 'authentication required' : 'no authentication required',
    s.tlsRequired ? 'TLS required' : 'TLS not required',
    ...(s.tlsVerify ? ['client certificates verified'] : []),
    ...(s.tlsCertNotAfter === null ? [] : [`certificate valid until ${formatTime(s.tlsCertNotAfter, tz)}`]),
  ];
}

function serverLimits(s: ServerFacts): string[] {
  return [
    ...(s.maxPayload === null ? [] : [`max payload ${bytes(s.maxPayload)}`]),
    ...(s.maxConnections === null ? [] : [`max connections ${formatNumber(s.maxConnections)}`]),
    s.jetstream === null
      ? 'JetStream off'
      : `JetStream memory ${bytes(s.jetstream.maxMemory)}, storage ${bytes(s.jetstream.maxStorage)}`,
  ];
}

function streamsTable(access: AccessSection, names: NameBook, table: TableBuilder): Table {
  return table({
    id: 'access-streams',
    caption: 'Stream settings',
    columns: [
      col('Account', 0.9),
      col('Stream', 1),
      col('Subjects', 1.2),
      col('Storage', 1.3),
      col('Limits', 1.4),
      col('Protections', 1.1),
      col('Origin', 0.9),
    ],
    rows: access.streams.map((s) => [
      code(names.account(s.account)),
      code(s.stream),
      list(bounded(s.subjects), false),
      text(`${s.storage}, ${s.replicas === 1 ? '1 replica' : `${s.replicas} replicas`}, ${s.retention} retention`),
      list(streamLimits(s), false),
      list(protections(s), false),
      text(
        s.mirror !== null
          ? `mirror of ${s.mirror}`
          : s.sources.length > 0
            ? `sources ${bounded(s.sources).join(', ')}`
            : null,
      ),
    ]),
    emptyText: 'No stream configuration could be read.',
  });
}

function streamLimits(s: StreamSettings): string[] {
  // A stream's limits are -1 (or 0) when unset: the server normalises both to "no limit".
  const unlimited = (n: number, shown: string) => (n <= 0 ? 'unlimited' : shown);
  return [
    `max age ${unlimited(s.maxAge, formatDuration(s.maxAge / 1e9))}`,
    `max messages ${unlimited(s.maxMsgs, formatNumber(s.maxMsgs))}`,
    `max bytes ${unlimited(s.maxBytes, bytes(s.maxBytes))}`,
    `per subject ${unlimited(s.maxMsgsPerSubject, formatNumber(s.maxMsgsPerSubject))}`,
    `discard ${s.discard}`,
  ];
}

function protections(s: StreamSettings): string[] {
  return [
    s.denyDelete ? 'deny delete' : 'delete allowed',
    s.denyPurge ? 'deny purge' : 'purge allowed',
    ...(s.allowRollup ? ['rollup allowed'] : []),
    ...(s.sealed ? ['sealed'] : []),
  ];
}

/** An account's JetStream limits: -1 is unlimited, 0 is none at all. */
function accountLimits(l: NonNullable<AccountAccess['jetstreamLimits']>): string {
  const n = (v: number) => (v < 0 ? 'unlimited' : formatNumber(v));
  const b = (v: number) => (v < 0 ? 'unlimited' : bytes(v));
  return `memory ${b(l.memory)}, storage ${b(l.storage)}, streams ${n(l.streams)}, consumers ${n(l.consumers)}`;
}

/** Publish permissions, with the replies to requests the user may send when the server limits them. */
function publishText(p: Permissions): string {
  const responses =
    p.responses === null
      ? ''
      : `; replies to requests: at most ${formatNumber(p.responses.max)}` +
        `${p.responses.ttl === null ? '' : ` within ${p.responses.ttl}`}`;
  return allowed(p.publish) + responses;
}

/** `any subject`, `any subject except $SYS.>`, `a.>, b`, `a.>; except a.secret`, or `no subject`. */
export function allowed(p: Permissions['publish']): string {
  const except = p.deny.length > 0 ? `except ${bounded(p.deny).join(', ')}` : '';
  if (p.allow === null) return except ? `any subject ${except}` : 'any subject';
  if (p.allow.length === 0) return 'no subject';
  return bounded(p.allow).join(', ') + (except ? `; ${except}` : '');
}

/** The first MAX_IN_CELL values, and how many more report.json holds. */
export function bounded(values: string[]): string[] {
  if (values.length <= MAX_IN_CELL) return values;
  return [...values.slice(0, MAX_IN_CELL), `${formatNumber(values.length - MAX_IN_CELL)} more in report.json`];
}

/** Bytes in binary units: `1 GiB`, `512 MiB`, `1.5 KiB`. */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${formatNumber(value)} ${units[unit]}`;
}
