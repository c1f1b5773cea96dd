/**
 * What produced a bundle, for its manifest: the software (name, version, commit when known), Node's version, the
 * nats-server(s) the events were read from, and the configuration that shaped the figures, by the SHA-256 of its
 * effective form without secrets, together with the parameters themselves (analysis/parameters.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { reportParametersSchema, type ReportParameters } from '../analysis/parameters.js';
import type { Config } from '../config/schema.js';
import { redactCredentials } from '../text/redact.js';

export const SOFTWARE_NAME = 'nats-sox-reports';
/** Set by the build where the code runs without its package.json and checkout (the Lambda bundle). */
export const SOFTWARE_ENV = { version: 'SOX_REPORT_VERSION', commit: 'SOX_REPORT_COMMIT' } as const;
const REDACTED = '[redacted]';

export interface Producer {
  software: { name: string; version: string; commit: string | null };
  node: string;
  /** The server each source's connection reached (null: not known, e.g. a run that completed an earlier one). */
  natsServers: { source: string; version: string | null; name: string | null }[];
  /** SHA-256 of the effective configuration (defaults applied) as canonical JSON, with every secret replaced. */
  configSha256: string;
  parameters: ReportParameters;
}

export const producerSchema = z.strictObject({
  software: z.strictObject({ name: z.string(), version: z.string(), commit: z.string().nullable() }),
  node: z.string(),
  natsServers: z.array(
    z.strictObject({ source: z.string(), version: z.string().nullable(), name: z.string().nullable() }),
  ),
  configSha256: z.string().regex(/^[0-9a-f]{64}$/),
  parameters: reportParametersSchema,
});

export function producerOf(
  config: Config,
  natsServers: Producer['natsServers'],
  parameters: ReportParameters,
): Producer {
  return {
    software: softwareIdentity(),
    node: process.version,
    natsServers,
    configSha256: configSha256(config),
    parameters,
  };
}

/** The configuration as it shapes a run, secrets replaced: passwords, tokens and credentials in server URLs. */
export function configWithoutSecrets(config: Config): unknown {
  return {
    ...config,
    sources: config.sources.map((source) => ({
      ...source,
      nats: {
        ...source.nats,
        servers: source.nats.servers.map(redactCredentials),
        ...(source.nats.pass !== undefined ? { pass: REDACTED } : {}),
        ...(source.nats.token !== undefined ? { token: REDACTED } : {}),
      },
    })),
  };
}

export function configSha256(config: Config): string {
  return createHash('sha256')
    .update(canonicalJson(configWithoutSecrets(config)))
    .digest('hex');
}

/** JSON with object keys sorted at every level: the same configuration always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

let identity: Producer['software'] | undefined;

/**
 * The version and commit: set by the build where there is no package.json or checkout (the Lambda bundle's
 * environment: SOX_REPORT_VERSION, SOX_REPORT_COMMIT), else read from the package and its git checkout.
 */
export function softwareIdentity(): Producer['software'] {
  if (identity) return identity;
  const root = packageRoot();
  const version = process.env[SOFTWARE_ENV.version] || (root ? packageVersion(root) : null) || 'unknown';
  const commit = process.env[SOFTWARE_ENV.commit] || (root ? gitCommit(root) : null);
  identity = { name: SOFTWARE_NAME, version, commit };
  return identity;
}

function packageRoot(): string | null {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate) && packageName(candidate) === SOFTWARE_NAME) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function packageName(file: string): string | null {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name ?? null;
  } catch {
    return null;
  }
}

function packageVersion(root: string): string | null {
  try {
    return (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/** HEAD's commit from the checkout's files (no git process): a detached HEAD, a loose ref or a packed one. */
function gitCommit(root: string): string | null {
  try {
    const git = path.join(root, '.git');
    const head = readFileSync(path.join(git, 'HEAD'), 'utf8').trim();
    if (/^[0-9a-f]{40}$/.test(head)) return head;
    const ref = /^ref: (refs\/[^\s]+)$/.exec(head)?.[1];
    if (!ref || ref.includes('..')) return null;
    const loose = path.join(git, ...ref.split('/'));
    if (existsSync(loose)) return readFileSync(loose, 'utf8').trim();
    const packed = readFileSync(path.join(git, 'packed-refs'), 'utf8');
    return new RegExp(`^([0-9a-f]{40}) ${ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm').exec(packed)?.[1] ?? null;
  } catch {
    return null;
  }
}
