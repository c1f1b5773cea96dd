import { InputError } from '../errors.js';
import type { Config, StreamConfig } from './schema.js';

/** An account's public key (operator mode): 'A' and 55 more base32 characters. */
const ACCOUNT_KEY = /^A[A-Z2-7]{55}$/;

export function isAccountKey(value: string): boolean {
  return ACCOUNT_KEY.test(value);
}

/** The subject a JetStream account publishes its advisories on; another account's arrive through an import. */
export const ADVISORY_SUBJECT = '$JS.EVENT.ADVISORY.>';

/** What the server said about the accounts a run can see (operator mode), read by source/account-directory.ts. */
export interface AccountDirectory {
  /** Per configured source, in order: the account its user is in ($SYS.REQ.USER.INFO); null if it would not say. */
  sourceAccounts: (string | null)[];
  /** Every account looked up: the sources' own and the accounts they import from, with their JWT names. */
  accounts: DirectoryAccount[];
}

export interface DirectoryAccount {
  key: string;
  /** The account JWT's name; null where the server did not answer the INFO request. */
  name: string | null;
  /** The account's stream imports as its JWT declares them, with the subject each arrives on locally. */
  streamImports: { account: string; subject: string; localSubject: string }[];
}

/** How a configured `account` was turned into the key the run used. */
export interface ConfiguredAccount {
  /** Where it is in the configuration: `sources[0].streams[1].account`. */
  path: string;
  /** As the configuration gives it: the account's JWT name or its public key; null when it names none. */
  configured: string | null;
  key: string;
  /**
   * `key`: configured as the key; `account-info`: the name of the account whose JWT the server returned
   * ($SYS.REQ.ACCOUNT.<key>.INFO); `user-info`: the source's own account, as $SYS.REQ.USER.INFO names it (its JWT
   * name could not be read); `import`: an advisory stream without `account` whose `subjects` are the local subject
   * of the reading account's import of that account's advisories.
   */
  via: 'key' | 'account-info' | 'user-info' | 'import';
}

export interface ResolvedAccounts {
  /** The configuration with every `account` a key, and advisory streams given the subjects their imports use. */
  config: Config;
  accounts: ConfiguredAccount[];
}

/**
 * Turns every configured `account` into the account's public key (operator mode), by the names the server gave in
 * `directory`. An advisory stream of another account without `subjects` gets the subject its reading account
 * imports that account's advisories on (the prefix is the operator's choice, e.g. `APP.$JS.EVENT.ADVISORY.>`).
 * A name that matches no account, or more than one, is an error naming the configuration key and the name.
 */
export function resolveAccountRefs(config: Config, directory: AccountDirectory): ResolvedAccounts {
  const accounts: ConfiguredAccount[] = [];
  const byKey = new Map(directory.accounts.map((a) => [a.key, a]));
  const resolve = (path: string, configured: string, own: string | null): string => {
    const found = findAccount(path, configured, own, directory, byKey);
    accounts.push({ path, configured, ...found });
    return found.key;
  };
  const sources = config.sources.map((source, i) => {
    const own = directory.sourceAccounts[i] ?? null;
    const base = `sources[${i}]`;
    const account = source.account === undefined ? undefined : resolve(`${base}.account`, source.account, own);
    const reading = own ?? account ?? null;
    const streams = source.streams.map((ref, j): StreamConfig => {
      if (ref.account === undefined) {
        // Advisories captured under the operator's prefix, the account not named: the import says whose they are.
        const key = ref.kind === 'advisories' ? importingAccount(ref.subjects, reading, byKey) : undefined;
        if (key === undefined) return ref;
        accounts.push({ path: `${base}.streams[${j}].account`, configured: null, key, via: 'import' });
        return { ...ref, account: key };
      }
      const key = resolve(`${base}.streams[${j}].account`, ref.account, null);
      const subjects = ref.subjects ?? importedAdvisorySubjects(ref, key, reading, byKey);
      return { ...ref, account: key, ...(subjects ? { subjects } : {}) };
    });
    return { ...source, ...(account === undefined ? {} : { account }), streams };
  });
  return { config: { ...config, sources }, accounts };
}

function findAccount(
  path: string,
  configured: string,
  own: string | null,
  directory: AccountDirectory,
  byKey: Map<string, DirectoryAccount>,
): Pick<ConfiguredAccount, 'key' | 'via'> {
  if (isAccountKey(configured)) return { key: configured, via: 'key' };
  const named = directory.accounts.filter((a) => a.name === configured);
  if (named.length === 1) return { key: named[0]!.key, via: 'account-info' };
  if (named.length > 1) {
    throw new InputError(
      `${path}: more than one account is named ${JSON.stringify(configured)} ` +
        `(${named.map((a) => a.key).join(', ')}); give the account's public key instead`,
    );
  }
  // A source's own account whose JWT the server would not show: USER.INFO still says which account the user is in.
  if (own !== null && (byKey.get(own)?.name ?? null) === null) return { key: own, via: 'user-info' };
  const known = directory.accounts
    .filter((a) => a.name !== null)
    .map((a) => `${a.name} (${a.key})`)
    .sort();
  throw new InputError(
    `${path}: no account named ${JSON.stringify(configured)} is known to the server ` +
      `(the accounts the sources' users are in and import from are ${known.length ? known.join(', ') : 'unnamed'}); ` +
      "give the account's name as its JWT has it, or its public key",
  );
}

/** The local subject the reading account imports `account`'s advisories on; undefined when it does not. */
function importedAdvisorySubjects(
  ref: StreamConfig,
  account: string,
  reading: string | null,
  byKey: Map<string, DirectoryAccount>,
): string[] | undefined {
  if (ref.kind !== 'advisories' || reading === null || account === reading) return undefined;
  const imported = byKey
    .get(reading)
    ?.streamImports.filter((i) => i.account === account && i.subject === ADVISORY_SUBJECT);
  return imported?.length ? [...new Set(imported.map((i) => i.localSubject))].sort() : undefined;
}

/** The one account whose advisories the reading account imports on exactly these subjects; undefined otherwise. */
function importingAccount(
  subjects: string[] | undefined,
  reading: string | null,
  byKey: Map<string, DirectoryAccount>,
): string | undefined {
  if (subjects === undefined || reading === null) return undefined;
  const from = new Set(
    (byKey.get(reading)?.streamImports ?? [])
      .filter((i) => i.subject === ADVISORY_SUBJECT && subjects.includes(i.localSubject))
      .map((i) => i.account),
  );
  return from.size === 1 ? [...from][0] : undefined;
}

/** The stream import's subject as it arrives in the importing account: `local_subject`, or the older `to` prefix. */
export function localSubjectOf(subject: string, to: string | undefined, localSubject: string | undefined): string {
  if (localSubject) return localSubject;
  return to ? `${to}.${subject}` : subject;
}

/** How a resolution is told to the person provisioning; null for an account configured as its key. */
export function describeConfiguredAccount(a: ConfiguredAccount): string | null {
  switch (a.via) {
    case 'key':
      return null;
    case 'import':
      return `${a.path}: ${a.key} (the account whose advisories the stream's subjects import)`;
    default:
      return `${a.path}: ${a.configured} is account ${a.key}`;
  }
}
