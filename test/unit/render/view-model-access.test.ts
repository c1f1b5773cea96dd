import { describe, expect, it } from 'vitest';
import type { AccessSection } from '../../../functions/access/model.js';
import { cellText } from '../../../functions/render/format.js';
import { buildViewModel } from '../../../functions/render/view-model.js';
import { allowed, bounded, bytes, MAX_IN_CELL } from '../../../functions/render/view-model-access.js';
import type { Section, Table } from '../../../functions/render/view-model-types.js';
import {
  configFileAccess,
  inputsWithPrevious,
  KEYS,
  operatorAccess,
  REVERSED_ROOT,
  rules2Access,
  sampleReportWithAccess,
} from '../../support/sample-access.js';
import { HOSTILE, SAMPLE_BRANDING, sampleReport } from '../../support/sample-report.js';

const TZ = 'America/New_York';
const view = (report = sampleReportWithAccess(), maxRows = 500) =>
  buildViewModel(report, { branding: SAMPLE_BRANDING, maxRows, signed: true });
const section = (report = sampleReportWithAccess(), maxRows = 500): Section =>
  view(report, maxRows).sections.find((s) => s.id === 'access-review')!;
const table = (id: string, s = section()): Table => s.tables.find((t) => t.id === id)!;
const texts = (t: Table) => t.rows.map((row) => row.map((cell) => cellText(cell, TZ)));
const withAccess = (access: AccessSection) => sampleReportWithAccess(access);

describe('the Access review section (operator mode)', () => {
  it('comes right after Track access, and only when report.json has access', () => {
    expect(view().sections.map((s) => s.id)).toEqual([
      'tampering',
      'timeline',
      'access',
      'access-review',
      'safeguards',
      'incidents',
      'completeness',
      'unparseable',
    ]);
    const s = section();
    expect([s.title, s.objective]).toEqual([
      'Access review',
      'Track access: who may do what (every user, the administrators, the report’s own user), how the accounts and ' +
        'servers are set up, and what changed since the previous daily report.',
    ]);
    expect(s.tables.map((t) => t.id)).toEqual([
      'access-changes',
      'access-reporting-user',
      'access-users',
      'access-accounts',
      'access-exports-imports',
      'access-servers',
      'access-streams',
      'access-limits',
    ]);
  });

  it('sums the evidence up, says what changed and whether the reporting user only reads', () => {
    expect(section().paragraphs).toEqual([
      'Operator (JWT) mode, read at 2026-11-25 00:00:02.000000000 -05:00: 2 servers, 3 accounts, 6 users ' +
        '(2 with administrative privileges, 3 flagged), 3 streams.',
      '4 changes since the previous daily report.',
      'The reporting user is read-only: it may publish nothing beyond the read-only list of the README.',
      '2 things could not be seen; listed at the end of this section.',
    ]);
  });

  it('lists the changes first: kind, what, when (or between the two reports), before → after', () => {
    const t = table('access-changes');
    expect(t.columns.map((c) => c.label)).toEqual(['Change', 'Concerns', 'What', 'When', 'Before → after']);
    const many = Array.from({ length: 15 }, (_, i) => `tx.region${i + 1}.>`).join(', ');
    expect(texts(t)).toEqual([
      [
        'configuration reloaded',
        'server hub-1',
        'server hub-1 reloaded its configuration',
        '2026-11-24 10:30:00.000000000 -05:00',
        'sha256:0c9d5e7a3f21 → sha256:4f2a9c0e1b7d',
      ],
      [
        'export added',
        'account APP (AW4L…)',
        'account APP (AW4L…) exports stream tx.events.> to every account (token required)',
        'between the two reports',
        '— → stream tx.events.> to every account (token required)',
      ],
      [
        'permissions changed',
        `user ${HOSTILE.script} (UYCS…)`,
        `user ${HOSTILE.script} (UYCS…) of account APP (AW4L…) has other permissions`,
        'between the two reports',
        `publish tx.region1.>; subscribe any except $SYS.> → publish ${many}; subscribe any except $SYS.>`,
      ],
      [
        'server upgraded',
        'server hub-2',
        'server hub-2 runs 2.10.27 (was 2.10.26)',
        '2026-11-24 04:00:00.000000000 -05:00',
        '2.10.26 → 2.10.27',
      ],
    ]);
  });

  it('marks the reporting user read-only and shows its permissions', () => {
    const t = table('access-reporting-user');
    expect(t.columns.map((c) => c.label)).toEqual([
      'Source',
      'Account',
      'User',
      'Read-only',
      'May publish',
      'May subscribe',
      'Beyond read-only',
      'Privileges',
    ]);
    expect(t.rows[0]![3]).toEqual({ kind: 'status', value: 'read-only' });
    expect(texts(t)).toEqual([
      [
        'audit',
        'AUDIT (APXJ…)',
        KEYS.soxReport,
        'READ-ONLY',
        '$JS.API.INFO, $JS.API.STREAM.INFO.*, $JS.API.CONSUMER.CREATE.*, $SYS.REQ.USER.INFO',
        '_INBOX.>',
        '—',
        '—',
      ],
    ]);
  });

  it('lists administrators first, then flagged users, with names beside keys and bounded subject lists', () => {
    const t = table('access-users');
    expect(t.columns.map((c) => c.label)).toEqual([
      'Account',
      'User',
      'Administrator',
      'Privileges',
      'May publish',
      'May subscribe',
      'Flags',
      'JWT and evidence',
    ]);
    expect(t.rows.map((r) => r[2])).toEqual([
      { kind: 'status', value: 'admin' },
      { kind: 'status', value: 'admin' },
      { kind: 'text', value: 'no' },
      { kind: 'text', value: 'no' },
      { kind: 'text', value: 'no' },
      { kind: 'text', value: 'no' },
    ]);
    const issuerOp = `issuer ${KEYS.operator}`;
    expect(texts(t)).toEqual([
      [
        'APP (AW4L…)',
        'ops-admin (UVEW…)',
        'ADMIN',
        'all subjects, JetStream API, system subjects',
        'any subject (unrestricted)',
        'any subject (unrestricted)',
        'JWT never expires',
        'permissions: account defaults, never expires, issuer APP (AW4L…), seen 2026-11-24 08:05:00.000000000 -05:00',
      ],
      [
        'APP (AW4L…)',
        KEYS.forged,
        'ADMIN',
        'JetStream API',
        '$JS.API.>',
        'any subject',
        'JWT never expires, invalid JWT signature',
        `permissions from the user JWT, never expires, ${issuerOp}, signature invalid, ` +
          'seen 2026-11-24 13:00:00.000000000 -05:00',
      ],
      [
        'APP (AW4L…)',
        `${HOSTILE.script} (UYCS…)`,
        'no',
        '—',
        'tx.region1.>, tx.region2.>, tx.region3.>, tx.region4.>, tx.region5.>, tx.region6.>, tx.region7.>, ' +
          'tx.region8.>, tx.region9.>, tx.region10.>, tx.region11.>, tx.region12.>, 3 more in report.json',
        'any subject except $SYS.>',
        'revoked but connected',
        'permissions from the user JWT, expires 2026-12-30 19:00:00.000000000 -05:00, issuer APP (AW4L…), ' +
          'seen 2026-11-24 08:00:00.000000000 -05:00',
      ],
      [
        'APP (AW4L…)',
        'payments-svc (USNI…)',
        'no',
        '—',
        'tx.>; except tx.admin.>; replies to requests: at most 1 within 5s',
        '_INBOX.>, payments.api.>',
        '—',
        'permissions from the signing key scope, expires 2026-11-30 19:00:00.000000000 -05:00, ' +
          `issuer ${KEYS.appSigner}, seen 2026-11-24 09:00:00.000000001 -05:00`,
      ],
      [
        'AUDIT (APXJ…)',
        `${REVERSED_ROOT} (U2HT…)`,
        'no',
        '—',
        'no subject',
        'audit.>',
        '—',
        'permissions from the user JWT, expires 2026-12-31 19:00:00.000000000 -05:00, issuer AUDIT (APXJ…), ' +
          'seen 2026-11-24 11:00:00.000000000 -05:00',
      ],
      [
        'AUDIT (APXJ…)',
        `${HOSTILE.longToken} (U7RT…)`,
        'no',
        '—',
        'audit.>',
        'audit.>',
        '—',
        'permissions from the user JWT, expires 2026-12-31 19:00:00.000000000 -05:00, issuer AUDIT (APXJ…), ' +
          'seen 2026-11-24 12:00:00.000000000 -05:00',
      ],
    ]);
  });

  it('bounds the users like every table, administrators kept, saying how many more there are', () => {
    const t = table('access-users', section(sampleReportWithAccess(), 2));
    expect(t.rows.map((r) => cellText(r[1]!, TZ))).toEqual(['ops-admin (UVEW…)', KEYS.forged]);
    expect([t.total, t.omitted, t.omittedNote]).toEqual([6, 4, '4 more rows are not shown here; report.json.']);
  });

  it('shows each account: settings, JetStream limits, mappings, revocations, automatic imports as a count', () => {
    const t = table('access-accounts');
    const issuer = `issuer ${KEYS.operator}`;
    expect(texts(t)).toEqual([
      [
        'SYS (AS27…)',
        'system account, JetStream off, 0 exports, 0 imports',
        '—',
        '—',
        '—',
        '0',
        `never expires, ${issuer}`,
      ],
      [
        'APP (AW4L…)',
        'JetStream enabled, 2 exports, 0 imports',
        'memory unlimited, storage 5 GiB, streams 10, consumers unlimited',
        'orders.new → orders.v2.new, tx.canary → tx.v1 (90%), tx.v2 (10%)',
        `${HOSTILE.script} (UYCS…) before 2026-11-24 07:00:00.000000000 -05:00`,
        '2',
        `expires 2027-11-23 19:00:00.000000000 -05:00, ${issuer}`,
      ],
      [
        'AUDIT (APXJ…)',
        'JetStream enabled, 0 exports, 2 imports',
        'memory 0 B, storage 1 GiB, streams 4, consumers 40',
        '—',
        '—',
        '1',
        `never expires, ${issuer}`,
      ],
    ]);
  });

  it('lists every export and chosen import with the accounts named, leaving out the automatic ones', () => {
    expect(texts(table('access-exports-imports'))).toEqual([
      ['APP (AW4L…)', 'export', 'service', 'payments.api.>', 'only AUDIT (APXJ…)', '—'],
      ['APP (AW4L…)', 'export', 'stream', 'tx.events.>', 'any account (public)', 'token required'],
      ['AUDIT (APXJ…)', 'import', 'service', 'payments.api.>', 'from APP (AW4L…)', 'as app.payments.>'],
      ['AUDIT (APXJ…)', 'import', 'service', '$SYS.REQ.SERVER.PING.VARZ', 'from SYS (AS27…)', '—'],
    ]);
  });

  it('shows each server: version, authentication and TLS, start, configuration load time and digest, limits', () => {
    expect(texts(table('access-servers'))).toEqual([
      [
        'hub-1 (NM5V…)',
        '2.11.4',
        'authentication required, TLS required, client certificates verified, ' +
          'certificate valid until 2027-02-28 19:00:00.000000000 -05:00',
        '2026-11-20 03:00:00.000000000 -05:00',
        '2026-11-24 10:30:00.000000000 -05:00',
        'sha256:4f2a9c0e1b7d',
        'max payload 1 MiB, max connections 65,536, JetStream memory 1 GiB, storage 10 TiB',
      ],
      [
        'hub-2 (NASA…)',
        '2.10.27',
        'authentication required, TLS not required',
        '2026-11-24 04:00:00.000000000 -05:00',
        '2026-11-24 04:00:00.000000000 -05:00',
        '—',
        'JetStream off',
      ],
    ]);
  });

  it("shows each stream's settings: storage, limits, protections, mirror or sources", () => {
    expect(texts(table('access-streams'))).toEqual([
      [
        'APP (AW4L…)',
        'TRANSACTIONS',
        'tx.>',
        'file, 3 replicas, limits retention',
        'max age 2555 d 00 h 00 min, max messages unlimited, max bytes 10 GiB, per subject unlimited, discard old',
        'deny delete, deny purge',
        '—',
      ],
      [
        'AUDIT (APXJ…)',
        'SYS_EVENTS',
        '$SYS.ACCOUNT.*.CONNECT, $SYS.ACCOUNT.*.DISCONNECT, $SYS.SERVER.*.CLIENT.AUTH.ERR',
        'file, 1 replica, limits retention',
        'max age unlimited, max messages 5,000,000, max bytes unlimited, per subject unlimited, discard new',
        'delete allowed, purge allowed, rollup allowed',
        'sources SYS_EVENTS_EU, SYS_EVENTS_US',
      ],
      [
        'AUDIT (APXJ…)',
        'TRANSACTIONS_MIRROR',
        '—',
        'memory, 1 replica, limits retention',
        'max age 1 d 00 h 00 min, max messages unlimited, max bytes unlimited, per subject unlimited, discard old',
        'deny delete, deny purge, sealed',
        'mirror of TRANSACTIONS',
      ],
    ]);
  });

  it('lists what could not be seen', () => {
    expect(texts(table('access-limits'))).toEqual([
      ['Encryption at rest cannot be read from any endpoint (nats-server does not export JetStreamCipher).'],
      ['hub-2 (nats-server 2.10.27) states no configuration digest: a reload is seen by its load time alone.'],
    ]);
  });

  it('gives the email its line about access changes', () => {
    expect(view().accessChanges).toBe('4 access changes since the previous daily report: see Access review.');
    const one = operatorAccess();
    one.changes = one.changes.slice(0, 1);
    expect(view(withAccess(one)).accessChanges).toBe(
      '1 access change since the previous daily report: see Access review.',
    );
  });
});

describe('the Access review section (configuration-file mode)', () => {
  const config = () => section(withAccess(configFileAccess()));

  it('says the reporting user is NOT read-only and lists what it may publish beyond the list', () => {
    expect(config().paragraphs).toEqual([
      'Configuration-file mode, read at 2026-11-25 00:00:02.000000000 -05:00: 1 server, 2 accounts, 2 users ' +
        '(0 with administrative privileges, 0 flagged), 1 stream.',
      'No change since the previous daily report.',
      'The reporting user is NOT read-only: it may publish 2 subjects beyond the read-only list of the README.',
      '1 thing could not be seen; listed at the end of this section.',
    ]);
    const t = table('access-reporting-user', config());
    expect(t.rows[0]![3]).toEqual({ kind: 'status', value: 'not-read-only' });
    expect(texts(t)).toEqual([
      [
        'audit',
        'AUDIT',
        'audit',
        'NOT READ-ONLY',
        '$JS.API.>, _INBOX.>',
        'any subject',
        '$JS.API.>, _INBOX.>',
        'JetStream API',
      ],
    ]);
  });

  it('names accounts and users as configured, and says their permissions are not visible', () => {
    expect(texts(table('access-users', config()))).toEqual([
      [
        'APP',
        'payments-svc',
        'no',
        '—',
        'not visible (no endpoint states them)',
        'not visible (no endpoint states them)',
        '—',
        'seen 2026-11-24 09:00:00.000000001 -05:00',
      ],
      [
        'AUDIT',
        'audit',
        'no',
        '—',
        'not visible (no endpoint states them)',
        'not visible (no endpoint states them)',
        '—',
        '—',
      ],
    ]);
    expect(texts(table('access-exports-imports', config()))).toEqual([
      ['APP', 'export', 'stream', 'tx.events.>', 'only AUDIT', '—'],
      ['AUDIT', 'import', 'stream', 'tx.events.>', 'from APP', '—'],
    ]);
    expect(texts(table('access-accounts', config()))).toEqual([
      ['APP', 'JetStream enabled, 1 export, 0 imports', '—', '—', '—', '0', '—'],
      ['AUDIT', 'JetStream enabled, 0 exports, 1 import', '—', '—', '—', '0', '—'],
    ]);
  });

  it('says "no change" when the previous report had access, else that there is nothing to compare with', () => {
    const changes = (report = sampleReport()) => {
      const t = table('access-changes', section(report));
      return [t.rows.length, t.emptyText, section(report).paragraphs[1]];
    };
    const noChange = 'No change since the previous daily report.';
    expect(changes(withAccess(configFileAccess()))).toEqual([0, noChange, noChange]);
    const first = { ...sampleReport(), access: configFileAccess(), inputs: inputsWithPrevious(null) };
    const none = 'There is no previous report to compare with.';
    expect(changes(first)).toEqual([0, none, none]);
    const older = { ...sampleReport(), access: configFileAccess(), inputs: inputsWithPrevious(sampleReport()) };
    const predates = 'There is no previous report to compare with: the previous daily report has no access evidence.';
    expect(changes(older)).toEqual([0, predates, predates]);
    expect(view(withAccess(configFileAccess())).accessChanges).toBeNull();
  });

  it('says so when the reporting user is unknown or unrestricted', () => {
    const unknown = { ...configFileAccess(), reportingUser: null };
    const s = section(withAccess(unknown));
    expect(s.paragraphs[2]).toBe('The reporting user could not be identified: see what could not be seen.');
    expect(table('access-reporting-user', s).rows).toEqual([]);
    expect(table('access-reporting-user', s).emptyText).toBe(
      'The reporting user could not be identified: see what could not be seen.',
    );
    const open = configFileAccess();
    open.reportingUser = { ...open.reportingUser!, permissions: null, beyondReadOnly: ['>'] };
    const u = section(withAccess(open));
    expect(u.paragraphs[2]).toBe(
      'The reporting user is NOT read-only: the server states no permissions for it, so it may publish anything.',
    );
    expect(texts(table('access-reporting-user', u))[0]!.slice(3, 7)).toEqual([
      'NOT READ-ONLY',
      'any subject (no permissions stated)',
      'any subject (no permissions stated)',
      '>',
    ]);
  });

  it('says so when nothing is listed', () => {
    const empty: AccessSection = {
      ...configFileAccess(),
      servers: [],
      accounts: [],
      users: [],
      streams: [],
      limits: [],
    };
    const s = section(withAccess(empty));
    expect(s.paragraphs[3]).toBe('Every request was answered: nothing is listed as unseen.');
    expect(s.tables.filter((t) => t.rows.length === 0).map((t) => [t.id, t.emptyText])).toEqual([
      ['access-changes', 'No change since the previous daily report.'],
      ['access-users', 'No user was seen in this period.'],
      ['access-accounts', 'No account could be read.'],
      ['access-exports-imports', 'No account exports or imports anything (other than what the server adds itself).'],
      ['access-servers', 'No server answered.'],
      ['access-streams', 'No stream configuration could be read.'],
      ['access-limits', 'Nothing: every request was answered.'],
    ]);
  });
});

describe('a report without access', () => {
  it('has no Access review section and no email line (older reports, rollups)', () => {
    const vm = view(sampleReport());
    expect(vm.sections.map((s) => s.id)).not.toContain('access-review');
    expect(vm.accessChanges).toBeNull();
    expect(vm.sections.flatMap((s) => s.tables).filter((t) => t.id.startsWith('access-'))).toEqual([]);
  });
});

describe('access cell helpers', () => {
  it('words permissions: any subject, exceptions, an allow list, nothing', () => {
    expect(allowed({ allow: null, deny: [] })).toBe('any subject');
    expect(allowed({ allow: null, deny: ['$SYS.>', '$JS.API.>'] })).toBe('any subject except $SYS.>, $JS.API.>');
    expect(allowed({ allow: ['a.>', 'b'], deny: [] })).toBe('a.>, b');
    expect(allowed({ allow: ['a.>'], deny: ['a.secret'] })).toBe('a.>; except a.secret');
    expect(allowed({ allow: [], deny: [] })).toBe('no subject');
  });

  it(`shows ${MAX_IN_CELL} values of a list and how many more report.json holds`, () => {
    const values = Array.from({ length: MAX_IN_CELL + 3 }, (_, i) => `s${i}`);
    expect(bounded(values)).toEqual([...values.slice(0, MAX_IN_CELL), '3 more in report.json']);
    expect(bounded(values.slice(0, MAX_IN_CELL))).toEqual(values.slice(0, MAX_IN_CELL));
  });

  it('writes sizes in binary units', () => {
    expect([0, 1023, 1024, 1536, 1_048_576, 5_368_709_120, 10_995_116_277_760].map(bytes)).toEqual([
      '0 B',
      '1,023 B',
      '1 KiB',
      '1.5 KiB',
      '1 MiB',
      '5 GiB',
      '10 TiB',
    ]);
  });
});

describe('the Access review of a report derived with access rules 2', () => {
  const rules2 = () => withAccess(rules2Access());

  it('words the lifted revocation and the account JWT changes', () => {
    expect(texts(table('access-changes', section(rules2())))).toEqual([
      [
        'revocation lifted',
        'account APP (AW4L…)',
        `account APP (AW4L…) lifted the revocation of user ${KEYS.mallory} (issued before 2026-11-24T12:00:00Z)`,
        'between the two reports',
        `${KEYS.mallory} (issued before 2026-11-24T12:00:00Z) → —`,
      ],
      [
        'JetStream limits changed',
        'account APP (AW4L…)',
        'account APP (AW4L…) has other JetStream limits',
        '2026-11-24 10:29:00.000000000 -05:00',
        'memory unlimited, storage 1073741824, streams 4, consumers unlimited → ' +
          'memory unlimited, storage 5368709120, streams 10, consumers unlimited',
      ],
      [
        'account JWT expiry changed',
        'account APP (AW4L…)',
        "account APP (AW4L…)'s JWT expires 2027-11-24T00:00:00Z (was never)",
        '2026-11-24 10:29:00.000000000 -05:00',
        'never → 2027-11-24T00:00:00Z',
      ],
      [
        'account JWT issuer changed',
        'account APP (AW4L…)',
        `account APP (AW4L…)'s JWT is signed by ${KEYS.operator} (was OPREVIOUS)`,
        '2026-11-24 10:29:00.000000000 -05:00',
        `OPREVIOUS → ${KEYS.operator}`,
      ],
    ]);
  });

  it('marks a user who may delete or alter stream data ADMIN, among the administrators first', () => {
    const s = section(rules2());
    expect(s.paragraphs[0]).toContain('(3 with administrative privileges, 3 flagged)');
    const rows = texts(table('access-users', s));
    expect(rows.map((r) => [r[1], r[2], r[3]]).slice(0, 3)).toEqual([
      ['payments-svc (USNI…)', 'ADMIN', 'may delete or alter stream data'],
      ['ops-admin (UVEW…)', 'ADMIN', 'all subjects, JetStream API, system subjects, may delete or alter stream data'],
      [KEYS.forged, 'ADMIN', 'JetStream API, may delete or alter stream data'],
    ]);
  });
});
