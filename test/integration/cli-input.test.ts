import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoConfig } from '../../functions/cli/demo.js';
import { freePort } from '../../functions/local/free-port.js';
import { soxReport } from '../support/cli.js';
import { startTestBed, type TestBed } from '../support/hub.js';

type Document = Record<string, unknown> & { sources: { nats: Record<string, unknown> }[] };

const PASSWORDS = { sys: 'sys-pw', app: 'app-pw', leaf: 'leaf-pw', audit: 'audit-pw' };

async function entries(dir: string): Promise<string[] | null> {
  try {
    return (await readdir(dir, { recursive: true })).sort();
  } catch {
    return null;
  }
}

/**
 * Bad local paths are found before anything connects: the configured server is a free port with nothing
 * listening, so a run that got as far as connecting would fail with exit 1 ("cannot connect"), not exit 2.
 */
describe('sox-report run refuses bad local paths up front, with exit 2 and the key to fix', () => {
  let dir: string;
  let url: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sox-cli-input-'));
    url = `nats://127.0.0.1:${await freePort()}`;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function configWith(name: string, change: (document: Document) => void): Promise<string> {
    const document = demoConfig(url, PASSWORDS, path.join(dir, name, 'archive')) as Document;
    document.signing = { kind: 'local', dir: path.join(dir, name, 'signing') };
    delete document.email;
    for (const s of document.sources) s.nats.connectTimeoutSeconds = 2;
    change(document);
    await mkdir(path.join(dir, name), { recursive: true });
    const file = path.join(dir, name, 'config.json');
    await writeFile(file, JSON.stringify(document));
    return file;
  }

  const run = (config: string, ...args: string[]) =>
    soxReport(['run', '--config', config, '--date', '2026-01-15', ...args]);
  /** The error: the last line on stderr, after the line naming the period. */
  const error = (result: { stderr: string }) => result.stderr.trimEnd().split('\n').at(-1);

  it('an archive that is a file (configured or given with --archive), or lies under one', async () => {
    const file = path.join(dir, 'file-archive', 'reports.txt');
    const config = await configWith('file-archive', (d) => (d.archive = file));
    await writeFile(file, 'not a folder');

    const configured = await run(config);
    expect(configured.code).toBe(2);
    expect(error(configured)).toBe(`sox-report: archive: ${file} is a file, not a directory`);

    const given = await run(config, '--archive', file);
    expect(given.code).toBe(2);
    expect(error(given)).toBe(`sox-report: --archive: ${file} is a file, not a directory`);

    const below = await run(config, '--archive', path.join(file, 'reports'));
    expect(below.code).toBe(2);
    expect(error(below)).toBe(
      `sox-report: --archive: ${path.join(file, 'reports')} cannot be created: ${file} is a file, not a directory`,
    );

    expect(await readFile(file, 'utf8')).toBe('not a folder');
    // Nothing was made for the run either: the signing key is created only once the paths are known good.
    expect(await entries(path.join(dir, 'file-archive', 'signing'))).toBeNull();
  });

  it('a signing folder inside the archive, also through a symbolic link or --archive', async () => {
    const base = path.join(dir, 'key-in-archive');
    const archive = path.join(base, 'archive');
    const inside = await configWith(
      'key-in-archive',
      (d) => (d.signing = { kind: 'local', dir: path.join(archive, 'signing') }),
    );
    const result = await run(inside);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `signing.dir: ${path.join(archive, 'signing')} is inside the archive (archive: ` +
        `${archive}), so the private key would be archived`,
    );
    expect(await entries(archive)).toBeNull();

    await mkdir(archive);
    await symlink(archive, path.join(base, 'elsewhere'));
    const linked = await configWith(
      'key-in-archive',
      (d) => (d.signing = { kind: 'local', dir: path.join(base, 'elsewhere', 'keys') }),
    );
    const throughLink = await run(linked);
    expect(throughLink.code).toBe(2);
    expect(throughLink.stderr).toContain(`signing.dir: ${path.join(base, 'elsewhere', 'keys')} is inside the archive`);

    // The default layout keeps them apart, but an --archive above the signing folder takes it in.
    const beside = await configWith('key-in-archive', () => undefined);
    const above = await run(beside, '--archive', base);
    expect(above.code).toBe(2);
    expect(above.stderr).toContain(`is inside the archive (--archive: ${base})`);
    expect(await entries(archive)).toEqual([]);
    expect(await entries(path.join(base, 'signing'))).toBeNull();
  });

  it('signing files (local-files) that are missing or inside the archive, and a missing KMS certificate', async () => {
    const base = path.join(dir, 'signing-files');
    const archive = path.join(base, 'archive');
    const keyFile = path.join(base, 'key.pem');
    const certFile = path.join(base, 'cert.pem');
    const localFiles = await configWith(
      'signing-files',
      (d) => (d.signing = { kind: 'local-files', keyFile, certFile }),
    );

    const noKey = await run(localFiles);
    expect(noKey.code).toBe(2);
    expect(error(noKey)).toBe(`sox-report: signing.keyFile: the private key file ${keyFile} does not exist`);
    await writeFile(keyFile, 'a key');
    const noCert = await run(localFiles);
    expect(noCert.code).toBe(2);
    expect(error(noCert)).toBe(`sox-report: signing.certFile: the certificate file ${certFile} does not exist`);

    await mkdir(archive);
    await writeFile(path.join(archive, 'key.pem'), 'a key');
    await writeFile(certFile, 'a certificate');
    const keyInArchive = await configWith(
      'signing-files',
      (d) => (d.signing = { kind: 'local-files', keyFile: path.join(archive, 'key.pem'), certFile }),
    );
    const archived = await run(keyInArchive);
    expect(archived.code).toBe(2);
    expect(archived.stderr).toContain(
      `signing.keyFile: ${path.join(archive, 'key.pem')} is inside the archive (archive: ${archive})`,
    );
    expect(await entries(archive)).toEqual(['key.pem']);

    const kms = await configWith(
      'signing-files',
      (d) => (d.signing = { kind: 'kms', keyId: 'alias/sox', certFile: path.join(base, 'kms-cert.pem') }),
    );
    const noKmsCert = await run(kms);
    expect(noKmsCert.code).toBe(2);
    expect(error(noKmsCert)).toBe(
      `sox-report: signing.certFile: the certificate file ${path.join(base, 'kms-cert.pem')} does not exist`,
    );
  });

  it('a rollup over more than ten years of days (a mistyped first day), before the archive is touched', async () => {
    const config = await configWith('long-rollup', () => undefined);
    const rollup = (from: string, to: string) => soxReport(['rollup', '--config', config, '--from', from, '--to', to]);
    const typo = await rollup('1900-01-01', '2026-11-30');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe(
      'sox-report: --to: the rollup from 1900-01-01 to 2026-11-30 spans 46,355 days; at most 3,660 days (ten years) ' +
        'may be rolled up at once\n',
    );
    expect(await entries(path.join(dir, 'long-rollup', 'archive'))).toBeNull();
    // Ten years to the day is allowed: it gets as far as reading the (empty) archive.
    const decade = await rollup('2016-12-01', '2026-11-30');
    expect(decade.stderr).not.toContain('may be rolled up at once');
  });
});

describe('sox-report verify of a local folder that is not there', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sox-verify-input-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is bad input (exit 2), not an archive without bundles', async () => {
    const missing = path.join(dir, 'no-such-archive');
    const result = await soxReport(['verify', missing]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`sox-report: archive: ${missing} does not exist\n`);
    expect(result.stdout).toBe('');
    await writeFile(path.join(dir, 'file'), 'x');
    const file = await soxReport(['verify', path.join(dir, 'file')]);
    expect(file.code).toBe(2);
    expect(file.stderr).toBe(`sox-report: archive: ${path.join(dir, 'file')} is a file, not a directory\n`);
  });
});

describe('credentials in server URLs never reach the terminal', () => {
  let bed: TestBed;
  let dir: string;
  beforeAll(async () => {
    bed = await startTestBed('2.10.27', { provision: false });
    dir = await mkdtemp(path.join(tmpdir(), 'sox-cli-redact-'));
  });
  afterAll(async () => {
    await bed?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function configFor(name: string, servers: string[]): Promise<string> {
    const document = demoConfig(servers[0]!, bed.hub.passwords, path.join(dir, name, 'archive')) as Document;
    document.signing = { kind: 'local', dir: path.join(dir, name, 'signing') };
    for (const source of document.sources) {
      source.nats = { servers, connectTimeoutSeconds: 2 };
    }
    const file = path.join(dir, `${name}.json`);
    await writeFile(file, JSON.stringify(document));
    return file;
  }

  it('a server that is not listening: run, provision and incidents name it as nats://***@host:port', async () => {
    const port = await freePort();
    const config = await configFor('refused', [`nats://alice:s3cret@127.0.0.1:${port}`]);
    for (const args of [['run', '--date', '2026-01-15'], ['provision'], ['incidents', 'list']]) {
      const result = await soxReport([...args, '--config', config]);
      expect(result.code, args.join(' ')).toBe(1);
      // A run's first connection resolves the accounts the configuration names, and says so.
      expect(result.stderr, args.join(' ')).toMatch(
        new RegExp(`at nats://\\*\\*\\*@127\\.0\\.0\\.1:${port}( to resolve account names)?: `),
      );
      expect(result.stdout + result.stderr, args.join(' ')).not.toMatch(/s3cret|alice/);
    }
  });

  it('a server that refuses the connection (no credentials it accepts): a token URL too', async () => {
    const hostPort = new URL(bed.hub.url).host;
    const config = await configFor('unauthorized', [
      `nats://alice:s3cret@${hostPort}`,
      `nats://t0ken-s3cret@${hostPort}`,
    ]);
    const result = await soxReport(['run', '--date', '2026-01-15', '--config', config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`at nats://***@${hostPort}, nats://***@${hostPort}: `);
    expect(result.stderr).toMatch(/check the user, password, token or creds/);
    expect(result.stdout + result.stderr).not.toMatch(/s3cret|alice|t0ken/);
  });

  it('a configuration error about the servers does not echo the URL', async () => {
    const config = await configFor('invalid', ['nats://alice:s3cret@bad host:4222']);
    const result = await soxReport(['run', '--config', config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('sources[0].nats.servers[0]: must be a NATS URL');
    expect(result.stdout + result.stderr).not.toMatch(/s3cret|alice/);
  });
});
