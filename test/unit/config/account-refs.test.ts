import { describe, expect, it } from 'vitest';
import { withConfiguredAccounts } from '../../../functions/analysis/account-names.js';
import {
  describeConfiguredAccount,
  isAccountKey,
  localSubjectOf,
  resolveAccountRefs,
  type AccountDirectory,
} from '../../../functions/config/account-refs.js';
import { parseConfig } from '../../../functions/config/load.js';
import type { Config } from '../../../functions/config/schema.js';
import { InputError } from '../../../functions/errors.js';

const key = (c: string) => `A${c.repeat(55)}`;
const SYS = key('S');
const APP = key('P');
const AUDIT = key('D');

function config(audit: Record<string, unknown> = {}, app: Record<string, unknown> = {}): Config {
  return parseConfig({
    timezone: 'UTC',
    sources: [
      {
        name: 'audit',
        account: 'AUDIT',
        nats: { servers: ['nats://127.0.0.1:4222'], creds: '/x/audit.creds' },
        streams: [
          { stream: 'SYS_EVENTS', kind: 'system-events' },
          { stream: 'APP_JS_ADVISORIES', kind: 'advisories', account: 'APP' },
          { stream: 'AUDIT_JS_ADVISORIES', kind: 'advisories', account: 'AUDIT' },
        ],
        ...audit,
      },
      {
        name: 'app',
        account: 'APP',
        nats: { servers: ['nats://127.0.0.1:4222'], creds: '/x/app.creds' },
        streams: [{ stream: 'TRANSACTIONS', kind: 'transactions' }],
        ...app,
      },
    ],
    archive: '/tmp/archive',
    signing: { kind: 'local', dir: '/tmp/signing' },
    email: { from: 'a@example.com', to: ['b@example.com'], outbox: '/tmp/outbox' },
  });
}

/** The operator-mode layout as the server describes it to the audit user: AUDIT imports SYS's events and APP's. */
const directory: AccountDirectory = {
  sourceAccounts: [AUDIT, APP],
  accounts: [
    {
      key: AUDIT,
      name: 'AUDIT',
      streamImports: [
        { account: SYS, subject: '$SYS.ACCOUNT.*.CONNECT', localSubject: '$SYS.ACCOUNT.*.CONNECT' },
        { account: APP, subject: '$JS.EVENT.ADVISORY.>', localSubject: 'APP.$JS.EVENT.ADVISORY.>' },
      ],
    },
    { key: APP, name: 'APP', streamImports: [] },
    { key: SYS, name: 'SYS', streamImports: [] },
  ],
};

describe('accounts configured by name (operator mode)', () => {
  it('tells an account public key from a name', () => {
    expect([AUDIT, 'AUDIT', `${AUDIT}X`, `U${'A'.repeat(55)}`, `A${'a'.repeat(55)}`].map(isAccountKey)).toEqual([
      true,
      false,
      false,
      false,
      false,
    ]);
  });

  it('turns every name into its key, says how, and gives imported advisories the subject they arrive on', () => {
    const { config: resolved, accounts } = resolveAccountRefs(config(), directory);
    expect(accounts).toEqual([
      { path: 'sources[0].account', configured: 'AUDIT', key: AUDIT, via: 'account-info' },
      { path: 'sources[0].streams[1].account', configured: 'APP', key: APP, via: 'account-info' },
      { path: 'sources[0].streams[2].account', configured: 'AUDIT', key: AUDIT, via: 'account-info' },
      { path: 'sources[1].account', configured: 'APP', key: APP, via: 'account-info' },
    ]);
    expect(resolved.sources.map((s) => s.account)).toEqual([AUDIT, APP]);
    expect(resolved.sources[0]!.streams.map((r) => [r.stream, r.account, r.subjects])).toEqual([
      ['SYS_EVENTS', undefined, undefined],
      ['APP_JS_ADVISORIES', APP, ['APP.$JS.EVENT.ADVISORY.>']],
      // The reading account's own advisories need no import: captured as $JS.EVENT.ADVISORY.> (stream-spec.ts).
      ['AUDIT_JS_ADVISORIES', AUDIT, undefined],
    ]);
  });

  it('keeps keys as given, and subjects the configuration gives', () => {
    const streams = [
      { stream: 'APP_ADV', kind: 'advisories', account: APP, subjects: ['X.$JS.EVENT.ADVISORY.>'] },
      { stream: 'APP_JS_ADVISORIES', kind: 'advisories', account: APP },
    ];
    const { config: resolved, accounts } = resolveAccountRefs(config({ account: AUDIT, streams }), directory);
    expect(accounts.slice(0, 3)).toEqual([
      { path: 'sources[0].account', configured: AUDIT, key: AUDIT, via: 'key' },
      { path: 'sources[0].streams[0].account', configured: APP, key: APP, via: 'key' },
      { path: 'sources[0].streams[1].account', configured: APP, key: APP, via: 'key' },
    ]);
    expect(resolved.sources[0]!.streams.map((r) => r.subjects)).toEqual([
      ['X.$JS.EVENT.ADVISORY.>'],
      // Given by key without subjects: the subject AUDIT's JWT imports APP's advisories on.
      ['APP.$JS.EVENT.ADVISORY.>'],
    ]);
  });

  it("finds whose advisories a stream given only by subjects under the operator's prefix holds", () => {
    const streams = [
      { stream: 'APP_JS_ADVISORIES', kind: 'advisories', subjects: ['APP.$JS.EVENT.ADVISORY.>'] },
      { stream: 'OWN', kind: 'advisories', subjects: ['$JS.EVENT.ADVISORY.>'] },
      { stream: 'ELSEWHERE', kind: 'advisories', subjects: ['X.$JS.EVENT.ADVISORY.>'] },
    ];
    const { config: resolved, accounts } = resolveAccountRefs(config({ streams }), directory);
    expect(accounts.slice(0, 2)).toEqual([
      { path: 'sources[0].account', configured: 'AUDIT', key: AUDIT, via: 'account-info' },
      { path: 'sources[0].streams[0].account', configured: null, key: APP, via: 'import' },
    ]);
    // Its own advisories, and subjects no import arrives on, name no other account: left as configured.
    expect(resolved.sources[0]!.streams.map((r) => r.account)).toEqual([APP, undefined, undefined]);
    expect(accounts.map(describeConfiguredAccount)).toEqual([
      `sources[0].account: AUDIT is account ${AUDIT}`,
      `sources[0].streams[0].account: ${APP} (the account whose advisories the stream's subjects import)`,
      `sources[1].account: APP is account ${APP}`,
    ]);
    expect(describeConfiguredAccount({ path: 'p', configured: APP, key: APP, via: 'key' })).toBeNull();
  });

  it("takes a source's own account from USER.INFO when the server shows no JWT name for it", () => {
    const unnamed: AccountDirectory = {
      sourceAccounts: [AUDIT, APP],
      accounts: [directory.accounts[0]!, { key: APP, name: null, streamImports: [] }],
    };
    const { accounts } = resolveAccountRefs(
      config({ streams: [{ stream: 'SYS_EVENTS', kind: 'system-events' }] }),
      unnamed,
    );
    expect(accounts).toEqual([
      { path: 'sources[0].account', configured: 'AUDIT', key: AUDIT, via: 'account-info' },
      { path: 'sources[1].account', configured: 'APP', key: APP, via: 'user-info' },
    ]);
  });

  it('refuses a name no account has, naming the configuration key, the name and the accounts it knows', () => {
    const streams = [
      { stream: 'SYS_EVENTS', kind: 'system-events' },
      { stream: 'OPS_ADV', kind: 'advisories', account: 'OPS' },
    ];
    const attempt = () => resolveAccountRefs(config({ streams }), directory);
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(
      `sources[0].streams[1].account: no account named "OPS" is known to the server (the accounts the sources' ` +
        `users are in and import from are APP (${APP}), AUDIT (${AUDIT}), SYS (${SYS})); ` +
        "give the account's name as its JWT has it, or its public key",
    );
    // A source's own account named wrongly: its user's account has another name.
    expect(() => resolveAccountRefs(config({}, { account: 'PAYMENTS' }), directory)).toThrow(
      /^sources\[1\]\.account: no account named "PAYMENTS" is known to the server/,
    );
  });

  it('refuses a name two accounts share', () => {
    const twice: AccountDirectory = {
      ...directory,
      accounts: [...directory.accounts, { key: key('Q'), name: 'APP', streamImports: [] }],
    };
    expect(() => resolveAccountRefs(config(), twice)).toThrow(
      `sources[0].streams[1].account: more than one account is named "APP" (${APP}, ${key('Q')}); ` +
        "give the account's public key instead",
    );
  });

  it('reads a stream import as it arrives: local_subject, or the older prefix `to`', () => {
    expect(localSubjectOf('$JS.EVENT.ADVISORY.>', 'APP', undefined)).toBe('APP.$JS.EVENT.ADVISORY.>');
    expect(localSubjectOf('$JS.EVENT.ADVISORY.>', 'APP', 'P.$JS.EVENT.ADVISORY.>')).toBe('P.$JS.EVENT.ADVISORY.>');
    expect(localSubjectOf('$SYS.ACCOUNT.*.CONNECT', undefined, undefined)).toBe('$SYS.ACCOUNT.*.CONNECT');
  });

  it('records on each stream plan the accounts its configuration names, with the key used', () => {
    const configured = config();
    const { accounts } = resolveAccountRefs(configured, directory);
    const plan = (source: string, stream: string) => ({
      source,
      stream,
      kind: 'advisories' as const,
      action: 'ok' as const,
      findings: [],
    });
    const plans = [plan('audit', 'SYS_EVENTS'), plan('audit', 'APP_JS_ADVISORIES'), plan('app', 'TRANSACTIONS')];
    expect(withConfiguredAccounts(plans, configured, accounts)).toEqual([
      { ...plans[0], sourceAccount: accounts[0] },
      { ...plans[1], sourceAccount: accounts[0], account: accounts[1] },
      { ...plans[2], sourceAccount: accounts[3] },
    ]);
    expect(withConfiguredAccounts(plans, configured, null)).toBe(plans);
    expect(withConfiguredAccounts(null, configured, accounts)).toBeNull();
  });
});
