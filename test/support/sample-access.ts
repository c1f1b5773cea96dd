import type { AccessChange, AccessSection, Permissions } from '../../functions/access/model.js';
import type { RecordedInputs, ReportV1 } from '../../functions/analysis/report-model.js';
import { named } from '../../functions/text/named.js';
import { HOSTILE, sampleReport } from './sample-report.js';

/** Keys as operator mode names accounts, users and servers (56 characters, the kind's first letter). */
export const KEYS = {
  sys: 'AS27RQKZMLV2RNIWYQSUCKD3ZEIKAB5CVUUDD5OSI47TYNTK6DGWEW7D',
  app: 'AW4LZ7Z2ECHJLPVJYRH5DSN5XAEJWQ4ZZUSQ3PSA23SXJ5IZ4GI3NRXP',
  audit: 'APXJFDO62TRA3WNSFS7MKEQHBQJHWERQCGSIHVPCEOPRI5Q5ZLNU3MBX',
  /** APP's signing key, the issuer of its users' JWTs. */
  appSigner: 'AGK2W5VJTJCUFQ7ZQZEHFYZAG36K5HOFLCEYLDWTCXT2JFKHNRJRQ4SI',
  operator: 'OAN5OV2XUXPZG3WV6OJLKQKKNYUW2JDKXLIJEPNOCLGGEPXT25OVVYS5',
  soxReport: 'UQY4PK722QR4LOEVMMSTWCJRUIGNQR75E7YXJ5QTJYANOD3UDJE7NCFP',
  payments: 'USNIIOLLRFIJHYSKNPXBV4RVQXSPGFYUIEOLQRZMB37B2CQABKSSEVRK',
  opsAdmin: 'UVEWDNZTKEXXJT74GF6VI5B4YPPTMPTITYPXGMHCABJC3B4PDWEZI2VO',
  mallory: 'UYCSJO5Q3C5JXT3LDHF6MTACUMVM7VKCMVHF65XTXGEL4GFIIW2WEMOG',
  reversed: 'U2HTVVSTVQFKO4IKHQU6AF3DHC32KP2QEDDDILF4PLVFYY6YL4JNCQYJ',
  longName: 'U7RTPAIOGPUDEYFEQUEVVUTKNF5IWPSTJFILMUEXR6OSM3IU2N6UZKPG',
  forged: 'UF4C5JNUJ2JYMV6YCFBPTL5CIM335ZCRNG2FD7HIREQ3T52VTD6YTEKO',
  n1: 'NM5VYXOCM44TH3VJA33FEQEOI6EFFHZRWGUXQNGD7IL7EEWWO3WANZYN',
  n2: 'NASAKSPJOTMEUXCPARYAZOYEJVQMBSOXYALDGWYY4ZDJNYG5ORSEEFT3',
} as const;

/** A user name that reads "root" when its right-to-left override reaches the page raw. */
export const REVERSED_ROOT = '\u202Etoor';

/** The README's read-only list, as the reporting user is granted it. */
const READ_ONLY: Permissions = {
  publish: {
    allow: ['$JS.API.INFO', '$JS.API.STREAM.INFO.*', '$JS.API.CONSUMER.CREATE.*', '$SYS.REQ.USER.INFO'],
    deny: [],
  },
  subscribe: { allow: ['_INBOX.>'], deny: [] },
  responses: null,
};

/** Fifteen subjects: more than a cell shows (MAX_IN_CELL, 12). */
const MANY = Array.from({ length: 15 }, (_, i) => `tx.region${i + 1}.>`);

/** The user with a hostile name, as a change names it (access/changes.ts). */
const MALLORY = `user ${named(KEYS.mallory, HOSTILE.script)}`;

/** Operator (JWT) mode: names beside keys, an administrator, every flag, changes since the previous report. */
export function operatorAccess(): AccessSection {
  return {
    collectedAt: '2026-11-25T05:00:02.000000000Z',
    mode: 'operator',
    servers: [
      {
        name: 'hub-1',
        id: KEYS.n1,
        version: '2.11.4',
        start: '2026-11-20T08:00:00.000000000Z',
        configLoadTime: '2026-11-24T15:30:00.000000000Z',
        configDigest: 'sha256:4f2a9c0e1b7d',
        authRequired: true,
        tlsRequired: true,
        tlsVerify: true,
        tlsCertNotAfter: '2027-03-01T00:00:00.000000000Z',
        systemAccount: KEYS.sys,
        maxPayload: 1_048_576,
        maxConnections: 65_536,
        jetstream: { maxMemory: 1_073_741_824, maxStorage: 10_995_116_277_760 },
      },
      {
        name: 'hub-2',
        id: KEYS.n2,
        version: '2.10.27',
        start: '2026-11-24T09:00:00.000000000Z',
        configLoadTime: '2026-11-24T09:00:00.000000000Z',
        configDigest: null,
        authRequired: true,
        tlsRequired: false,
        tlsVerify: false,
        tlsCertNotAfter: null,
        systemAccount: KEYS.sys,
        maxPayload: null,
        maxConnections: null,
        jetstream: null,
      },
    ],
    accounts: [
      {
        account: KEYS.sys,
        accountName: 'SYS',
        isSystem: true,
        jetstream: false,
        exports: [],
        imports: [],
        mappings: [],
        revocations: [],
        jetstreamLimits: null,
        jwt: { issuer: KEYS.operator, issuedAt: '2026-10-01T00:00:00.000000000Z', expires: null },
      },
      {
        account: KEYS.app,
        accountName: 'APP',
        isSystem: false,
        jetstream: true,
        exports: [
          { subject: 'payments.api.>', type: 'service', approvedAccounts: [KEYS.audit], tokenRequired: false },
          { subject: 'tx.events.>', type: 'stream', approvedAccounts: null, tokenRequired: true },
        ],
        imports: [
          {
            subject: '$SYS.REQ.USER.INFO',
            account: KEYS.sys,
            localSubject: '$SYS.REQ.USER.INFO',
            type: 'service',
            automatic: true,
          },
          {
            subject: '$SYS.REQ.ACCOUNT.PING.CONNZ',
            account: KEYS.sys,
            localSubject: '$SYS.REQ.ACCOUNT.PING.CONNZ',
            type: 'service',
            automatic: true,
          },
        ],
        mappings: [
          { from: 'orders.new', to: [{ subject: 'orders.v2.new', weight: 100 }] },
          {
            from: 'tx.canary',
            to: [
              { subject: 'tx.v1', weight: 90 },
              { subject: 'tx.v2', weight: 10 },
            ],
          },
        ],
        revocations: [{ user: KEYS.mallory, before: '2026-11-24T12:00:00.000000000Z' }],
        jetstreamLimits: { memory: -1, storage: 5_368_709_120, streams: 10, consumers: -1 },
        jwt: {
          issuer: KEYS.operator,
          issuedAt: '2026-11-24T15:29:00.000000000Z',
          expires: '2027-11-24T00:00:00.000000000Z',
        },
      },
      {
        account: KEYS.audit,
        accountName: 'AUDIT',
        isSystem: false,
        jetstream: true,
        exports: [],
        imports: [
          {
            subject: 'payments.api.>',
            account: KEYS.app,
            localSubject: 'app.payments.>',
            type: 'service',
            automatic: false,
          },
          {
            subject: '$SYS.REQ.SERVER.PING.VARZ',
            account: KEYS.sys,
            localSubject: '$SYS.REQ.SERVER.PING.VARZ',
            type: 'service',
            automatic: false,
          },
          {
            subject: '$SYS.REQ.USER.INFO',
            account: KEYS.sys,
            localSubject: '$SYS.REQ.USER.INFO',
            type: 'service',
            automatic: true,
          },
        ],
        mappings: [],
        revocations: [],
        jetstreamLimits: { memory: 0, storage: 1_073_741_824, streams: 4, consumers: 40 },
        jwt: { issuer: KEYS.operator, issuedAt: '2026-10-01T00:00:00.000000000Z', expires: null },
      },
    ],
    reportingUser: {
      source: 'audit',
      account: KEYS.audit,
      user: KEYS.soxReport,
      permissions: READ_ONLY,
      permissionsFrom: 'user-info',
      beyondReadOnly: [],
      privileges: [],
    },
    users: [
      {
        account: KEYS.app,
        accountName: 'APP',
        user: KEYS.payments,
        userName: 'payments-svc',
        permissions: {
          publish: { allow: ['tx.>'], deny: ['tx.admin.>'] },
          subscribe: { allow: ['_INBOX.>', 'payments.api.>'], deny: [] },
          responses: { max: 1, ttl: '5s' },
        },
        permissionsFrom: 'signing-key-scope',
        jwt: {
          issuer: KEYS.appSigner,
          issuedAt: '2026-11-01T00:00:00.000000000Z',
          expires: '2026-12-01T00:00:00.000000000Z',
          signatureValid: true,
        },
        privileges: [],
        flags: [],
        seenAt: '2026-11-24T14:00:00.000000001Z',
      },
      {
        account: KEYS.app,
        accountName: 'APP',
        user: KEYS.mallory,
        userName: HOSTILE.script,
        permissions: {
          publish: { allow: MANY, deny: [] },
          subscribe: { allow: null, deny: ['$SYS.>'] },
          responses: null,
        },
        permissionsFrom: 'user-jwt',
        jwt: {
          issuer: KEYS.app,
          issuedAt: '2026-11-01T00:00:00.000000000Z',
          expires: '2026-12-31T00:00:00.000000000Z',
          signatureValid: true,
        },
        privileges: [],
        flags: ['revoked-but-connected'],
        seenAt: '2026-11-24T13:00:00.000000000Z',
      },
      {
        account: KEYS.app,
        accountName: 'APP',
        user: KEYS.opsAdmin,
        userName: 'ops-admin',
        // A JWT that states no permissions: the account's defaults, none here, so unrestricted.
        permissions: null,
        permissionsFrom: 'account-default',
        jwt: { issuer: KEYS.app, issuedAt: '2026-06-01T00:00:00.000000000Z', expires: null, signatureValid: true },
        privileges: ['all-subjects', 'jetstream-api', 'system'],
        flags: ['no-expiry'],
        seenAt: '2026-11-24T13:05:00.000000000Z',
      },
      {
        account: KEYS.audit,
        accountName: 'AUDIT',
        user: KEYS.reversed,
        userName: REVERSED_ROOT,
        permissions: { publish: { allow: [], deny: [] }, subscribe: { allow: ['audit.>'], deny: [] }, responses: null },
        permissionsFrom: 'user-jwt',
        jwt: {
          issuer: KEYS.audit,
          issuedAt: '2026-11-01T00:00:00.000000000Z',
          expires: '2027-01-01T00:00:00.000000000Z',
          signatureValid: true,
        },
        privileges: [],
        flags: [],
        seenAt: '2026-11-24T16:00:00.000000000Z',
      },
      {
        account: KEYS.audit,
        accountName: 'AUDIT',
        user: KEYS.longName,
        userName: HOSTILE.longToken,
        permissions: {
          publish: { allow: ['audit.>'], deny: [] },
          subscribe: { allow: ['audit.>'], deny: [] },
          responses: null,
        },
        permissionsFrom: 'user-jwt',
        jwt: {
          issuer: KEYS.audit,
          issuedAt: '2026-11-01T00:00:00.000000000Z',
          expires: '2027-01-01T00:00:00.000000000Z',
          signatureValid: true,
        },
        privileges: [],
        flags: [],
        seenAt: '2026-11-24T17:00:00.000000000Z',
      },
      {
        account: KEYS.app,
        accountName: 'APP',
        user: KEYS.forged,
        permissions: {
          publish: { allow: ['$JS.API.>'], deny: [] },
          subscribe: { allow: null, deny: [] },
          responses: null,
        },
        permissionsFrom: 'user-jwt',
        jwt: {
          issuer: KEYS.operator,
          issuedAt: '2026-11-24T10:00:00.000000000Z',
          expires: null,
          signatureValid: false,
        },
        privileges: ['jetstream-api'],
        flags: ['no-expiry', 'invalid-signature'],
        seenAt: '2026-11-24T18:00:00.000000000Z',
      },
    ],
    streams: [
      {
        account: KEYS.app,
        accountName: 'APP',
        stream: 'TRANSACTIONS',
        subjects: ['tx.>'],
        storage: 'file',
        replicas: 3,
        retention: 'limits',
        discard: 'old',
        maxMsgs: -1,
        maxBytes: 10_737_418_240,
        maxAge: 220_752_000_000_000_000,
        maxMsgsPerSubject: -1,
        denyDelete: true,
        denyPurge: true,
        allowRollup: false,
        sealed: false,
        mirror: null,
        sources: [],
      },
      {
        account: KEYS.audit,
        accountName: 'AUDIT',
        stream: 'SYS_EVENTS',
        subjects: ['$SYS.ACCOUNT.*.CONNECT', '$SYS.ACCOUNT.*.DISCONNECT', '$SYS.SERVER.*.CLIENT.AUTH.ERR'],
        storage: 'file',
        replicas: 1,
        retention: 'limits',
        discard: 'new',
        maxMsgs: 5_000_000,
        maxBytes: -1,
        maxAge: 0,
        maxMsgsPerSubject: 0,
        denyDelete: false,
        denyPurge: false,
        allowRollup: true,
        sealed: false,
        mirror: null,
        sources: ['SYS_EVENTS_EU', 'SYS_EVENTS_US'],
      },
      {
        account: KEYS.audit,
        accountName: 'AUDIT',
        stream: 'TRANSACTIONS_MIRROR',
        subjects: [],
        storage: 'memory',
        replicas: 1,
        retention: 'limits',
        discard: 'old',
        maxMsgs: -1,
        maxBytes: -1,
        maxAge: 86_400_000_000_000,
        maxMsgsPerSubject: -1,
        denyDelete: true,
        denyPurge: true,
        allowRollup: false,
        sealed: true,
        mirror: 'TRANSACTIONS',
        sources: [],
      },
    ],
    changes: [
      {
        kind: 'configuration-reloaded',
        subject: 'server hub-1',
        detail: 'server hub-1 reloaded its configuration',
        at: '2026-11-24T15:30:00.000000000Z',
        before: 'sha256:0c9d5e7a3f21',
        after: 'sha256:4f2a9c0e1b7d',
      },
      {
        kind: 'export-added',
        subject: `account ${named(KEYS.app, 'APP')}`,
        detail: `account ${named(KEYS.app, 'APP')} exports stream tx.events.> to every account (token required)`,
        at: null,
        before: null,
        after: 'stream tx.events.> to every account (token required)',
      },
      {
        kind: 'permissions-changed',
        subject: MALLORY,
        detail: `${MALLORY} of account ${named(KEYS.app, 'APP')} has other permissions`,
        at: null,
        before: 'publish tx.region1.>; subscribe any except $SYS.>',
        after: `publish ${MANY.join(', ')}; subscribe any except $SYS.>`,
      },
      {
        kind: 'server-upgraded',
        subject: 'server hub-2',
        detail: 'server hub-2 runs 2.10.27 (was 2.10.26)',
        at: '2026-11-24T09:00:00.000000000Z',
        before: '2.10.26',
        after: '2.10.27',
      },
    ],
    limits: [
      'Encryption at rest cannot be read from any endpoint (nats-server does not export JetStreamCipher).',
      'hub-2 (nats-server 2.10.27) states no configuration digest: a reload is seen by its load time alone.',
    ],
  };
}

/**
 * Operator mode as access rules 2 derive it: the change kinds they add (a lifted revocation, an account JWT's other
 * JetStream limits, expiry and issuer) and a user whose one privilege is that it may purge a stream.
 */
export function rules2Access(): AccessSection {
  const access = operatorAccess();
  const app = `account ${named(KEYS.app, 'APP')}`;
  const jwtChange = (kind: AccessChange['kind'], detail: string, before: string, after: string): AccessChange => ({
    kind,
    subject: app,
    detail: `${app}${detail}`,
    at: '2026-11-24T15:29:00Z',
    before,
    after,
  });
  access.changes = [
    {
      kind: 'revocation-removed',
      subject: app,
      detail: `${app} lifted the revocation of user ${KEYS.mallory} (issued before 2026-11-24T12:00:00Z)`,
      at: null,
      before: `${KEYS.mallory} (issued before 2026-11-24T12:00:00Z)`,
      after: null,
    },
    jwtChange(
      'jetstream-limits-changed',
      ' has other JetStream limits',
      'memory unlimited, storage 1073741824, streams 4, consumers unlimited',
      'memory unlimited, storage 5368709120, streams 10, consumers unlimited',
    ),
    jwtChange(
      'account-expiry-changed',
      "'s JWT expires 2027-11-24T00:00:00Z (was never)",
      'never',
      '2027-11-24T00:00:00Z',
    ),
    jwtChange(
      'account-issuer-changed',
      `'s JWT is signed by ${KEYS.operator} (was OPREVIOUS)`,
      'OPREVIOUS',
      KEYS.operator,
    ),
  ];
  // The unrestricted and the `$JS.API.>` users may delete too; payments-svc may purge its stream, nothing more.
  for (const u of access.users) if (u.privileges.length > 0) u.privileges.push('jetstream-destructive');
  access.users[0]!.permissions!.publish.allow!.push('$JS.API.STREAM.PURGE.TRANSACTIONS');
  access.users[0]!.privileges = ['jetstream-destructive'];
  return access;
}

/** Configuration-file mode: names are the identifiers, users carry no permissions, the reporting user may write. */
export function configFileAccess(): AccessSection {
  return {
    collectedAt: '2026-11-25T05:00:02.000000000Z',
    mode: 'configuration-file',
    servers: [
      {
        name: 'hub',
        id: KEYS.n1,
        version: '2.10.27',
        start: '2026-11-24T09:00:00.000000000Z',
        configLoadTime: '2026-11-24T09:00:00.000000000Z',
        configDigest: null,
        authRequired: true,
        tlsRequired: false,
        tlsVerify: false,
        tlsCertNotAfter: null,
        systemAccount: 'SYS',
        maxPayload: 1_048_576,
        maxConnections: 65_536,
        jetstream: { maxMemory: 268_435_456, maxStorage: 1_073_741_824 },
      },
    ],
    accounts: [
      {
        account: 'APP',
        isSystem: false,
        jetstream: true,
        exports: [{ subject: 'tx.events.>', type: 'stream', approvedAccounts: ['AUDIT'], tokenRequired: false }],
        imports: [],
        mappings: [],
        revocations: [],
        jetstreamLimits: null,
        jwt: null,
      },
      {
        account: 'AUDIT',
        isSystem: false,
        jetstream: true,
        exports: [],
        imports: [
          { subject: 'tx.events.>', account: 'APP', localSubject: 'tx.events.>', type: 'stream', automatic: false },
        ],
        mappings: [],
        revocations: [],
        jetstreamLimits: null,
        jwt: null,
      },
    ],
    reportingUser: {
      source: 'audit',
      account: 'AUDIT',
      user: 'audit',
      permissions: {
        publish: { allow: ['$JS.API.>', '_INBOX.>'], deny: [] },
        subscribe: { allow: null, deny: [] },
        responses: null,
      },
      permissionsFrom: 'user-info',
      beyondReadOnly: ['$JS.API.>', '_INBOX.>'],
      privileges: ['jetstream-api'],
    },
    users: [
      {
        account: 'APP',
        user: 'payments-svc',
        permissions: null,
        permissionsFrom: 'unknown',
        jwt: null,
        privileges: [],
        flags: [],
        seenAt: '2026-11-24T14:00:00.000000001Z',
      },
      {
        account: 'AUDIT',
        user: 'audit',
        permissions: null,
        permissionsFrom: 'unknown',
        jwt: null,
        privileges: [],
        flags: [],
        seenAt: null,
      },
    ],
    streams: [
      {
        account: 'APP',
        stream: 'TRANSACTIONS',
        subjects: ['tx.>'],
        storage: 'file',
        replicas: 1,
        retention: 'limits',
        discard: 'old',
        maxMsgs: -1,
        maxBytes: -1,
        maxAge: 0,
        maxMsgsPerSubject: -1,
        denyDelete: true,
        denyPurge: false,
        allowRollup: false,
        sealed: false,
        mirror: null,
        sources: [],
      },
    ],
    changes: [],
    limits: [
      'Configuration-file mode: no endpoint states the permissions of users other than the reporting user; the ' +
        'users seen connecting are listed without them.',
    ],
  };
}

/** What a daily report records about the run besides its events, with the previous daily report it compares with. */
export function inputsWithPrevious(previous: ReportV1 | null): RecordedInputs {
  return {
    previous:
      previous === null
        ? null
        : {
            bundle: 'daily/2026/11/23',
            reportSha256: 'a'.repeat(64),
            report: {
              streams: previous.streams,
              controls: previous.controls,
              ...(previous.access ? { access: previous.access } : {}),
            },
          },
    previousBundle: { state: previous === null ? 'first' : 'ok', detail: 'daily/2026/11/23' },
    streamPlans: null,
    archiveLock: { state: 'none', detail: 'a local archive' },
    mirrors: null,
    incidents: null,
  };
}

/** The sample day with access evidence, compared with a previous daily report that had some too. */
export function sampleReportWithAccess(access: AccessSection = operatorAccess()): ReportV1 {
  const previous = { ...sampleReport(), access: { ...access, changes: [] } };
  return { ...sampleReport(), access, inputs: inputsWithPrevious(previous) };
}
