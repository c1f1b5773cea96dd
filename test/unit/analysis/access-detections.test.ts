import { describe, expect, it } from 'vitest';
import { encodeUser } from '@nats-io/jwt';
import { createUser } from '@nats-io/nkeys';
import { deriveAccess } from '../../../functions/access/derive.js';
import type { AccessChange, AccessSection } from '../../../functions/access/model.js';
import { ACCESS_CHANGE, accessChange } from '../../../functions/analysis/detection/access-change.js';
import { reportDay } from '../../../functions/analysis/detection/common.js';
import { detect, detectionContext, ruleCategory } from '../../../functions/analysis/detection/detect.js';
import { REVOKED_USER_CONNECTED, revokedUserConnected } from '../../../functions/analysis/detection/revoked-user.js';
import type { ReportV1 } from '../../../functions/analysis/report-model.js';
import { parseConfig } from '../../../functions/config/load.js';
import { jwtAccount, jwtTime } from '../../support/access-jwts.js';
import { sampleReport } from '../../support/sample-report.js';

const COLLECTED = '2026-11-25T05:00:02.000000000Z';

function withAccess(access: Partial<AccessSection>): ReportV1 {
  const report = sampleReport();
  report.access = {
    collectedAt: COLLECTED,
    mode: 'configuration-file',
    servers: [],
    accounts: [],
    reportingUser: null,
    users: [],
    streams: [],
    changes: [],
    limits: [],
    ...access,
  };
  return report;
}

const change = (
  kind: AccessChange['kind'],
  subject: string,
  before: string | null,
  after: string | null,
  at: string | null = null,
): AccessChange => ({
  kind,
  subject,
  detail: `${subject}: ${kind}`,
  at,
  before,
  after,
});

describe('access-change: every difference from the previous report opens an incident', () => {
  it('names what changed, with its severity, before and after, and when the server says', () => {
    const report = withAccess({
      changes: [
        change('export-added', 'account APP', null, 'stream tx.> to AUDIT'),
        change('export-removed', 'account APP', 'stream adv.> to AUDIT', null),
        change('import-added', 'account AUDIT', null, 'stream tx.> from APP'),
        change('import-removed', 'account AUDIT', 'service x from SYS', null),
        change('permissions-changed', 'user bob', 'publish tx.>; subscribe any', 'unrestricted'),
        change('configuration-reloaded', 'server hub1', 'T0', 'T1', '2026-11-24T15:30:00Z'),
        change('server-restarted', 'server hub1', 'S0', 'S1', 'S1'),
        change('server-upgraded', 'server hub1', '2.10.27', '2.11.4', 'S1'),
        change('stream-settings-changed', 'stream ORDERS', 'maxAge 0', 'maxAge 5'),
        change('revocation-added', 'account APP', null, 'UX (issued before 2026-11-24T00:00:00Z)'),
        change('mapping-changed', 'account APP', 'none', 'a → b (100%)'),
      ],
    });
    const found = accessChange(report);
    expect(found.map((d) => [d.severity, d.subject])).toEqual([
      ['high', 'export-added: account APP: stream tx.> to AUDIT'],
      ['medium', 'export-removed: account APP: stream adv.> to AUDIT'],
      ['high', 'import-added: account AUDIT: stream tx.> from APP'],
      ['medium', 'import-removed: account AUDIT: service x from SYS'],
      ['high', 'permissions-changed: user bob'],
      ['medium', 'configuration-reloaded: server hub1'],
      ['low', 'server-restarted: server hub1'],
      ['medium', 'server-upgraded: server hub1'],
      ['high', 'stream-settings-changed: stream ORDERS'],
      ['medium', 'revocation-added: account APP: UX (issued before 2026-11-24T00:00:00Z)'],
      ['high', 'mapping-changed: account APP'],
    ]);
    expect(found.map((d) => d.summary)).toEqual([
      'account APP: export-added',
      'account APP: export-removed',
      'account AUDIT: import-added',
      'account AUDIT: import-removed',
      'user bob: permissions-changed (before: publish tx.>; subscribe any; now: unrestricted)',
      'server hub1: configuration-reloaded (before: T0; now: T1) at 2026-11-24T15:30:00Z',
      'server hub1: server-restarted (before: S0; now: S1) at S1',
      'server hub1: server-upgraded (before: 2.10.27; now: 2.11.4) at S1',
      'stream ORDERS: stream-settings-changed (before: maxAge 0; now: maxAge 5)',
      'account APP: revocation-added',
      'account APP: mapping-changed (before: none; now: a → b (100%))',
    ]);
    for (const d of found)
      expect(d).toMatchObject({ rule: ACCESS_CHANGE, day: reportDay(report), at: COLLECTED, evidence: [] });
    expect(ruleCategory(ACCESS_CHANGE)).toBe('change');
  });

  it('a lifted revocation, and an account JWT with other limits, expiry or issuer, each open one (rules 2)', () => {
    const found = accessChange(
      withAccess({
        changes: [
          change('revocation-removed', 'account APP', 'UX (issued before 2026-11-24T00:00:00Z)', null),
          change('jetstream-limits-changed', 'account APP', 'memory 1', 'memory 2', '2026-11-24T15:29:00Z'),
          change('account-expiry-changed', 'account APP', 'never', '2027-01-01T00:00:00Z', '2026-11-24T15:29:00Z'),
          change('account-issuer-changed', 'account APP', 'OOLD', 'ONEW', '2026-11-24T15:29:00Z'),
        ],
      }),
    );
    expect(found.map((d) => [d.rule, d.severity, d.subject, d.summary])).toEqual([
      [
        ACCESS_CHANGE,
        'high',
        'revocation-removed: account APP: UX (issued before 2026-11-24T00:00:00Z)',
        'account APP: revocation-removed',
      ],
      [
        ACCESS_CHANGE,
        'medium',
        'jetstream-limits-changed: account APP',
        'account APP: jetstream-limits-changed (before: memory 1; now: memory 2) at 2026-11-24T15:29:00Z',
      ],
      [
        ACCESS_CHANGE,
        'medium',
        'account-expiry-changed: account APP',
        'account APP: account-expiry-changed (before: never; now: 2027-01-01T00:00:00Z) at 2026-11-24T15:29:00Z',
      ],
      [
        ACCESS_CHANGE,
        'high',
        'account-issuer-changed: account APP',
        'account APP: account-issuer-changed (before: OOLD; now: ONEW) at 2026-11-24T15:29:00Z',
      ],
    ]);
  });

  it('no access section, or no change: nothing', () => {
    expect(accessChange(sampleReport())).toEqual([]);
    expect(accessChange(withAccess({}))).toEqual([]);
  });
});

describe('revoked-user-connected', () => {
  it('a revoked user connecting after the revocation is a critical incident; before it, none', async () => {
    const now = Math.floor(Date.now() / 1000);
    const revokedAt = now + 3_600;
    const late = createUser();
    const early = createUser();
    const { account, recorded } = await jwtAccount({
      [late.getPublicKey()]: revokedAt,
      [early.getPublicKey()]: revokedAt,
    });
    const token = (name: string, kp: typeof late) => encodeUser(name, kp, account, {}, { exp: now + 86_400 });
    const after = jwtTime(revokedAt + 60).replace('Z', '.000000001Z');
    const access = deriveAccess({
      recorded,
      users: [
        {
          account: account.getPublicKey(),
          user: late.getPublicKey(),
          userName: 'late',
          jwt: { token: await token('late', late), seenAt: after },
        },
        {
          account: account.getPublicKey(),
          user: early.getPublicKey(),
          userName: 'early',
          jwt: { token: await token('early', early), seenAt: jwtTime(revokedAt - 60) },
        },
      ],
      readOnly: [],
      previous: null,
    });
    const report = sampleReport();
    report.access = access;
    const accountShown = `APP (${account.getPublicKey().slice(0, 4)}…)`;
    const expected = {
      rule: REVOKED_USER_CONNECTED,
      severity: 'critical',
      subject: `${account.getPublicKey()}/${late.getPublicKey()}`,
      summary:
        `user late (${late.getPublicKey().slice(0, 4)}…) of account ${accountShown} connected at ${after} ` +
        'with a JWT its account has revoked',
      day: reportDay(report),
      at: after,
      evidence: [],
    };
    expect(revokedUserConnected(report)).toEqual([expected]);
    // The catalogue runs it with the others, as a login incident.
    const config = parseConfig({
      timezone: 'UTC',
      sources: [
        {
          name: 'audit',
          nats: { servers: ['nats://127.0.0.1:4222'] },
          streams: [{ stream: 'SYS_EVENTS', kind: 'system-events' }],
        },
      ],
    });
    const context = detectionContext({ timezone: 'UTC', detection: config.detection, streams: [] }, null);
    expect(detect(report, context).filter((d) => d.rule === REVOKED_USER_CONNECTED)).toEqual([expected]);
    expect(ruleCategory(REVOKED_USER_CONNECTED)).toBe('login');
  });

  it('a flagged user without a connect time is dated by the collection', () => {
    const report = withAccess({
      users: [
        {
          account: 'APP',
          user: 'bob',
          permissions: null,
          permissionsFrom: 'user-jwt',
          jwt: null,
          privileges: [],
          flags: ['no-expiry', 'revoked-but-connected'],
          seenAt: null,
        },
        {
          account: 'APP',
          user: 'carol',
          permissions: null,
          permissionsFrom: 'user-jwt',
          jwt: null,
          privileges: [],
          flags: ['no-expiry', 'invalid-signature'],
          seenAt: '2026-11-24T10:00:00Z',
        },
      ],
    });
    expect(revokedUserConnected(report).map((d) => [d.subject, d.at, d.summary])).toEqual([
      ['APP/bob', COLLECTED, 'user bob of account APP connected with a JWT its account has revoked'],
    ]);
    expect(revokedUserConnected(sampleReport())).toEqual([]);
  });
});
