import { describe, expect, it } from 'vitest';
import { MAX_CHANGES, accessChanges, type Namer } from '../../../functions/access/changes.js';
import { deriveAccess } from '../../../functions/access/derive.js';
import type {
  AccessSection,
  AccountAccess,
  Permissions,
  ServerFacts,
  StreamSettings,
  UserAccess,
} from '../../../functions/access/model.js';
import { AUDIT_READ_PERMISSIONS } from '../../../functions/local/operator-hub.js';
import { accessFixture, usersSeen } from '../../support/access-fixtures.js';

const PLAIN: Namer = { account: (k) => k, user: (_a, u) => u };

const server = (over: Partial<ServerFacts> = {}): ServerFacts => ({
  name: 'hub1',
  id: 'NID',
  version: '2.10.27',
  start: '2026-11-01T00:00:00Z',
  configLoadTime: '2026-11-01T00:00:00Z',
  configDigest: null,
  authRequired: true,
  tlsRequired: false,
  tlsVerify: false,
  tlsCertNotAfter: null,
  systemAccount: 'SYS',
  maxPayload: 1_048_576,
  maxConnections: 65_536,
  jetstream: { maxMemory: 1, maxStorage: 2 },
  ...over,
});

const accountOf = (account: string, over: Partial<AccountAccess> = {}): AccountAccess => ({
  account,
  isSystem: false,
  jetstream: true,
  exports: [],
  imports: [],
  mappings: [],
  revocations: [],
  jetstreamLimits: null,
  jwt: null,
  ...over,
});

const stream = (over: Partial<StreamSettings> = {}): StreamSettings => ({
  account: 'APP',
  stream: 'ORDERS',
  subjects: ['orders.>'],
  storage: 'file',
  retention: 'limits',
  discard: 'old',
  replicas: 1,
  maxMsgs: -1,
  maxBytes: -1,
  maxAge: 0,
  maxMsgsPerSubject: -1,
  denyDelete: true,
  denyPurge: true,
  allowRollup: false,
  sealed: false,
  mirror: null,
  sources: [],
  ...over,
});

const perms = (allow: string[] | null, deny: string[] = []): Permissions => ({
  publish: { allow, deny },
  subscribe: { allow: ['_INBOX.>'], deny: [] },
  responses: null,
});

const userOf = (user: string, permissions: Permissions | null, over: Partial<UserAccess> = {}): UserAccess => ({
  account: 'APP',
  user,
  permissions,
  permissionsFrom: 'user-jwt',
  jwt: null,
  privileges: [],
  flags: [],
  seenAt: null,
  ...over,
});

function section(over: Partial<AccessSection> = {}): AccessSection {
  return {
    collectedAt: '2026-11-02T05:00:00Z',
    mode: 'configuration-file',
    servers: [server()],
    accounts: [accountOf('APP'), accountOf('AUDIT')],
    reportingUser: null,
    users: [],
    streams: [stream()],
    changes: [],
    limits: [],
    ...over,
  };
}

describe('accessChanges', () => {
  it('nothing changed: no change', () => {
    expect(accessChanges(section(), section(), PLAIN)).toEqual([]);
  });

  it('a server upgrade is an upgrade and a restart, both at the new start', () => {
    const now = server({ version: '2.11.4', start: '2026-11-01T12:00:00Z', configLoadTime: '2026-11-01T12:00:00Z' });
    expect(accessChanges(section(), section({ servers: [now] }), PLAIN)).toEqual([
      {
        kind: 'server-upgraded',
        subject: 'server hub1',
        detail: 'server hub1 runs 2.11.4 (was 2.10.27)',
        at: '2026-11-01T12:00:00Z',
        before: '2.10.27',
        after: '2.11.4',
      },
      {
        kind: 'server-restarted',
        subject: 'server hub1',
        detail: 'server hub1 restarted (its configuration loaded anew)',
        at: '2026-11-01T12:00:00Z',
        before: '2026-11-01T00:00:00Z',
        after: '2026-11-01T12:00:00Z',
      },
    ]);
  });

  it('a restart is not also a reload, though its configuration load time moved', () => {
    const now = server({ start: '2026-11-01T12:00:00Z', configLoadTime: '2026-11-01T12:00:00Z' });
    expect(accessChanges(section(), section({ servers: [now] }), PLAIN).map((c) => c.kind)).toEqual([
      'server-restarted',
    ]);
  });

  it('a reload moves only the configuration load time', () => {
    const now = server({ configLoadTime: '2026-11-01T15:30:00Z' });
    expect(accessChanges(section(), section({ servers: [now] }), PLAIN)).toEqual([
      {
        kind: 'configuration-reloaded',
        subject: 'server hub1',
        detail: 'server hub1 reloaded its configuration',
        at: '2026-11-01T15:30:00Z',
        before: '2026-11-01T00:00:00Z',
        after: '2026-11-01T15:30:00Z',
      },
    ]);
  });

  it('a new configuration digest (2.11+) is a reload, stated by its digests', () => {
    const was = server({ configDigest: 'sha256:aaa' });
    const now = server({ configDigest: 'sha256:bbb', configLoadTime: '2026-11-01T15:30:00Z' });
    expect(accessChanges(section({ servers: [was] }), section({ servers: [now] }), PLAIN)).toEqual([
      expect.objectContaining({ kind: 'configuration-reloaded', before: 'sha256:aaa', after: 'sha256:bbb' }),
    ]);
    // A digest alone, the load time the same.
    expect(
      accessChanges(section({ servers: [was] }), section({ servers: [server({ configDigest: 'sha256:ccc' })] }), PLAIN),
    ).toEqual([expect.objectContaining({ kind: 'configuration-reloaded', at: '2026-11-01T00:00:00Z' })]);
  });

  it('a server, account, user or stream only one report knows is no change', () => {
    const previous = section({ servers: [server({ name: 'old' })], accounts: [accountOf('GONE')], streams: [] });
    const current = section({
      servers: [server({ name: 'new', version: '9' })],
      accounts: [
        accountOf('NEW', { exports: [{ subject: 'x', type: 'stream', approvedAccounts: null, tokenRequired: false }] }),
      ],
      users: [userOf('alice', null)],
      streams: [stream({ maxAge: 5 })],
    });
    expect(accessChanges(previous, current, PLAIN)).toEqual([]);
  });

  it('exports added and removed, with who may import them', () => {
    const was = accountOf('APP', {
      exports: [
        { subject: 'a.>', type: 'service', approvedAccounts: null, tokenRequired: true },
        { subject: 'adv.>', type: 'stream', approvedAccounts: ['AUDIT'], tokenRequired: false },
      ],
    });
    const now = accountOf('APP', {
      exports: [
        { subject: 'adv.>', type: 'stream', approvedAccounts: ['AUDIT', 'OTHER'], tokenRequired: false },
        { subject: 'tx.>', type: 'stream', approvedAccounts: ['AUDIT'], tokenRequired: false },
        { subject: 'none.>', type: 'stream', approvedAccounts: [], tokenRequired: false },
      ],
    });
    expect(accessChanges(section({ accounts: [was] }), section({ accounts: [now] }), PLAIN)).toEqual([
      {
        kind: 'export-added',
        subject: 'account APP',
        detail: 'account APP exports stream adv.> to AUDIT, OTHER',
        at: null,
        before: null,
        after: 'stream adv.> to AUDIT, OTHER',
      },
      {
        kind: 'export-added',
        subject: 'account APP',
        detail: 'account APP exports stream tx.> to AUDIT',
        at: null,
        before: null,
        after: 'stream tx.> to AUDIT',
      },
      {
        kind: 'export-added',
        subject: 'account APP',
        detail: 'account APP exports stream none.> to no account',
        at: null,
        before: null,
        after: 'stream none.> to no account',
      },
      {
        kind: 'export-removed',
        subject: 'account APP',
        detail: 'account APP no longer exports service a.> to every account (token required)',
        at: null,
        before: 'service a.> to every account (token required)',
        after: null,
      },
      {
        kind: 'export-removed',
        subject: 'account APP',
        detail: 'account APP no longer exports stream adv.> to AUDIT',
        at: null,
        before: 'stream adv.> to AUDIT',
        after: null,
      },
    ]);
  });

  it('imports added and removed; the automatic ones the server adds are not a change', () => {
    const auto = (subject: string) => ({
      subject,
      account: 'SYS',
      localSubject: subject,
      type: 'service' as const,
      automatic: true,
    });
    const was = accountOf('AUDIT', {
      imports: [
        auto('$SYS.REQ.ACCOUNT.PING.STATZ'),
        {
          subject: '$SYS.REQ.SERVER.PING.VARZ',
          account: 'SYS',
          localSubject: '$SYS.REQ.SERVER.PING.VARZ',
          type: 'service',
          automatic: false,
        },
      ],
    });
    const now = accountOf('AUDIT', {
      imports: [
        auto('$JS.API.>'),
        { subject: 'tx.>', account: 'APP', localSubject: 'APP.tx.>', type: 'stream', automatic: false },
      ],
    });
    expect(accessChanges(section({ accounts: [was] }), section({ accounts: [now] }), PLAIN)).toEqual([
      {
        kind: 'import-added',
        subject: 'account AUDIT',
        detail: 'account AUDIT imports stream tx.> from APP as APP.tx.>',
        at: null,
        before: null,
        after: 'stream tx.> from APP as APP.tx.>',
      },
      {
        kind: 'import-removed',
        subject: 'account AUDIT',
        detail: 'account AUDIT no longer imports service $SYS.REQ.SERVER.PING.VARZ from SYS',
        at: null,
        before: 'service $SYS.REQ.SERVER.PING.VARZ from SYS',
        after: null,
      },
    ]);
  });

  it('a revocation added, one lifted, and mappings changed', () => {
    const was = accountOf('APP', { revocations: [{ user: 'UOLD', before: '2026-10-01T00:00:00Z' }] });
    const now = accountOf('APP', {
      revocations: [{ user: 'UNEW', before: '2026-11-01T10:00:00Z' }],
      mappings: [
        {
          from: 'orders.*',
          to: [
            { subject: 'orders.v2.*', weight: 80 },
            { subject: 'orders.v1.*', weight: 20 },
          ],
        },
      ],
    });
    expect(accessChanges(section({ accounts: [was] }), section({ accounts: [now] }), PLAIN)).toEqual([
      {
        kind: 'revocation-added',
        subject: 'account APP',
        detail: 'account APP revoked user UNEW (issued before 2026-11-01T10:00:00Z)',
        at: null,
        before: null,
        after: 'UNEW (issued before 2026-11-01T10:00:00Z)',
      },
      {
        kind: 'revocation-removed',
        subject: 'account APP',
        detail: 'account APP lifted the revocation of user UOLD (issued before 2026-10-01T00:00:00Z)',
        at: null,
        before: 'UOLD (issued before 2026-10-01T00:00:00Z)',
        after: null,
      },
      {
        kind: 'mapping-changed',
        subject: 'account APP',
        detail: 'account APP changed its subject mappings',
        at: null,
        before: 'none',
        after: 'orders.* → orders.v2.* (80%), orders.v1.* (20%)',
      },
    ]);
    expect(accessChanges(section({ accounts: [now] }), section({ accounts: [was] }), PLAIN)).toEqual([
      expect.objectContaining({ kind: 'revocation-added', after: 'UOLD (issued before 2026-10-01T00:00:00Z)' }),
      expect.objectContaining({ kind: 'revocation-removed', before: 'UNEW (issued before 2026-11-01T10:00:00Z)' }),
      expect.objectContaining({
        kind: 'mapping-changed',
        before: 'orders.* → orders.v2.* (80%), orders.v1.* (20%)',
        after: 'none',
      }),
    ]);
  });

  it('a revocation moved to another time is added again, not lifted; one of every user lifted is named *', () => {
    const was = accountOf('APP', {
      revocations: [
        { user: '*', before: '2026-09-01T00:00:00Z' },
        { user: 'UBOB', before: '2026-10-01T00:00:00Z' },
      ],
    });
    const now = accountOf('APP', { revocations: [{ user: 'UBOB', before: '2026-11-01T00:00:00Z' }] });
    expect(accessChanges(section({ accounts: [was] }), section({ accounts: [now] }), PLAIN)).toEqual([
      {
        kind: 'revocation-added',
        subject: 'account APP',
        detail: 'account APP revoked user UBOB (issued before 2026-11-01T00:00:00Z)',
        at: null,
        before: null,
        after: 'UBOB (issued before 2026-11-01T00:00:00Z)',
      },
      {
        kind: 'revocation-removed',
        subject: 'account APP',
        detail: 'account APP lifted the revocation of user * (issued before 2026-09-01T00:00:00Z)',
        at: null,
        before: '* (issued before 2026-09-01T00:00:00Z)',
        after: null,
      },
    ]);
  });

  it("an account JWT's JetStream limits, expiry and issuer changed, at the new JWT's issue time", () => {
    const jwt = { issuer: 'OOLD', issuedAt: '2026-10-01T00:00:00Z', expires: null };
    const was = accountOf('APP', {
      jwt,
      jetstreamLimits: { memory: -1, storage: 1_073_741_824, streams: 10, consumers: -1 },
    });
    const now = accountOf('APP', {
      jwt: { issuer: 'ONEW', issuedAt: '2026-11-24T09:00:00Z', expires: '2027-01-01T00:00:00Z' },
      jetstreamLimits: { memory: 0, storage: 5_368_709_120, streams: 10, consumers: 100 },
    });
    expect(accessChanges(section({ accounts: [was] }), section({ accounts: [now] }), PLAIN)).toEqual([
      {
        kind: 'jetstream-limits-changed',
        subject: 'account APP',
        detail: 'account APP has other JetStream limits',
        at: '2026-11-24T09:00:00Z',
        before: 'memory unlimited, storage 1073741824, streams 10, consumers unlimited',
        after: 'memory 0, storage 5368709120, streams 10, consumers 100',
      },
      {
        kind: 'account-expiry-changed',
        subject: 'account APP',
        detail: "account APP's JWT expires 2027-01-01T00:00:00Z (was never)",
        at: '2026-11-24T09:00:00Z',
        before: 'never',
        after: '2027-01-01T00:00:00Z',
      },
      {
        kind: 'account-issuer-changed',
        subject: 'account APP',
        detail: "account APP's JWT is signed by ONEW (was OOLD)",
        at: '2026-11-24T09:00:00Z',
        before: 'OOLD',
        after: 'ONEW',
      },
    ]);
    // Limits a JWT stops stating are a change too; the expiry back to never, worded so.
    const unstated = accountOf('APP', { jwt: { ...jwt, expires: '2026-12-01T00:00:00Z' }, jetstreamLimits: null });
    expect(accessChanges(section({ accounts: [was] }), section({ accounts: [unstated] }), PLAIN)).toEqual([
      expect.objectContaining({
        kind: 'jetstream-limits-changed',
        before: 'memory unlimited, storage 1073741824, streams 10, consumers unlimited',
        after: 'not stated',
      }),
      expect.objectContaining({
        kind: 'account-expiry-changed',
        detail: "account APP's JWT expires 2026-12-01T00:00:00Z (was never)",
      }),
    ]);
    expect(
      accessChanges(section({ accounts: [unstated] }), section({ accounts: [was] }), PLAIN).map((c) => c.detail),
    ).toEqual(['account APP has other JetStream limits', "account APP's JWT never expires (was 2026-12-01T00:00:00Z)"]);
  });

  it('an account JWT only one report read is no change (an answer without it says nothing of the account)', () => {
    const withJwt = accountOf('APP', {
      jwt: { issuer: 'OOLD', issuedAt: null, expires: null },
      jetstreamLimits: { memory: -1, storage: -1, streams: -1, consumers: -1 },
    });
    expect(accessChanges(section({ accounts: [withJwt] }), section({ accounts: [accountOf('APP')] }), PLAIN)).toEqual(
      [],
    );
    expect(accessChanges(section({ accounts: [accountOf('APP')] }), section({ accounts: [withJwt] }), PLAIN)).toEqual(
      [],
    );
  });

  it("a user's permissions changed; the same ones listed in another order, or unknown ones, are not", () => {
    const previous = section({
      users: [
        userOf('alice', perms(['tx.>', 'orders.>'])),
        userOf('bob', perms(['tx.>'])),
        userOf('carol', null, { permissionsFrom: 'unknown' }),
      ],
    });
    const current = section({
      users: [
        userOf('alice', perms(['orders.>', 'tx.>'])),
        userOf('bob', null),
        userOf('carol', perms(['x']), { permissionsFrom: 'unknown' }),
      ],
    });
    expect(accessChanges(previous, current, PLAIN)).toEqual([
      {
        kind: 'permissions-changed',
        subject: 'user bob',
        detail: 'user bob of account APP has other permissions',
        at: null,
        before: 'publish tx.>; subscribe _INBOX.>',
        after: 'unrestricted',
      },
    ]);
    const denied = section({ users: [userOf('bob', perms(['tx.>'], ['tx.secret']))] });
    expect(accessChanges(previous, denied, PLAIN).map((c) => c.after)).toEqual([
      'publish tx.> except tx.secret; subscribe _INBOX.>',
    ]);
  });

  it("the reporting user's permissions changed, as USER.INFO states them, compared once", () => {
    const reporting = (permissions: Permissions | null) => ({
      source: 'audit',
      account: 'AUDIT',
      user: 'audit',
      permissions,
      permissionsFrom: 'user-info' as const,
      beyondReadOnly: [],
      privileges: [],
    });
    const was = perms(['$JS.API.INFO']);
    const now = perms(['$JS.API.INFO', '$JS.API.STREAM.DELETE.*']);
    const expected = {
      kind: 'permissions-changed',
      subject: 'user audit',
      detail: 'the reporting user audit of account AUDIT has other permissions',
      at: null,
      before: 'publish $JS.API.INFO; subscribe _INBOX.>',
      after: 'publish $JS.API.INFO, $JS.API.STREAM.DELETE.*; subscribe _INBOX.>',
    };
    expect(
      accessChanges(section({ reportingUser: reporting(was) }), section({ reportingUser: reporting(now) }), PLAIN),
    ).toEqual([expected]);
    // Seen connecting in this period only: still compared by what USER.INFO stated each day.
    const seenNow = userOf('audit', now, { account: 'AUDIT', permissionsFrom: 'user-info' });
    expect(
      accessChanges(
        section({ reportingUser: reporting(was) }),
        section({ reportingUser: reporting(now), users: [seenNow] }),
        PLAIN,
      ),
    ).toEqual([expected]);
    // Seen in both periods: compared once, as a user.
    const seenBefore = userOf('audit', was, { account: 'AUDIT', permissionsFrom: 'user-info' });
    expect(
      accessChanges(
        section({ reportingUser: reporting(was), users: [seenBefore] }),
        section({ reportingUser: reporting(now), users: [seenNow] }),
        PLAIN,
      ).map((c) => c.detail),
    ).toEqual(['user audit of account AUDIT has other permissions']);
    // Another reporting user than the day before: nothing to compare.
    expect(
      accessChanges(
        section({ reportingUser: reporting(was) }),
        section({ reportingUser: { ...reporting(now), user: 'audit2' } }),
        PLAIN,
      ),
    ).toEqual([]);
  });

  it("a stream's settings changed, each field named with its value before and after", () => {
    const now = stream({
      maxAge: 3_600_000_000_000,
      denyDelete: false,
      subjects: ['orders.>', 'refunds.>'],
      mirror: 'X',
    });
    expect(accessChanges(section(), section({ streams: [now] }), PLAIN)).toEqual([
      {
        kind: 'stream-settings-changed',
        subject: 'stream ORDERS of account APP',
        detail: 'stream ORDERS of account APP changed subjects, maxAge, denyDelete, mirror',
        at: null,
        before: 'subjects ["orders.>"], maxAge 0, denyDelete true, mirror null',
        after: 'subjects ["orders.>","refunds.>"], maxAge 3600000000000, denyDelete false, mirror "X"',
      },
    ]);
    // The same stream name in another account is another stream.
    expect(accessChanges(section(), section({ streams: [stream({ account: 'AUDIT', maxAge: 1 })] }), PLAIN)).toEqual(
      [],
    );
  });

  it('lists server, then account, then user, then stream changes, and at most MAX_CHANGES', () => {
    const previous = section({ users: [userOf('bob', perms(['a']))] });
    const current = section({
      servers: [server({ configLoadTime: '2026-11-01T01:00:00Z' })],
      accounts: [accountOf('APP', { revocations: [{ user: 'U', before: 't' }] }), accountOf('AUDIT')],
      users: [userOf('bob', perms(['b']))],
      streams: [stream({ replicas: 3 })],
    });
    expect(accessChanges(previous, current, PLAIN).map((c) => c.kind)).toEqual([
      'configuration-reloaded',
      'revocation-added',
      'permissions-changed',
      'stream-settings-changed',
    ]);
    const many = accountOf('APP', {
      exports: Array.from({ length: MAX_CHANGES + 50 }, (_, i) => ({
        subject: `s${i}.>`,
        type: 'stream' as const,
        approvedAccounts: null,
        tokenRequired: false,
      })),
    });
    expect(accessChanges(section(), section({ accounts: [many] }), PLAIN)).toHaveLength(MAX_CHANGES);
  });
});

describe('changes derived between two days of a real operator-mode layout', () => {
  const f = accessFixture('operator', '2.10.27');
  const k = f.accounts!;
  const readOnly = AUDIT_READ_PERMISSIONS.pub.allow;
  const current = deriveAccess({ recorded: f.recorded, users: usersSeen(f), readOnly, previous: null });

  it('names accounts and users by their JWT names beside their keys', () => {
    const previous = structuredClone(current);
    const app = previous.accounts.find((a) => a.account === k.APP)!;
    app.exports = [];
    const appUser = previous.users.find((u) => u.userName === 'app')!;
    appUser.permissions = { ...appUser.permissions!, publish: { allow: ['tx.>'], deny: [] } };
    const previousReporting = previous.reportingUser!;
    previousReporting.permissions = null;
    const changes = deriveAccess({ recorded: f.recorded, users: usersSeen(f), readOnly, previous }).changes;
    const appName = `APP (${k.APP.slice(0, 4)}…)`;
    expect(changes.map((c) => [c.kind, c.subject, c.detail])).toEqual([
      ['export-added', `account ${appName}`, `account ${appName} exports stream $JS.EVENT.ADVISORY.> to every account`],
      [
        'permissions-changed',
        `user app (${f.users!.app.slice(0, 4)}…)`,
        `user app (${f.users!.app.slice(0, 4)}…) of account ${appName} has other permissions`,
      ],
    ]);
    // The reporting user was also seen connecting on both days: its JWT is compared as a user's, unchanged.
    expect(current.users.some((u) => u.user === f.users!.audit)).toBe(true);
    expect(changes[1]!.before).toBe('publish tx.>; subscribe _INBOX.>');
  });
});
