import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeAccount, encodeOperator, encodeUser, fmtCreds, type Account, type User } from '@nats-io/jwt';
import { createAccount, createOperator, createUser, type KeyPair } from '@nats-io/nkeys';
import { JETSTREAM_READS, readOnlyPublish } from '../access/permissions.js';
import { DEFAULT_INCIDENT_PREFIX } from '../incidents/model.js';
import { serverBlock, startServer, type HubPorts, type RunningServer } from './hub.js';

/** The accounts of the operator-mode layout: the hub layout's SYS / APP / AUDIT, as JWTs. */
export type OperatorAccountName = 'SYS' | 'APP' | 'AUDIT';

/** The users of the operator-mode layout, each with a creds file; the key is also the user's JWT name. */
export const OPERATOR_USERS = {
  sys: 'SYS',
  app: 'APP',
  alice: 'APP',
  bob: 'APP',
  audit: 'AUDIT',
  admin: 'AUDIT',
} as const satisfies Record<string, OperatorAccountName>;
export type OperatorUserName = keyof typeof OPERATOR_USERS;

/** The reporting user's read-only JetStream access (README "The NATS side"), plus the account INFO requests. */
export const AUDIT_READ_PERMISSIONS = {
  pub: {
    allow: readOnlyPublish({ incidentPrefix: DEFAULT_INCIDENT_PREFIX, attestationPrefix: 'sox.attestations' }),
  },
  sub: { allow: ['_INBOX.>'] },
};

/** The application's service user: publishes transactions and reads its stream; changes no stream. */
export const APP_PERMISSIONS = {
  pub: {
    allow: ['tx.>', ...JETSTREAM_READS, '$SYS.REQ.USER.INFO', '$SYS.REQ.ACCOUNT.PING.STATZ'],
  },
  sub: { allow: ['_INBOX.>'] },
};

/** Unlimited account limits with JetStream on: a JWT without limits gets zero of everything and is refused. */
const UNLIMITED = {
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
  conn: -1,
  leaf: -1,
};
const JETSTREAM_UNLIMITED = { mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 };

const SYS_EVENT_STREAMS = [
  '$SYS.ACCOUNT.*.CONNECT',
  '$SYS.ACCOUNT.*.DISCONNECT',
  '$SYS.SERVER.*.CLIENT.AUTH.ERR',
  '$SYS.ACCOUNT.*.LEAFNODE.CONNECT',
];
/** The system account's information services the reporting account imports (access evidence, account names). */
const SYS_SERVICES = [
  { name: 'account-info', subject: '$SYS.REQ.ACCOUNT.*.INFO' },
  { name: 'varz', subject: '$SYS.REQ.SERVER.PING.VARZ' },
  { name: 'jsz', subject: '$SYS.REQ.SERVER.PING.JSZ' },
  { name: 'accountz', subject: '$SYS.REQ.SERVER.PING.ACCOUNTZ' },
];

/** What the operator-mode layout is made of: public keys, JWTs and the creds file of each user. */
export interface OperatorLayout {
  operatorKey: string;
  operatorJwt: string;
  /** Account name → public key. */
  accounts: Record<OperatorAccountName, string>;
  accountJwts: Record<OperatorAccountName, string>;
  /** User name → public key. */
  users: Record<OperatorUserName, string>;
  /** User name → creds file path. */
  creds: Record<OperatorUserName, string>;
  /** A new JWT of the account with its claims edited, signed by the operator (to push as a claims update). */
  reissueAccount(name: OperatorAccountName, edit: (claims: Partial<Account>) => Partial<Account>): Promise<string>;
}

/**
 * Builds the hub layout as an operator would with nsc: an operator, SYS / APP / AUDIT accounts whose JWTs carry
 * the hub's exports and imports (SYS's events and account INFO service to AUDIT, APP's advisories to AUDIT under
 * the prefix "APP."), and users with creds files under `dir`.
 */
export async function buildOperatorLayout(dir: string): Promise<OperatorLayout> {
  await mkdir(dir, { recursive: true });
  const okp = createOperator();
  const akps: Record<OperatorAccountName, KeyPair> = {
    SYS: createAccount(),
    APP: createAccount(),
    AUDIT: createAccount(),
  };
  const pub = (name: OperatorAccountName) => akps[name].getPublicKey();
  const accounts = { SYS: pub('SYS'), APP: pub('APP'), AUDIT: pub('AUDIT') };

  const claims: Record<OperatorAccountName, Partial<Account>> = {
    SYS: {
      limits: UNLIMITED,
      exports: [
        ...SYS_EVENT_STREAMS.map((subject) => ({ name: subject, subject, type: 'stream' as const })),
        ...SYS_SERVICES.map((s) => ({ ...s, type: 'service' as const })),
      ],
    },
    APP: {
      limits: { ...UNLIMITED, ...JETSTREAM_UNLIMITED },
      exports: [{ name: 'advisories', subject: '$JS.EVENT.ADVISORY.>', type: 'stream' }],
    },
    AUDIT: {
      limits: { ...UNLIMITED, ...JETSTREAM_UNLIMITED },
      imports: [
        ...SYS_EVENT_STREAMS.map((subject) => ({
          name: subject,
          subject,
          account: accounts.SYS,
          type: 'stream' as const,
        })),
        ...SYS_SERVICES.map((s) => ({ ...s, account: accounts.SYS, type: 'service' as const })),
        { name: 'app-advisories', subject: '$JS.EVENT.ADVISORY.>', account: accounts.APP, type: 'stream', to: 'APP' },
      ],
    },
  };
  const operatorJwt = await encodeOperator('OP', okp, { system_account: accounts.SYS });
  const accountJwts = {} as Record<OperatorAccountName, string>;
  for (const name of ['SYS', 'APP', 'AUDIT'] as const) {
    accountJwts[name] = await encodeAccount(name, akps[name], claims[name], { signer: okp });
  }

  const permissions: Partial<Record<OperatorUserName, Partial<User>>> = {
    app: APP_PERMISSIONS,
    audit: AUDIT_READ_PERMISSIONS,
  };
  const users = {} as Record<OperatorUserName, string>;
  const creds = {} as Record<OperatorUserName, string>;
  for (const [user, account] of Object.entries(OPERATOR_USERS) as [OperatorUserName, OperatorAccountName][]) {
    const ukp = createUser();
    users[user] = ukp.getPublicKey();
    const jwt = await encodeUser(user, ukp, akps[account], permissions[user] ?? {});
    creds[user] = path.join(dir, `${user}.creds`);
    await writeFile(creds[user], fmtCreds(jwt, ukp), { mode: 0o600 });
  }
  // What an operator does with `nsc edit account` and `nsc push`: a new JWT of the account, signed by the operator.
  const reissueAccount = (name: OperatorAccountName, edit: (claims: Partial<Account>) => Partial<Account>) =>
    encodeAccount(name, akps[name], edit(structuredClone(claims[name])), { signer: okp });
  return { operatorKey: okp.getPublicKey(), operatorJwt, accounts, accountJwts, users, creds, reissueAccount };
}

/**
 * The server configuration of the operator-mode layout: the full resolver (as `nsc` deployments run it: account
 * JWTs kept in a directory beside the store, updated by `$SYS.REQ.CLAIMS.UPDATE`) preloaded with the account JWTs.
 */
export function operatorHubConfig(ports: HubPorts, storeDir: string, layout: OperatorLayout): string {
  const q = (s: string) => JSON.stringify(s);
  const preload = (['SYS', 'APP', 'AUDIT'] as const)
    .map((name) => `  ${layout.accounts[name]}: ${q(layout.accountJwts[name])}`)
    .join('\n');
  return `${serverBlock(ports, storeDir)}operator: ${q(layout.operatorJwt)}
system_account: ${layout.accounts.SYS}
resolver: { type: full, dir: ${q(path.join(path.dirname(storeDir), 'jwt'))} }
resolver_preload: {
${preload}
}
`;
}

export interface RunningOperatorHub extends RunningServer {
  layout: OperatorLayout;
}

/** Starts nats-server in operator mode with the SYS / APP / AUDIT layout on free loopback ports. */
export async function startOperatorHub(binary: string, dir: string): Promise<RunningOperatorHub> {
  const layout = await buildOperatorLayout(path.join(dir, 'creds'));
  const server = await startServer(binary, dir, 'operator-hub.conf', (ports, storeDir) =>
    operatorHubConfig(ports, storeDir, layout),
  );
  return { ...server, layout };
}
