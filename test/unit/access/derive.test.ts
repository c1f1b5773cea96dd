import { describe, expect, it } from 'vitest';
import { encodeUser } from '@nats-io/jwt';
import { createAccount, createUser, type KeyPair } from '@nats-io/nkeys';
import { MAX_CHANGES } from '../../../functions/access/changes.js';
import { deriveAccess, type UserSeen } from '../../../functions/access/derive.js';
import type { AccessAnswer, Permissions } from '../../../functions/access/model.js';
import { APP_PERMISSIONS, AUDIT_READ_PERMISSIONS } from '../../../functions/local/operator-hub.js';
import { NATS_VERSIONS } from '../../../functions/local/nats-binaries.js';
import { accessFixture, answersTo, usersSeen } from '../../support/access-fixtures.js';
import { jwtAccount, jwtPayload, jwtTime, tampered } from '../../support/access-jwts.js';

const READ_ONLY = AUDIT_READ_PERMISSIONS.pub.allow;
const ALL = ['all-subjects', 'jetstream-api', 'system', 'jetstream-destructive'];
const CONFIG_FILE_USERS =
  'users: in configuration-file mode no endpoint lists users or their permissions; the users shown are those ' +
  "seen connecting, and only the reporting user's own permissions are known";
const NO_DIGEST =
  'configuration digest: nats-server before 2.11 states none; a reload shows as a new configuration load time';
const NO_CIPHER = 'encryption at rest: no endpoint states whether JetStream encrypts what it stores';
/** A configuration file's accounts with JetStream: their limits are in no answer (an account JWT states them). */
const NO_JS_LIMITS = "JetStream limits of APP, AUDIT: no endpoint states an account's limits outside its JWT";
const NO_PREVIOUS = 'changes: no earlier daily report with access evidence to compare with';
const NO_USER_INFO =
  "the reporting user's permissions ($SYS.REQ.USER.INFO): not read " +
  "($SYS.REQ.USER.INFO: no responders: '$SYS.REQ.USER.INFO')";

const allowList = (p: Permissions | null | undefined) => [...(p?.publish.allow ?? [])].sort();

describe.each(NATS_VERSIONS)('deriveAccess from a configuration-file layout on nats-server %s', (version) => {
  const f = accessFixture('hub', version);
  const access = deriveAccess({ recorded: f.recorded, users: usersSeen(f), readOnly: READ_ONLY, previous: null });

  it('states the server, the accounts and the streams', () => {
    expect(access.collectedAt).toBe(f.recorded.collectedAt);
    expect(access.mode).toBe('configuration-file');
    expect(access.servers.map((s) => [s.name, s.version, s.systemAccount])).toEqual([['hub1', version, 'SYS']]);
    expect(access.accounts.map((a) => [a.account, a.accountName, a.isSystem])).toEqual([
      ['APP', undefined, false],
      ['AUDIT', undefined, false],
      ['SYS', undefined, true],
    ]);
    expect(access.streams.map((s) => `${s.account}/${s.stream}`)).toEqual([
      'APP/TRANSACTIONS',
      'AUDIT/APP_JS_ADVISORIES',
      'AUDIT/AUDIT_JS_ADVISORIES',
      'AUDIT/SOX_CONNECTS',
      'AUDIT/SYS_EVENTS',
    ]);
    expect(access.changes).toEqual([]);
  });

  it("states the reporting user's permissions where USER.INFO answers, and other users' as unknown", () => {
    expect(access.users.map((u) => `${u.account}/${u.user}`)).toEqual(['APP/app', 'AUDIT/audit']);
    expect(access.users[0]).toEqual({
      account: 'APP',
      user: 'app',
      permissions: null,
      permissionsFrom: 'unknown',
      jwt: null,
      privileges: [],
      flags: [],
      seenAt: null,
    });
    if (version === '2.9.10') {
      expect(access.reportingUser).toBeNull();
      expect(access.users[1]).toMatchObject({ permissionsFrom: 'unknown', privileges: [] });
      expect(access.limits).toEqual([NO_USER_INFO, CONFIG_FILE_USERS, NO_DIGEST, NO_JS_LIMITS, NO_CIPHER, NO_PREVIOUS]);
    } else {
      // The hub's `audit` user has no permissions block: unrestricted.
      expect(access.reportingUser).toEqual({
        source: 'audit',
        account: 'AUDIT',
        user: 'audit',
        permissions: null,
        permissionsFrom: 'user-info',
        beyondReadOnly: ['>'],
        privileges: ALL,
      });
      expect(access.users[1]).toMatchObject({ permissionsFrom: 'user-info', permissions: null, privileges: ALL });
      expect(access.limits).toEqual([CONFIG_FILE_USERS, NO_DIGEST, NO_JS_LIMITS, NO_CIPHER, NO_PREVIOUS]);
    }
  });

  it('finds no change against itself', () => {
    const again = deriveAccess({ recorded: f.recorded, users: usersSeen(f), readOnly: READ_ONLY, previous: access });
    expect(again.changes).toEqual([]);
    expect(again.limits).not.toContain(NO_PREVIOUS);
  });
});

describe.each(NATS_VERSIONS)('deriveAccess from an operator-mode layout on nats-server %s', (version) => {
  const f = accessFixture('operator', version);
  const k = f.accounts!;
  const u = f.users!;
  const access = deriveAccess({ recorded: f.recorded, users: usersSeen(f), readOnly: READ_ONLY, previous: null });
  const user = (key: string) => access.users.find((x) => x.user === key)!;

  it('names the accounts by their JWTs and knows the mode by their keys', () => {
    expect(access.mode).toBe('operator');
    expect(access.accounts.map((a) => [a.account, a.accountName, a.isSystem])).toEqual(
      (
        [
          [k.SYS, 'SYS', true],
          [k.APP, 'APP', false],
          [k.AUDIT, 'AUDIT', false],
        ] as const
      )
        .slice()
        .sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    );
    expect(access.servers.map((s) => s.systemAccount)).toEqual([k.SYS]);
    expect(access.streams.map((s) => [s.stream, s.account, s.accountName]).sort()).toEqual([
      ['SOX_CONNECTS', k.AUDIT, 'AUDIT'],
      ['TRANSACTIONS', k.APP, 'APP'],
    ]);
    expect(access.limits).toEqual(
      version === '2.9.10' ? [NO_USER_INFO, NO_DIGEST, NO_CIPHER, NO_PREVIOUS] : [NO_DIGEST, NO_CIPHER, NO_PREVIOUS],
    );
  });

  it('shows every user seen with the permissions their JWT granted, the unrestricted ones privileged', () => {
    expect(access.users.map((x) => x.userName).sort()).toEqual(['admin', 'alice', 'app', 'audit', 'bob']);
    for (const c of f.connects) {
      const x = user(c.data.client.user);
      expect(x).toMatchObject({
        account: c.data.client.acc,
        userName: c.data.client.name_tag,
        permissionsFrom: 'user-jwt',
        flags: ['no-expiry'],
        seenAt: c.data.timestamp,
        jwt: {
          issuer: c.data.client.acc,
          issuedAt: jwtTime(jwtPayload(c.data.client.jwt!).iat),
          expires: null,
          signatureValid: true,
        },
      });
    }
    for (const name of ['alice', 'bob', 'admin'] as const)
      expect([user(u[name]).permissions, user(u[name]).privileges]).toEqual([null, ALL]);
    expect(user(u.alice).accountName).toBe('APP');
    expect(user(u.admin).accountName).toBe('AUDIT');
    expect(user(u.app).permissions).toEqual({
      publish: { allow: APP_PERMISSIONS.pub.allow, deny: [] },
      subscribe: { allow: ['_INBOX.>'], deny: [] },
      responses: null,
    });
    expect(user(u.app).privileges).toEqual([]);
    expect(allowList(user(u.audit).permissions)).toEqual([...READ_ONLY].sort());
  });

  it('judges the reporting user by USER.INFO (2.10+) or its own JWT (2.9), named from its connect', () => {
    const r = access.reportingUser!;
    expect(r).toMatchObject({
      source: 'audit',
      account: k.AUDIT,
      accountName: 'AUDIT',
      user: u.audit,
      userName: 'audit',
      // nats-server 2.9 answers no USER.INFO: the JWT of the report's own connection (its CONNZ entry) states them.
      permissionsFrom: version === '2.9.10' ? 'user-jwt' : 'user-info',
      beyondReadOnly: [],
      privileges: [],
    });
    expect(allowList(r.permissions)).toEqual([...READ_ONLY].sort());
    expect(r.permissions!.subscribe).toEqual({ allow: ['_INBOX.>'], deny: [] });
    if (version === '2.9.10') {
      expect(f.recorded.answers.find((a) => a.request === 'user-info')!.error).toMatch(/^no responders/);
      return;
    }
    // The same list USER.INFO states, in the server's order.
    const info = answersTo(f, 'user-info')[0]!.data as { permissions: { publish: { allow: string[] } } };
    expect(r.permissions!.publish.allow).toEqual(info.permissions.publish.allow);
  });

  it('finds no change against itself', () => {
    expect(
      deriveAccess({ recorded: f.recorded, users: usersSeen(f), readOnly: READ_ONLY, previous: access }).changes,
    ).toEqual([]);
  });

  it("lists a lifted revocation and an account JWT's other limits, expiry and issuer; rules 1, none", () => {
    const previous = structuredClone(access);
    const app = previous.accounts.find((a) => a.account === k.APP)!;
    app.revocations = [{ user: u.bob, before: '2026-11-01T00:00:00Z' }];
    app.jetstreamLimits = { memory: -1, storage: 1_073_741_824, streams: 4, consumers: -1 };
    app.jwt = { ...app.jwt!, issuer: 'OPREVIOUS', expires: '2026-12-31T00:00:00Z' };
    const now = access.accounts.find((a) => a.account === k.APP)!;
    const facts = { recorded: f.recorded, users: usersSeen(f), readOnly: READ_ONLY, previous };
    const subject = `account APP (${k.APP.slice(0, 4)}…)`;
    expect(deriveAccess(facts).changes).toEqual([
      {
        kind: 'revocation-removed',
        subject,
        detail: `${subject} lifted the revocation of user ${u.bob} (issued before 2026-11-01T00:00:00Z)`,
        at: null,
        before: `${u.bob} (issued before 2026-11-01T00:00:00Z)`,
        after: null,
      },
      {
        kind: 'jetstream-limits-changed',
        subject,
        detail: `${subject} has other JetStream limits`,
        at: now.jwt!.issuedAt,
        before: 'memory unlimited, storage 1073741824, streams 4, consumers unlimited',
        after: 'memory unlimited, storage unlimited, streams unlimited, consumers unlimited',
      },
      {
        kind: 'account-expiry-changed',
        subject,
        detail: `${subject}'s JWT never expires (was 2026-12-31T00:00:00Z)`,
        at: now.jwt!.issuedAt,
        before: '2026-12-31T00:00:00Z',
        after: 'never',
      },
      {
        kind: 'account-issuer-changed',
        subject,
        detail: `${subject}'s JWT is signed by ${f.operatorKey} (was OPREVIOUS)`,
        at: now.jwt!.issuedAt,
        before: 'OPREVIOUS',
        after: f.operatorKey,
      },
    ]);
    expect(deriveAccess({ ...facts, rules: 1 }).changes).toEqual([]);
  });

  it("judges the reporting user by its account's streams: a consumer of an interest stream holds messages", () => {
    expect(access.reportingUser!.privileges).toEqual([]);
    const recorded = structuredClone(f.recorded);
    const jsz = recorded.answers.find((a) => a.request === 'jsz' && a.error === null)!;
    type Detail = { id: string; stream_detail: { config: { retention: string } }[] };
    const audit = (jsz.data as { account_details: Detail[] }).account_details.find((d) => d.id === k.AUDIT)!;
    audit.stream_detail[0]!.config.retention = 'interest';
    const facts = { recorded, users: usersSeen(f), readOnly: READ_ONLY, previous: null };
    expect(deriveAccess(facts).reportingUser!.privileges).toEqual(['jetstream-destructive']);
    expect(deriveAccess({ ...facts, rules: 1 }).reportingUser!.privileges).toEqual([]);
    // Streams not known (JSZ not answered): any consumer's deletion counts.
    const unanswered = {
      ...f.recorded,
      answers: f.recorded.answers.map((a) => (a.request === 'jsz' ? { ...a, data: null, error: 'timeout' } : a)),
    };
    const blind = deriveAccess({ recorded: unanswered, users: usersSeen(f), readOnly: READ_ONLY, previous: null });
    expect(blind.reportingUser!.privileges).toEqual(['jetstream-destructive']);
    expect(blind.reportingUser!.beyondReadOnly).toEqual([]);
  });
});

const seen = (account: KeyPair, user: KeyPair, token: string, seenAt: string, userName?: string): UserSeen => ({
  account: account.getPublicKey(),
  user: user.getPublicKey(),
  ...(userName ? { userName } : {}),
  jwt: { token, seenAt },
});

/** An RFC 3339 time with nanoseconds, as stored times are written. */
const nanos = (seconds: number) => jwtTime(seconds).replace('Z', '.000000001Z');

describe('deriveAccess: users of a JWT account', () => {
  it("reads each user's permissions from its JWT, a scoped key's template or the account's defaults", async () => {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + 86_400;
    const { account, signer, recorded } = await jwtAccount({});
    const own = createUser();
    const plain = createUser();
    const scoped = createUser();
    const ownJwt = await encodeUser(
      'own',
      own,
      account,
      { pub: { allow: ['tx.orders.>'], deny: ['tx.orders.secret'] }, sub: { allow: ['_INBOX.>'] } },
      { exp },
    );
    const plainJwt = await encodeUser('plain', plain, account, {}, { exp });
    // A scoped key's template wins over whatever the user JWT says.
    const scopedJwt = await encodeUser(
      'scoped',
      scoped,
      account.getPublicKey(),
      { pub: { allow: ['>'] } },
      {
        signer,
        scopedUser: true,
        exp,
      },
    );
    const at = nanos(now);
    const access = deriveAccess({
      recorded,
      users: [
        seen(account, own, ownJwt, at, 'own'),
        seen(account, plain, plainJwt, at),
        seen(account, scoped, scopedJwt, at),
      ],
      readOnly: READ_ONLY,
      previous: null,
    });
    expect(access.mode).toBe('operator');
    expect(access.accounts[0]).toMatchObject({ account: account.getPublicKey(), accountName: 'APP', revocations: [] });
    const [a, b, c] = access.users;
    expect(a).toEqual({
      account: account.getPublicKey(),
      accountName: 'APP',
      user: own.getPublicKey(),
      userName: 'own',
      permissions: {
        publish: { allow: ['tx.orders.>'], deny: ['tx.orders.secret'] },
        subscribe: { allow: ['_INBOX.>'], deny: [] },
        responses: null,
      },
      permissionsFrom: 'user-jwt',
      jwt: {
        issuer: account.getPublicKey(),
        issuedAt: jwtTime(jwtPayload(ownJwt).iat),
        expires: jwtTime(exp),
        signatureValid: true,
      },
      privileges: [],
      flags: [],
      seenAt: at,
    });
    expect([b!.permissionsFrom, b!.permissions?.publish.allow, b!.flags]).toEqual(['account-default', ['app.>'], []]);
    expect(c).toMatchObject({
      permissionsFrom: 'signing-key-scope',
      permissions: { publish: { allow: ['tx.>'], deny: [] }, subscribe: { allow: ['_INBOX.>'], deny: [] } },
      privileges: [],
      flags: [],
      jwt: { issuer: signer.getPublicKey(), signatureValid: true },
    });
  });

  it('a JWT that never expires is flagged no-expiry; one tampered with, invalid-signature', async () => {
    const { account, recorded } = await jwtAccount({});
    const forever = createUser();
    const forged = createUser();
    const foreverJwt = await encodeUser('forever', forever, account, { pub: { allow: ['tx.>'] } });
    const forgedJwt = tampered(
      await encodeUser('forged', forged, account, { pub: { allow: ['tx.>'] } }, { exp: 4_000_000_000 }),
      (p) => {
        (p.nats as { pub: unknown }).pub = { allow: ['>'] };
      },
    );
    const access = deriveAccess({
      recorded,
      users: [
        seen(account, forever, foreverJwt, nanos(1_800_000_000)),
        seen(account, forged, forgedJwt, nanos(1_800_000_000)),
      ],
      readOnly: READ_ONLY,
      previous: null,
    });
    expect(access.users.map((x) => [x.flags, x.jwt?.signatureValid, x.privileges])).toEqual([
      [['no-expiry'], true, []],
      [['invalid-signature'], false, ALL],
    ]);
    expect(access.users[1]!.jwt!.expires).toBe('2096-10-02T07:06:40Z');
  });

  it("a JWT signed by a key not its account's is flagged foreign-issuer, though its signature holds", async () => {
    const { account, signer, recorded } = await jwtAccount({});
    const stranger = createAccount();
    const byAccount = createUser();
    const bySigner = createUser();
    const byStranger = createUser();
    const users = [
      seen(account, byAccount, await encodeUser('a', byAccount, account, {}), nanos(1_800_000_000)),
      seen(
        account,
        bySigner,
        await encodeUser('b', bySigner, signer, {}, { exp: 4_000_000_000 }),
        nanos(1_800_000_000),
      ),
      seen(account, byStranger, await encodeUser('c', byStranger, stranger, {}), nanos(1_800_000_000)),
    ];
    const access = deriveAccess({ recorded, users, readOnly: READ_ONLY, previous: null });
    const byKey = (u: { getPublicKey(): string }) => access.users.find((x) => x.user === u.getPublicKey())!;
    expect(byKey(byAccount).flags).toEqual(['no-expiry']);
    expect(byKey(bySigner).flags).toEqual([]);
    expect(byKey(byStranger).flags).toEqual(['no-expiry', 'foreign-issuer']);
    expect(byKey(byStranger).jwt).toMatchObject({ issuer: stranger.getPublicKey(), signatureValid: true });
  });

  it('a token that is not a JWT: flagged, its permissions unknown', async () => {
    const { account, recorded } = await jwtAccount({});
    const x = createUser();
    const access = deriveAccess({
      recorded,
      users: [seen(account, x, 'not-a-jwt', '2026-12-01T00:00:00Z')],
      readOnly: READ_ONLY,
      previous: null,
    });
    expect(access.users[0]).toMatchObject({
      permissions: null,
      permissionsFrom: 'unknown',
      jwt: null,
      privileges: [],
      flags: ['invalid-signature'],
      seenAt: '2026-12-01T00:00:00Z',
    });
  });

  it('a revoked user connecting after the revocation is flagged revoked-but-connected; before it, not', async () => {
    const now = Math.floor(Date.now() / 1000);
    const revokedAt = now + 3_600; // JWTs issued now are issued before it
    const late = createUser();
    const early = createUser();
    const other = createUser();
    const { account, recorded } = await jwtAccount({
      [late.getPublicKey()]: revokedAt,
      [early.getPublicKey()]: revokedAt,
    });
    const token = (kp: KeyPair) => encodeUser('u', kp, account, {}, { exp: now + 86_400 });
    const access = deriveAccess({
      recorded,
      users: [
        seen(account, late, await token(late), nanos(revokedAt + 60)),
        seen(account, early, await token(early), nanos(revokedAt - 60)),
        seen(account, other, await token(other), nanos(revokedAt + 60)),
      ],
      readOnly: READ_ONLY,
      previous: null,
    });
    expect(access.accounts[0]!.revocations).toEqual(
      [
        { user: late.getPublicKey(), before: jwtTime(revokedAt) },
        { user: early.getPublicKey(), before: jwtTime(revokedAt) },
      ].sort((a, b) => (a.user < b.user ? -1 : 1)),
    );
    expect(access.users.map((x) => x.flags)).toEqual([['revoked-but-connected'], [], []]);
  });

  it('every user revoked (`*`): those issued before it and connecting after; one issued after, not', async () => {
    const now = Math.floor(Date.now() / 1000);
    const user = createUser();
    const before = await jwtAccount({ '*': now + 3_600 });
    const tokenA = await encodeUser('u', user, before.account, {}, { exp: now + 86_400 });
    expect(
      deriveAccess({
        recorded: before.recorded,
        users: [seen(before.account, user, tokenA, nanos(now + 7_200))],
        readOnly: READ_ONLY,
        previous: null,
      }).users[0]!.flags,
    ).toEqual(['revoked-but-connected']);
    const after = await jwtAccount({ '*': now - 3_600 });
    const tokenB = await encodeUser('u', user, after.account, {}, { exp: now + 86_400 });
    expect(
      deriveAccess({
        recorded: after.recorded,
        users: [seen(after.account, user, tokenB, nanos(now + 7_200))],
        readOnly: READ_ONLY,
        previous: null,
      }).users[0]!.flags,
    ).toEqual([]);
  });
});

describe('deriveAccess: what could not be read is stated', () => {
  it('each failed request once, each omitted answer, and the configuration-file users', () => {
    const failed = (request: AccessAnswer['request'], subject: string, error: string): AccessAnswer => ({
      request,
      subject,
      server: null,
      data: null,
      error,
    });
    const access = deriveAccess({
      recorded: {
        collectedAt: '2026-12-01T05:00:00Z',
        source: 'audit',
        answers: [
          failed('user-info', '$SYS.REQ.USER.INFO', 'timeout'),
          failed('varz', '$SYS.REQ.SERVER.PING.VARZ', 'no server answered'),
          failed('varz', '$SYS.REQ.SERVER.PING.VARZ', 'no server answered'),
          failed('account-info', '$SYS.REQ.ACCOUNT.APP.INFO', 'the server answered: account not found'),
          { request: 'accountz', subject: '$SYS.REQ.SERVER.PING.ACCOUNTZ', server: null, data: 'junk', error: null },
        ],
        omitted: [{ request: 'jsz', subject: '$SYS.REQ.SERVER.PING.JSZ', bytes: 5_000_000 }],
      },
      users: [],
      readOnly: READ_ONLY,
      previous: null,
    });
    expect(access).toEqual({
      collectedAt: '2026-12-01T05:00:00Z',
      mode: 'configuration-file',
      servers: [],
      accounts: [],
      reportingUser: null,
      users: [],
      streams: [],
      changes: [],
      limits: [
        "the reporting user's permissions ($SYS.REQ.USER.INFO): not read ($SYS.REQ.USER.INFO: timeout)",
        "the servers' settings ($SYS.REQ.SERVER.PING.VARZ): not read ($SYS.REQ.SERVER.PING.VARZ: no server answered)",
        "an account's imports, exports and revocations: not read " +
          '($SYS.REQ.ACCOUNT.APP.INFO: the server answered: account not found)',
        "the streams' settings ($SYS.REQ.SERVER.PING.JSZ): the answer to $SYS.REQ.SERVER.PING.JSZ (5000000 bytes) " +
          'is larger than the bound and left out',
        CONFIG_FILE_USERS,
        NO_CIPHER,
        NO_PREVIOUS,
      ],
    });
  });

  it('more changes than are listed: the first MAX_CHANGES, and how many there were', () => {
    const f = accessFixture('hub', '2.10.27');
    const current = deriveAccess({ recorded: f.recorded, users: usersSeen(f), readOnly: READ_ONLY, previous: null });
    const previous = structuredClone(current);
    previous.accounts.find((a) => a.account === 'APP')!.exports = Array.from({ length: 600 }, (_, i) => ({
      subject: `old${i}.>`,
      type: 'stream' as const,
      approvedAccounts: null,
      tokenRequired: false,
    }));
    const access = deriveAccess({ recorded: f.recorded, users: usersSeen(f), readOnly: READ_ONLY, previous });
    expect(access.changes).toHaveLength(MAX_CHANGES);
    expect(access.changes[0]!.detail).toBe('account APP exports stream $JS.EVENT.ADVISORY.> to AUDIT');
    expect(access.limits.at(-1)).toBe(
      `changes: 601 differences from the previous daily report; the first ${MAX_CHANGES} are listed`,
    );
    expect(
      deriveAccess({ recorded: f.recorded, users: usersSeen(f), readOnly: READ_ONLY, previous: current }).limits,
    ).toEqual([CONFIG_FILE_USERS, NO_DIGEST, NO_JS_LIMITS, NO_CIPHER]);
  });

  it('a USER.INFO answer without user or account is no reporting user', () => {
    const answer = (data: unknown): AccessAnswer => ({
      request: 'user-info',
      subject: '$SYS.REQ.USER.INFO',
      server: null,
      data,
      error: null,
    });
    for (const data of [null, 'x', { user: 'audit' }, { account: 'AUDIT' }, { user: 1, account: 'AUDIT' }]) {
      const recorded = { collectedAt: 't', source: 's', answers: [answer(data)], omitted: [] };
      expect(deriveAccess({ recorded, users: [], readOnly: READ_ONLY, previous: null }).reportingUser).toBeNull();
    }
  });
});
