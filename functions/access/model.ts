/**
 * Access and configuration evidence: who may do what, how the servers are set up, and what changed since the
 * previous daily report. A leaf: the contract of report.json's `access` and of the answers it is derived from
 * (`inputs.access`), which `verify --recompute` derives again.
 */

/** What a run asks the servers, each once (the system account's request subjects, reached by service imports). */
export const ACCESS_REQUESTS = ['user-info', 'varz', 'jsz', 'accountz'] as const;
export type AccessRequest = (typeof ACCESS_REQUESTS)[number] | 'account-info' | 'own-connection';

/** One answer as the server gave it: the evidence the access section is derived from. */
export interface AccessAnswer {
  request: AccessRequest;
  subject: string;
  /** The answering server (its `server` block): which one said it. */
  server: { name: string; id: string; version: string } | null;
  /** The answer's `data` as sent; null when there was none. */
  data: unknown;
  /** Why there is no answer (no responders, a timeout, the server's error), or null. */
  error: string | null;
}

/** report.json `inputs.access`: every answer of the run, as read (bounded: accessAnswerBytes). */
export interface RecordedAccess {
  /** When the answers were read (RFC 3339). */
  collectedAt: string;
  /** The configured source whose connection asked. */
  source: string;
  answers: AccessAnswer[];
  /** Answers left out because they were larger than the bound, with their request (stated as a limit). */
  omitted: { request: AccessRequest; subject: string; bytes: number }[];
}

/** Publish and subscribe permissions as the server states them; null allow: everything not denied. */
export interface Permissions {
  publish: { allow: string[] | null; deny: string[] };
  subscribe: { allow: string[] | null; deny: string[] };
  /** Allowed replies to requests received (max messages per request), or null. */
  responses: { max: number; ttl: string | null } | null;
}

/**
 * Why a user counts as privileged: the publish permissions that reach all of `>`, `$JS.API.>` or `$SYS.>`, or
 * (`jetstream-destructive`, access rules 2) a subject of the JetStream API that deletes or alters a stream's data,
 * for at least one stream (access/permissions.ts `privilegesOf`).
 */
export type Privilege = 'all-subjects' | 'jetstream-api' | 'system' | 'jetstream-destructive';

/**
 * The rules report.json's `access` is derived with, recorded in the manifest's parameters (`access.rules`) so that
 * `verify --recompute` derives a report as the version that wrote it did. 1 (reports whose parameters say none):
 * privileges judged on one allow entry at a time, no `jetstream-destructive`, the first eleven change kinds. 2:
 * allow entries judged together, `jetstream-destructive`, and every change kind.
 */
export const ACCESS_RULES = 2;
export type AccessRules = 1 | 2;

export interface ServerFacts {
  name: string;
  id: string;
  version: string;
  /** When the server started and when it last loaded its configuration (a reload moves only the second). */
  start: string | null;
  configLoadTime: string | null;
  /** nats-server 2.11+: the configuration's digest; null where the server does not say. */
  configDigest: string | null;
  authRequired: boolean;
  tlsRequired: boolean;
  tlsVerify: boolean;
  /** The server certificate's expiry where the server states it. */
  tlsCertNotAfter: string | null;
  systemAccount: string | null;
  maxPayload: number | null;
  maxConnections: number | null;
  /** JetStream's server limits; null where JetStream is off. */
  jetstream: { maxMemory: number; maxStorage: number } | null;
}

export interface AccountExport {
  subject: string;
  type: 'stream' | 'service';
  /** Who may import it: null for every account (public). */
  approvedAccounts: string[] | null;
  tokenRequired: boolean;
}

export interface AccountImport {
  subject: string;
  /** The exporting account. */
  account: string;
  /** The subject in this account (a prefix or a rename); the same as `subject` when none. */
  localSubject: string;
  type: 'stream' | 'service';
  /** Added by the server itself to every account (user info, account statistics, JetStream domain): not a choice. */
  automatic: boolean;
}

export interface AccountAccess {
  /** The account as the server names it: its public key in operator mode, its name in a configuration file. */
  account: string;
  /** Operator mode: the account JWT's name. */
  accountName?: string;
  isSystem: boolean;
  jetstream: boolean;
  exports: AccountExport[];
  imports: AccountImport[];
  /** Subject mappings: from → destinations (with weights). */
  mappings: { from: string; to: { subject: string; weight: number }[] }[];
  /** Users revoked (operator mode): their JWTs issued at or before `before` are refused; `*`: every user. */
  revocations: { user: string; before: string }[];
  /** JetStream limits of the account JWT (operator mode); -1 is unlimited; null where the server does not say. */
  jetstreamLimits: { memory: number; storage: number; streams: number; consumers: number } | null;
  /** Operator mode: the account JWT's issuer, issue time and expiry (null: never). */
  jwt: { issuer: string; issuedAt: string | null; expires: string | null } | null;
}

export interface ReportingUser {
  source: string;
  account: string;
  /** Operator mode: the account JWT's name. */
  accountName?: string;
  user: string;
  /** Operator mode: the user JWT's name, where the period's connect events showed it. */
  userName?: string;
  /** null: the server states no permissions, so the user is unrestricted. */
  permissions: Permissions | null;
  /**
   * Where they come from: USER.INFO (nats-server 2.10+), or in operator mode on an older server the JWT the
   * report's own connection logged in with (its CONNZ entry), read as the server applies it.
   */
  permissionsFrom: 'user-info' | 'user-jwt' | 'signing-key-scope' | 'account-default';
  /** The publish permissions beyond the README's read-only list (all of them when unrestricted). */
  beyondReadOnly: string[];
  privileges: Privilege[];
}

export interface UserAccess {
  account: string;
  accountName?: string;
  /** The user's public key in operator mode, its name in a configuration file. */
  user: string;
  userName?: string;
  /** The user's permissions; null: unrestricted, unless `permissionsFrom` is `unknown`. */
  permissions: Permissions | null;
  /**
   * Where they come from: the user JWT of the connect event, the scope of the signing key that issued it, the
   * account's defaults (a JWT that states none), USER.INFO (the reporting user), or `unknown` (configuration-file
   * mode: no endpoint states another user's permissions).
   */
  permissionsFrom: 'user-jwt' | 'signing-key-scope' | 'account-default' | 'user-info' | 'unknown';
  /** Operator mode: the JWT's issuer (the account or one of its signing keys), issue time and expiry. */
  jwt: { issuer: string; issuedAt: string | null; expires: string | null; signatureValid: boolean } | null;
  privileges: Privilege[];
  /**
   * What to look at: `no-expiry` (a JWT that never expires), `revoked-but-connected` (a connect after revocation),
   * `invalid-signature` (the JWT's signature does not hold), `foreign-issuer` (signed by a key that is neither the
   * account's nor one of its signing keys).
   */
  flags: ('no-expiry' | 'revoked-but-connected' | 'invalid-signature' | 'foreign-issuer')[];
  /** The stored time of the connect event the permissions come from. */
  seenAt: string | null;
}

export interface StreamSettings {
  account: string;
  accountName?: string;
  stream: string;
  subjects: string[];
  storage: string;
  retention: string;
  discard: string;
  replicas: number;
  maxMsgs: number;
  maxBytes: number;
  /** Nanoseconds, as the server states it (0: no limit). */
  maxAge: number;
  maxMsgsPerSubject: number;
  denyDelete: boolean;
  denyPurge: boolean;
  allowRollup: boolean;
  sealed: boolean;
  /** Set where the stream is a mirror or sources others. */
  mirror: string | null;
  sources: string[];
}

/** The change kinds of access rules 1: reports derived with them list no other. */
export const RULES_1_CHANGE_KINDS = [
  'export-added',
  'export-removed',
  'import-added',
  'import-removed',
  'permissions-changed',
  'configuration-reloaded',
  'server-restarted',
  'server-upgraded',
  'stream-settings-changed',
  'revocation-added',
  'mapping-changed',
] as const;

export const ACCESS_CHANGE_KINDS = [
  ...RULES_1_CHANGE_KINDS,
  // Access rules 2.
  'revocation-removed',
  'jetstream-limits-changed',
  'account-expiry-changed',
  'account-issuer-changed',
] as const;
export type AccessChangeKind = (typeof ACCESS_CHANGE_KINDS)[number];

/** One difference from the previous daily report's `access`. */
export interface AccessChange {
  kind: AccessChangeKind;
  /** The server, account, user or stream it concerns. */
  subject: string;
  /** What changed, worded for a person (names shown escaped by the documents). */
  detail: string;
  /** When it happened where the server says (a reload's load time); else null (between the two reports). */
  at: string | null;
  before: string | null;
  after: string | null;
}

/** report.json `access`: derived from `inputs.access`, the period's connect events and the previous report. */
export interface AccessSection {
  collectedAt: string;
  mode: 'operator' | 'configuration-file';
  servers: ServerFacts[];
  accounts: AccountAccess[];
  reportingUser: ReportingUser | null;
  users: UserAccess[];
  streams: StreamSettings[];
  /** Differences from the previous daily report's access; empty when there was none to compare with. */
  changes: AccessChange[];
  /** What could not be seen, in words (a missing import, an older server, what no endpoint states). */
  limits: string[];
}
