/**
 * Locates the nats-server binaries the tests and the demo run.
 *
 * Both are installed by `scripts/install-nats-servers.sh` (run as root):
 *   - 2.9.10  : Debian bookworm's package. Debian installs it as
 *               /usr/sbin/nats-server (/usr/bin/nats-server is accepted too).
 *               Override with NATS_SERVER_2_9.
 *   - 2.10.27 : Debian trixie's package unpacked into
 *               <repo>/.cache/nats-server/2.10.27/usr/bin/nats-server.
 *               Override with NATS_SERVER_2_10.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export type NatsVersion = '2.9.10' | '2.10.27';

export const NATS_VERSIONS: NatsVersion[] = ['2.9.10', '2.10.27'];

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const INSTALL_SCRIPT = 'scripts/install-nats-servers.sh';

interface VersionSpec {
  envVar: string;
  defaults: string[];
}

const SPECS: Record<NatsVersion, VersionSpec> = {
  '2.9.10': {
    envVar: 'NATS_SERVER_2_9',
    defaults: ['/usr/sbin/nats-server', '/usr/bin/nats-server'],
  },
  '2.10.27': {
    envVar: 'NATS_SERVER_2_10',
    defaults: [path.join(REPO_ROOT, '.cache', 'nats-server', '2.10.27', 'usr', 'bin', 'nats-server')],
  },
};

/** `<bin> --version` output per absolute path; null if the binary could not run. */
const versionOutput = new Map<string, string | null>();

function readVersion(bin: string): string | null {
  const cached = versionOutput.get(bin);
  if (cached !== undefined) return cached;
  let out: string | null;
  try {
    accessSync(bin, constants.X_OK);
    out = execFileSync(bin, ['--version'], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch {
    out = null;
  }
  versionOutput.set(bin, out);
  return out;
}

function reportsVersion(output: string, version: NatsVersion): boolean {
  // nats-server prints e.g. "nats-server: v2.10.27"; avoid 2.10.27 matching 2.10.270.
  return new RegExp(`(^|[^0-9.])v?${version.replace(/\./g, '\\.')}(?![0-9])`).test(output);
}

/**
 * Absolute path of the nats-server binary for `version`. Throws if it is
 * missing or reports a different version.
 */
export function natsServerBinary(version: NatsVersion): string {
  const spec = SPECS[version];
  if (spec === undefined) {
    throw new Error(`Unknown nats-server version ${String(version)}; expected one of ${NATS_VERSIONS.join(', ')}`);
  }
  const override = process.env[spec.envVar];
  const candidates = override !== undefined && override !== '' ? [path.resolve(override)] : spec.defaults;

  const problems: string[] = [];
  for (const bin of candidates) {
    const out = readVersion(bin);
    if (out === null) {
      problems.push(`${bin}: missing or not executable`);
    } else if (!reportsVersion(out, version)) {
      problems.push(`${bin}: reports "${out}"`);
    } else {
      return bin;
    }
  }

  const source =
    override !== undefined && override !== ''
      ? `${spec.envVar}=${override}`
      : `default location (set ${spec.envVar} to override)`;
  throw new Error(
    `nats-server ${version} not found via ${source}:\n  ${problems.join('\n  ')}\n` +
      `Install it by running (as root): bash ${INSTALL_SCRIPT}`,
  );
}

/** The newest server installed here, for the demo: 2.10.27 if present, else 2.9.10, else nats-server on PATH. */
export function newestNatsServerBinary(): string {
  for (const version of [...NATS_VERSIONS].reverse()) {
    try {
      return natsServerBinary(version);
    } catch {
      // try the next one
    }
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const bin = path.join(dir, 'nats-server');
    if (readVersion(bin) !== null) return bin;
  }
  throw new Error(`no nats-server found. Install one by running (as root): bash ${INSTALL_SCRIPT}`);
}
