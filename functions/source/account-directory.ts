import type { NatsConnection } from '@nats-io/transport-node';
import {
  ADVISORY_SUBJECT,
  isAccountKey,
  localSubjectOf,
  resolveAccountRefs,
  type AccountDirectory,
  type DirectoryAccount,
  type ResolvedAccounts,
} from '../config/account-refs.js';
import type { Config, SourceConfig } from '../config/schema.js';
import { connectWithin } from './nats-steps.js';
import { ownIdentity } from './own-identity.js';
import { sysRequest } from './sys-request.js';
import type { RunDeadline } from './retry.js';

/** How long one lookup's attempt may take; a server that went away is waited for (sys-request.ts), like any step. */
const LOOKUP_TIMEOUT_MS = 2000;

/**
 * Resolves the accounts a configuration names into public keys (operator mode), before anything is read: the
 * configuration as the run uses it, and how each account was resolved. Outside operator mode (every configured
 * account a key, or the server naming accounts by name) the configuration is returned as it is, with null.
 */
export async function resolveConfiguredAccounts(
  config: Config,
  connect: (source: SourceConfig) => Promise<NatsConnection>,
  deadline?: RunDeadline,
): Promise<{ config: Config; accounts: ResolvedAccounts['accounts'] | null }> {
  const configured = config.sources.flatMap((s) => [s.account, ...s.streams.map((r) => r.account)]);
  const named = configured.some((a) => a !== undefined && !isAccountKey(a));
  // Another account's advisories given by key but without subjects, or by subjects under a prefix but without the
  // account: the JWTs' imports say the one from the other.
  const imported = config.sources.some((s) =>
    s.streams.some(
      (r) =>
        r.kind === 'advisories' &&
        (r.account === undefined
          ? r.subjects?.some((subject) => subject !== ADVISORY_SUBJECT)
          : r.subjects === undefined),
    ),
  );
  if (!named && !imported) return { config, accounts: null };
  const directory = await readAccountDirectory(config, connect, deadline);
  if (directory === null) return { config, accounts: null };
  return resolveAccountRefs(config, directory);
}

/**
 * Asks the server about the accounts the sources can see: each source's own account ($SYS.REQ.USER.INFO on its
 * connection) and, through the first source's connection, each of those accounts' JWT and the accounts it imports
 * from ($SYS.REQ.ACCOUNT.<key>.INFO, reached through a service import from the system account). Null when the first
 * source's server does not name its account by a public key: not operator mode, names are the accounts' own.
 */
export async function readAccountDirectory(
  config: Config,
  connect: (source: SourceConfig) => Promise<NatsConnection>,
  deadline?: RunDeadline,
): Promise<AccountDirectory | null> {
  const open = (source: SourceConfig) =>
    connectWithin(source, connect, { ...(deadline ? { deadline } : {}), purpose: 'to resolve account names' });
  const first = await open(config.sources[0]!);
  try {
    const own = (await ownIdentity(first, { names: false }))?.account ?? null;
    if (own === null || !isAccountKey(own)) return null;
    const sourceAccounts: (string | null)[] = [own];
    for (const source of config.sources.slice(1)) {
      const nc = await open(source);
      try {
        const key = (await ownIdentity(nc, { names: false }))?.account ?? null;
        sourceAccounts.push(key !== null && isAccountKey(key) ? key : null);
      } finally {
        await nc.close().catch(() => undefined);
      }
    }
    const accounts: (DirectoryAccount & { importsFrom: string[] })[] = [];
    const seen = new Set<string>();
    const queue = sourceAccounts.filter((k): k is string => k !== null);
    // The sources' own accounts, then the accounts they import from: one level, which is where a configured name is.
    for (let i = 0; i < queue.length; i++) {
      const key = queue[i]!;
      if (seen.has(key)) continue;
      seen.add(key);
      const account = await accountInfo(first, key);
      accounts.push(account);
      if (sourceAccounts.includes(key)) queue.push(...account.importsFrom);
    }
    return { sourceAccounts, accounts: accounts.map(({ importsFrom: _, ...a }) => a) };
  } finally {
    await first.close().catch(() => undefined);
  }
}

interface InfoAnswer {
  data?: {
    name_tag?: unknown;
    decoded_jwt?: {
      name?: unknown;
      nats?: {
        imports?: { account?: unknown; subject?: unknown; to?: unknown; local_subject?: unknown; type?: unknown }[];
      };
    };
  } | null;
}

/** One account's JWT name and imports as the server returns them; unnamed where it does not answer. */
async function accountInfo(nc: NatsConnection, key: string): Promise<DirectoryAccount & { importsFrom: string[] }> {
  let data: InfoAnswer['data'] = null;
  const reply = await sysRequest(nc, `$SYS.REQ.ACCOUNT.${key}.INFO`, undefined, LOOKUP_TIMEOUT_MS);
  try {
    data = reply === null ? null : reply.json<InfoAnswer>().data;
  } catch {
    data = null;
  }
  const name = data?.name_tag ?? data?.decoded_jwt?.name;
  const imports = data?.decoded_jwt?.nats?.imports ?? [];
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const streamImports = imports.flatMap((i) => {
    const account = text(i.account);
    const subject = text(i.subject);
    if (i.type !== 'stream' || account === undefined || subject === undefined) return [];
    return [{ account, subject, localSubject: localSubjectOf(subject, text(i.to), text(i.local_subject)) }];
  });
  const importsFrom = imports
    .map((i) => text(i.account))
    .filter((a): a is string => a !== undefined && isAccountKey(a));
  return {
    key,
    name: typeof name === 'string' && name !== '' && name !== key ? name : null,
    streamImports,
    importsFrom,
  };
}
