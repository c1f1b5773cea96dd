import { describe, expect, it } from 'vitest';
import {
  MAX_ANSWER_LIST,
  accountAccess,
  accountzAccounts,
  defaultPermissionsOf,
  isAutomaticImport,
  jszStreams,
  permissionsOf,
  scopedSigningKeys,
  serverFacts,
  unixTime,
} from '../../../functions/access/answers.js';
import type { AccountAccess } from '../../../functions/access/model.js';
import { NATS_VERSIONS } from '../../../functions/local/nats-binaries.js';
import { type AccessFixture, accessFixture, accountInfo, answersTo } from '../../support/access-fixtures.js';

const LAYOUTS = NATS_VERSIONS.flatMap((version) => [['hub', version] as const, ['operator', version] as const]);

/** The layout's account names to the names the server uses (its keys in operator mode). */
function keysOf(f: AccessFixture): Record<'SYS' | 'APP' | 'AUDIT', string> {
  return f.accounts ?? { SYS: 'SYS', APP: 'APP', AUDIT: 'AUDIT' };
}

const varz = (f: AccessFixture) => answersTo(f, 'varz')[0]!.data as Record<string, unknown>;
const account = (f: AccessFixture, name: 'SYS' | 'APP' | 'AUDIT'): AccountAccess =>
  accountAccess(accountInfo(f, keysOf(f)[name]), keysOf(f).SYS)!;
const importLine = (i: AccountAccess['imports'][number]) => `${i.type} ${i.account} ${i.subject} → ${i.localSubject}`;

describe.each(LAYOUTS)('the answers of a %s layout on nats-server %s, as recorded', (layout, version) => {
  const f = accessFixture(layout, version);
  const k = keysOf(f);

  it('was captured from that server', () => {
    expect([f.layout, f.version]).toEqual([layout, version]);
    expect(f.recorded.source).toBe('audit');
    expect(f.recorded.omitted).toEqual([]);
    const userInfo = f.recorded.answers.filter((a) => a.request === 'user-info');
    if (version === '2.9.10')
      expect(userInfo.map((a) => [a.data, a.error])).toEqual([[null, "no responders: '$SYS.REQ.USER.INFO'"]]);
    else expect(userInfo.map((a) => a.error)).toEqual([null]);
  });

  it("reads VARZ into the server's facts", () => {
    const v = varz(f);
    expect(serverFacts(v)).toEqual({
      name: 'hub1',
      id: v.server_id,
      version,
      start: v.start,
      configLoadTime: v.config_load_time,
      configDigest: null,
      authRequired: true,
      tlsRequired: false,
      tlsVerify: false,
      tlsCertNotAfter: null,
      systemAccount: k.SYS,
      maxPayload: 1_048_576,
      maxConnections: 65_536,
      jetstream: { maxMemory: 256 * 1024 * 1024, maxStorage: 4 * 1024 * 1024 * 1024 },
    });
    // Started once, never reloaded: the configuration was loaded as it started.
    expect(v.config_load_time).toBe(v.start);
    expect(answersTo(f, 'varz')[0]!.server).toEqual({ name: 'hub1', id: v.server_id, version });
  });

  it('lists the accounts of ACCOUNTZ without the global account', () => {
    const raw = (answersTo(f, 'accountz')[0]!.data as { accounts: string[] }).accounts;
    expect(raw).toContain('$G');
    expect(accountzAccounts(answersTo(f, 'accountz')[0]!.data).sort()).toEqual([k.SYS, k.APP, k.AUDIT].sort());
  });

  it("reads APP's export of its advisories, approved for AUDIT in the file and public as a JWT export", () => {
    const app = account(f, 'APP');
    expect(app).toMatchObject({ account: k.APP, isSystem: false, jetstream: true, mappings: [], revocations: [] });
    expect(app.exports).toEqual([
      {
        subject: '$JS.EVENT.ADVISORY.>',
        type: 'stream',
        approvedAccounts: layout === 'hub' ? ['AUDIT'] : null,
        tokenRequired: false,
      },
    ]);
    // Everything APP imports the server added itself.
    expect(app.imports.length).toBeGreaterThan(0);
    expect(app.imports.filter((i) => !i.automatic)).toEqual([]);
    expect(app.imports.every((i) => i.account === k.SYS)).toBe(true);
  });

  it("reads AUDIT's chosen imports apart from the automatic ones", () => {
    const audit = account(f, 'AUDIT');
    expect(audit.exports).toEqual([]);
    // Sorted by type, exporting account and subject: the order of the accounts' random keys decides part of it.
    expect(audit.imports.filter((i) => !i.automatic).map(importLine)).toEqual(
      [
        `service ${k.SYS} $SYS.REQ.ACCOUNT.*.INFO → $SYS.REQ.ACCOUNT.*.INFO`,
        `service ${k.SYS} $SYS.REQ.SERVER.PING.ACCOUNTZ → $SYS.REQ.SERVER.PING.ACCOUNTZ`,
        `service ${k.SYS} $SYS.REQ.SERVER.PING.JSZ → $SYS.REQ.SERVER.PING.JSZ`,
        `service ${k.SYS} $SYS.REQ.SERVER.PING.VARZ → $SYS.REQ.SERVER.PING.VARZ`,
        `stream ${k.APP} $JS.EVENT.ADVISORY.> → APP.$JS.EVENT.ADVISORY.>`,
        `stream ${k.SYS} $SYS.ACCOUNT.*.CONNECT → $SYS.ACCOUNT.*.CONNECT`,
        `stream ${k.SYS} $SYS.ACCOUNT.*.DISCONNECT → $SYS.ACCOUNT.*.DISCONNECT`,
        `stream ${k.SYS} $SYS.ACCOUNT.*.LEAFNODE.CONNECT → $SYS.ACCOUNT.*.LEAFNODE.CONNECT`,
        `stream ${k.SYS} $SYS.SERVER.*.CLIENT.AUTH.ERR → $SYS.SERVER.*.CLIENT.AUTH.ERR`,
      ].sort((a, b) => (a.split(' → ')[0]! < b.split(' → ')[0]! ? -1 : 1)),
    );
    const automatic = audit.imports.filter((i) => i.automatic).map((i) => i.localSubject);
    expect(automatic).toContain('$JS.API.>');
    expect(automatic).toContain('$SYS.REQ.ACCOUNT.PING.STATZ');
    expect(automatic.includes('$SYS.REQ.USER.INFO')).toBe(version !== '2.9.10');
  });

  it('reads the system account: flagged, its exports (approved for AUDIT in the file), no chosen import', () => {
    const sys = account(f, 'SYS');
    expect([sys.isSystem, sys.jetstream]).toEqual([true, false]);
    const approved = layout === 'hub' ? ['AUDIT'] : null;
    expect(sys.exports.filter((e) => e.approvedAccounts !== null || layout === 'operator')).toEqual(
      expect.arrayContaining([
        { subject: '$SYS.ACCOUNT.*.CONNECT', type: 'stream', approvedAccounts: approved, tokenRequired: false },
        { subject: '$SYS.REQ.ACCOUNT.*.INFO', type: 'service', approvedAccounts: approved, tokenRequired: false },
        { subject: '$SYS.REQ.SERVER.PING.VARZ', type: 'service', approvedAccounts: approved, tokenRequired: false },
      ]),
    );
    expect(sys.exports.map((e) => `${e.type} ${e.subject}`)).toEqual(
      [...sys.exports.map((e) => `${e.type} ${e.subject}`)].sort(),
    );
    expect(sys.imports.filter((i) => !i.automatic)).toEqual([]);
  });

  it('reads the decoded account JWT in operator mode, nothing of it from a configuration file', () => {
    for (const name of ['SYS', 'APP', 'AUDIT'] as const) {
      const info = accountInfo(f, k[name]);
      const a = account(f, name);
      if (layout === 'hub') {
        expect([a.jwt, a.jetstreamLimits]).toEqual([null, null]);
        continue;
      }
      const claims = info.decoded_jwt as { iat: number; iss: string };
      expect(info.name_tag).toBe(name);
      expect(a.jwt).toEqual({
        issuer: f.operatorKey,
        issuedAt: new Date(claims.iat * 1000).toISOString().replace('.000Z', 'Z'),
        expires: null,
      });
      // APP and AUDIT run JetStream without limits; SYS's JWT states none: zero, no JetStream.
      expect(a.jetstreamLimits).toEqual(
        name === 'SYS'
          ? { memory: 0, storage: 0, streams: 0, consumers: 0 }
          : { memory: -1, storage: -1, streams: -1, consumers: -1 },
      );
      expect(defaultPermissionsOf(info)).toBeNull();
      expect(scopedSigningKeys(info).size).toBe(0);
    }
  });

  it("reads every stream's settings from JSZ", () => {
    const streams = jszStreams(answersTo(f, 'jsz')[0]!.data);
    const byName = new Map(streams.map((s) => [s.stream, s]));
    expect(byName.get('TRANSACTIONS')).toEqual({
      account: k.APP,
      stream: 'TRANSACTIONS',
      subjects: ['tx.>'],
      storage: 'file',
      retention: 'limits',
      discard: 'old',
      replicas: 1,
      maxMsgs: 100_000,
      maxBytes: -1,
      maxAge: 0,
      maxMsgsPerSubject: -1,
      denyDelete: false,
      denyPurge: false,
      allowRollup: false,
      sealed: false,
      mirror: null,
      sources: [],
    });
    expect(byName.get('SOX_CONNECTS')).toMatchObject({
      account: k.AUDIT,
      subjects: ['audit.records.>'],
      maxAge: 90 * 24 * 3600 * 1_000_000_000,
      denyDelete: true,
      denyPurge: true,
    });
    expect([...byName.keys()].sort()).toEqual(
      layout === 'hub'
        ? ['APP_JS_ADVISORIES', 'AUDIT_JS_ADVISORIES', 'SOX_CONNECTS', 'SYS_EVENTS', 'TRANSACTIONS']
        : ['SOX_CONNECTS', 'TRANSACTIONS'],
    );
  });
});

describe('hostile and malformed answers: never thrown on, never trusted', () => {
  const values = [undefined, null, 0, 1, 'text', true, [], [1, 2], { a: 1 }, Number.NaN];

  it('every reader takes any value', () => {
    for (const v of values) {
      expect(serverFacts(v)).toBeNull();
      expect(accountzAccounts(v)).toEqual([]);
      expect(accountAccess(v, 'SYS')).toBeNull();
      expect(jszStreams(v)).toEqual([]);
      expect(defaultPermissionsOf(v)).toBeNull();
      expect(scopedSigningKeys(v).size).toBe(0);
      expect(permissionsOf(v, 'server')).toBeNull();
      expect(permissionsOf(v, 'jwt')).toBeNull();
    }
  });

  it('a VARZ without its name, id or version is not a server; fields of the wrong type are left out', () => {
    const ok = { server_name: 'n', server_id: 'i', version: '2.10.27' };
    expect(serverFacts({ ...ok, version: 2 })).toBeNull();
    expect(serverFacts({ server_id: 'i', version: 'v' })).toBeNull();
    expect(
      serverFacts({
        ...ok,
        start: '0001-01-01T00:00:00Z',
        config_load_time: 17,
        config_digest: ['x'],
        auth_required: 'true',
        tls_required: 1,
        tls_verify: true,
        tls_cert_not_after: '2027-01-01T00:00:00Z',
        system_account: { name: 'SYS' },
        max_payload: '1048576',
        max_connections: Number.POSITIVE_INFINITY,
        jetstream: { config: { max_memory: 'lots' } },
      }),
    ).toEqual({
      name: 'n',
      id: 'i',
      version: '2.10.27',
      start: null,
      configLoadTime: null,
      configDigest: null,
      authRequired: false,
      tlsRequired: false,
      tlsVerify: true,
      tlsCertNotAfter: '2027-01-01T00:00:00Z',
      systemAccount: null,
      maxPayload: null,
      maxConnections: null,
      jetstream: { maxMemory: 0, maxStorage: 0 },
    });
    expect(serverFacts({ ...ok, jetstream: { config: null } })!.jetstream).toBeNull();
    expect(serverFacts({ ...ok, config_digest: 'sha256:ab' })!.configDigest).toBe('sha256:ab');
  });

  it('ACCOUNTZ keeps strings only, without $G, bounded', () => {
    expect(accountzAccounts({ accounts: ['$G', 'A', 7, null, 'B'] })).toEqual(['A', 'B']);
    const many = Array.from({ length: MAX_ANSWER_LIST + 500 }, (_, i) => `A${i}`);
    expect(accountzAccounts({ accounts: many })).toHaveLength(MAX_ANSWER_LIST);
  });

  it('an account INFO without its name is none; malformed exports, imports and mappings are left out', () => {
    expect(accountAccess({ exports: [] }, 'SYS')).toBeNull();
    const a = accountAccess(
      {
        account_name: 'APP',
        is_system: 'yes',
        jetstream_enabled: 1,
        exports: [
          null,
          'x',
          { subject: 'a.>', type: 'queue' },
          { subject: 7, type: 'stream' },
          { subject: 'b.>', type: 'service', approved_accounts: ['Z', 3, 'B'], token_req: true },
          { subject: 'c.>', type: 'stream', approved_accounts: 'AUDIT' },
        ],
        imports: [
          { subject: 'x', account: 'SYS' },
          { subject: 'y', type: 'stream' },
          { subject: 'q.>', account: 'OTHER', type: 'stream', local_subject: 5 },
        ],
        mappings: { 'a.b': [{ subject: 'c.d', weight: 40 }, 'junk', { weight: 'x' }], 'e.f': 'g' },
        revoked_user: { UX: 'not a time', UY: '2026-11-01T00:00:00Z' },
        decoded_jwt: { nats: 'nope', iss: 4 },
      },
      'SYS',
    );
    expect(a).toEqual({
      account: 'APP',
      isSystem: false,
      jetstream: false,
      exports: [
        { subject: 'b.>', type: 'service', approvedAccounts: ['B', 'Z'], tokenRequired: true },
        { subject: 'c.>', type: 'stream', approvedAccounts: null, tokenRequired: false },
      ],
      imports: [{ subject: 'q.>', account: 'OTHER', localSubject: 'q.>', type: 'stream', automatic: false }],
      mappings: [
        {
          from: 'a.b',
          to: [
            { subject: 'c.d', weight: 40 },
            { subject: '', weight: 100 },
          ],
        },
        { from: 'e.f', to: [] },
      ],
      revocations: [
        { user: 'UX', before: 'not a time' },
        { user: 'UY', before: '2026-11-01T00:00:00Z' },
      ],
      jetstreamLimits: null,
      jwt: { issuer: '', issuedAt: null, expires: null },
    });
  });

  it('huge lists are bounded', () => {
    const n = MAX_ANSWER_LIST * 3;
    const a = accountAccess(
      {
        account_name: 'APP',
        exports: Array.from({ length: n }, (_, i) => ({ subject: `s${i}.>`, type: 'stream' })),
        imports: Array.from({ length: n }, (_, i) => ({ subject: `i${i}`, account: 'X', type: 'service' })),
        mappings: Object.fromEntries(Array.from({ length: n }, (_, i) => [`m${i}`, [{ subject: 'x', weight: 1 }]])),
        decoded_jwt: {
          nats: { revocations: Object.fromEntries(Array.from({ length: n }, (_, i) => [`U${i}`, 1_700_000_000])) },
        },
      },
      'SYS',
    )!;
    expect([a.exports.length, a.imports.length, a.mappings.length, a.revocations.length]).toEqual([
      MAX_ANSWER_LIST,
      MAX_ANSWER_LIST,
      MAX_ANSWER_LIST,
      MAX_ANSWER_LIST,
    ]);
    const approved = Array.from({ length: n }, (_, i) => `A${i}`);
    const e = accountAccess(
      { account_name: 'X', exports: [{ subject: 's', type: 'stream', approved_accounts: approved }] },
      null,
    );
    expect(e!.exports[0]!.approvedAccounts).toHaveLength(MAX_ANSWER_LIST);
    const streams = jszStreams({
      account_details: [
        { id: 'APP', stream_detail: Array.from({ length: n }, (_, i) => ({ name: `S${i}`, config: {} })) },
      ],
    });
    expect(streams).toHaveLength(MAX_ANSWER_LIST);
  });

  it("revocations: the account JWT's (seconds) before the server's list (times), invalid ones left out, sorted", () => {
    const a = accountAccess(
      {
        account_name: 'APP',
        revoked_user: { UB: '2026-01-01T00:00:00Z', UA: '2026-02-01T00:00:00Z', UC: 3, UD: '0001-01-01T00:00:00Z' },
        decoded_jwt: { nats: { revocations: { UA: 1_767_225_600, '*': 1_767_225_600, UE: 'soon', UF: 0, UG: 1e300 } } },
      },
      null,
    )!;
    expect(a.revocations).toEqual([
      { user: '*', before: '2026-01-01T00:00:00Z' },
      { user: 'UA', before: '2026-01-01T00:00:00Z' },
      { user: 'UB', before: '2026-01-01T00:00:00Z' },
    ]);
  });

  it('a JWT time beyond any date, zero, negative or not a number is none', () => {
    expect(unixTime(1_767_225_600)).toBe('2026-01-01T00:00:00Z');
    expect(unixTime(1_767_225_600.5)).toBe('2026-01-01T00:00:00.500Z');
    for (const v of [0, -5, 1e300, Number.NaN, '1767225600', null, undefined]) expect(unixTime(v)).toBeNull();
    const a = accountAccess({ account_name: 'A', decoded_jwt: { iss: 'O', iat: 1e300, exp: 1e20, nats: {} } }, null)!;
    expect(a.jwt).toEqual({ issuer: 'O', issuedAt: null, expires: null });
  });

  it('JSZ: an account without id or name, or a stream without config, is left out; wrong types get defaults', () => {
    expect(
      jszStreams({
        account_details: [
          { stream_detail: [{ name: 'X', config: {} }] },
          'junk',
          {
            name: 'APP',
            stream_detail: [
              { name: 'NOCONFIG' },
              { config: { name: 'FROMCONFIG', subjects: 'tx.>', num_replicas: '3', deny_delete: 'true' } },
              {
                name: 'MIRROR',
                config: { mirror: { name: 'ORIGIN' }, sources: [{ name: 'A' }, { name: 5 }, 'B', { name: 'C' }] },
              },
            ],
          },
        ],
      }),
    ).toEqual([
      {
        account: 'APP',
        stream: 'FROMCONFIG',
        subjects: [],
        storage: '',
        retention: '',
        discard: '',
        replicas: 1,
        maxMsgs: -1,
        maxBytes: -1,
        maxAge: 0,
        maxMsgsPerSubject: -1,
        denyDelete: false,
        denyPurge: false,
        allowRollup: false,
        sealed: false,
        mirror: null,
        sources: [],
      },
      expect.objectContaining({ stream: 'MIRROR', mirror: 'ORIGIN', sources: ['A', 'C'] }),
    ]);
  });

  it('signing keys: only user scopes with a key, their template read as a JWT states permissions', () => {
    const scopes = scopedSigningKeys({
      decoded_jwt: {
        nats: {
          signing_keys: [
            'APLAIN',
            {
              kind: 'user_scope',
              key: 'ASCOPED',
              template: { pub: { allow: ['tx.>'] }, sub: { allow: ['_INBOX.>'] } },
            },
            { kind: 'user_scope', key: 'AOPEN', template: { pub: {}, sub: {} } },
            { kind: 'other', key: 'AOTHER', template: {} },
            { kind: 'user_scope', key: 9 },
          ],
        },
      },
    });
    expect([...scopes]).toEqual([
      [
        'ASCOPED',
        {
          publish: { allow: ['tx.>'], deny: [] },
          subscribe: { allow: ['_INBOX.>'], deny: [] },
          responses: null,
        },
      ],
      ['AOPEN', null],
    ]);
  });
});

describe('permissionsOf', () => {
  it('reads USER.INFO (publish / subscribe / responses)', () => {
    expect(
      permissionsOf(
        { publish: { allow: ['a', 2, 'b'] }, subscribe: { deny: ['c'] }, responses: { max: 3, ttl: 1_000_000_000 } },
        'server',
      ),
    ).toEqual({
      publish: { allow: ['a', 'b'], deny: [] },
      subscribe: { allow: null, deny: ['c'] },
      responses: { max: 3, ttl: '1000000000' },
    });
    expect(permissionsOf({}, 'server')).toBeNull();
    expect(permissionsOf({ publish: {}, subscribe: { allow: 'x' } }, 'server')).toBeNull();
    expect(permissionsOf({ responses: {} }, 'server')).toEqual({
      publish: { allow: null, deny: [] },
      subscribe: { allow: null, deny: [] },
      responses: { max: 1, ttl: null },
    });
  });

  it('reads a user JWT (pub / sub / resp), not the server form', () => {
    expect(permissionsOf({ pub: { allow: ['tx.>'] }, sub: { allow: ['_INBOX.>'] } }, 'jwt')).toEqual({
      publish: { allow: ['tx.>'], deny: [] },
      subscribe: { allow: ['_INBOX.>'], deny: [] },
      responses: null,
    });
    expect(permissionsOf({ publish: { allow: ['tx.>'] } }, 'jwt')).toBeNull();
    expect(permissionsOf({ pub: { allow: ['tx.>'] } }, 'server')).toBeNull();
  });

  it("a user JWT's empty lists state nothing: publishing stays unrestricted (nats-server's reading)", () => {
    expect(permissionsOf({ pub: {}, sub: {}, subs: -1 }, 'jwt')).toBeNull();
    expect(permissionsOf({ pub: { allow: [], deny: [] }, sub: { allow: [] } }, 'jwt')).toBeNull();
    expect(permissionsOf({ pub: { allow: [] }, sub: { allow: ['_INBOX.>'] } }, 'jwt')).toEqual({
      publish: { allow: null, deny: [] },
      subscribe: { allow: ['_INBOX.>'], deny: [] },
      responses: null,
    });
    // With a deny entry the side is stated, and its empty allow list allows nothing.
    expect(permissionsOf({ pub: { allow: [], deny: ['x'] } }, 'jwt')!.publish).toEqual({ allow: [], deny: ['x'] });
  });
});

describe('isAutomaticImport', () => {
  const imp = (subject: string, account: string, localSubject = subject) => ({ subject, account, localSubject });

  it('what the server adds from the system account to every account, and an account importing itself', () => {
    expect(
      isAutomaticImport(imp('$SYS.REQ.ACCOUNT.APP.CONNZ', 'SYS', '$SYS.REQ.ACCOUNT.PING.CONNZ'), 'APP', 'SYS'),
    ).toBe(true);
    expect(isAutomaticImport(imp('$SYS.REQ.USER.APP.INFO', 'SYS', '$SYS.REQ.USER.INFO'), 'APP', 'SYS')).toBe(true);
    expect(isAutomaticImport(imp('$SYS.REQ.ACCOUNT.PING.STATZ', 'SYS'), 'APP', 'SYS')).toBe(true);
    expect(isAutomaticImport(imp('$JS.API.>', 'SYS'), 'APP', 'SYS')).toBe(true);
    expect(isAutomaticImport(imp('anything.>', 'APP'), 'APP', 'SYS')).toBe(true);
  });

  it('a choice: another account, another account in the name, a renamed import, a service from elsewhere', () => {
    expect(isAutomaticImport(imp('$JS.API.>', 'APP'), 'AUDIT', 'SYS')).toBe(false);
    expect(isAutomaticImport(imp('$SYS.REQ.ACCOUNT.APP.CONNZ', 'SYS'), 'AUDIT', 'SYS')).toBe(false);
    expect(isAutomaticImport(imp('$JS.API.>', 'SYS', 'sys.js.>'), 'APP', 'SYS')).toBe(false);
    expect(isAutomaticImport(imp('$SYS.REQ.SERVER.PING.VARZ', 'SYS'), 'AUDIT', 'SYS')).toBe(false);
    expect(isAutomaticImport(imp('$SYS.ACCOUNT.*.CONNECT', 'SYS'), 'AUDIT', 'SYS')).toBe(false);
  });
});
