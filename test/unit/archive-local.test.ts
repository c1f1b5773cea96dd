import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openArchive, parseS3Location } from '../../functions/archive/index.js';
import { localArchive } from '../../functions/archive/local.js';
import { BundleExistsError, type BundleFile } from '../../functions/archive/port.js';

const BUNDLE = 'daily/2026/03/08';
const files: BundleFile[] = [
  { name: 'report.json', data: '{"schema":"sox-report/v1"}\n' },
  { name: 'report.pdf', data: new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x00, 0xff]) },
  { name: 'manifest.json', data: '{"artifacts":[]}\n' },
];

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'archive-local-'));
});

afterEach(async () => {
  await makeWritable(root);
  await rm(root, { recursive: true, force: true });
});

/** Bundles are 0555/0444 on purpose; give write access back so the temporary folder can be removed. */
async function makeWritable(dir: string): Promise<void> {
  await chmod(dir, 0o755).catch(() => undefined);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) await makeWritable(child);
    else await chmod(child, 0o644);
  }
}

/** Every file and folder under a directory with its bytes (files) and modification time. */
async function snapshot(dir: string): Promise<Record<string, { mtimeMs: number; mode: number; bytes?: string }>> {
  const result: Record<string, { mtimeMs: number; mode: number; bytes?: string }> = {};
  const walk = async (current: string) => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      const info = await stat(full);
      const relative = path.relative(dir, full);
      result[relative] = { mtimeMs: info.mtimeMs, mode: info.mode & 0o777 };
      if (entry.isDirectory()) await walk(full);
      else result[relative]!.bytes = (await readFile(full)).toString('base64');
    }
  };
  await walk(dir);
  return result;
}

const text = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes).toString('utf8'));

describe('localArchive.writeBundle', () => {
  it('writes every file, read-only, in a read-only folder', async () => {
    const archive = localArchive(root);
    expect(await archive.exists(BUNDLE)).toBe(false);
    await archive.writeBundle(BUNDLE, files);

    expect(await archive.exists(BUNDLE)).toBe(true);
    const dir = path.join(root, 'daily', '2026', '03', '08');
    expect(archive.locate(BUNDLE)).toBe(dir);
    expect((await readdir(dir)).sort()).toEqual(['manifest.json', 'report.json', 'report.pdf']);
    for (const name of ['manifest.json', 'report.json', 'report.pdf']) {
      expect((await stat(path.join(dir, name))).mode & 0o777).toBe(0o444);
    }
    expect((await stat(dir)).mode & 0o777).toBe(0o555);
    expect(await readFile(path.join(dir, 'report.pdf'))).toEqual(Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff]));
    // No staging folder is left beside the bundle.
    expect(await readdir(path.dirname(dir))).toEqual(['08']);
  });

  it('makes nested folders of a bundle read-only too', async () => {
    const archive = localArchive(root);
    await archive.writeBundle(BUNDLE, [{ name: 'evidence/detail/events.jsonl.gz', data: 'x' }, ...files]);
    const dir = path.join(root, BUNDLE);
    expect((await stat(path.join(dir, 'evidence'))).mode & 0o777).toBe(0o555);
    expect((await stat(path.join(dir, 'evidence', 'detail'))).mode & 0o777).toBe(0o555);
    expect(text(await archive.read(`${BUNDLE}/evidence/detail/events.jsonl.gz`))).toBe('x');
  });

  it('refuses an existing bundle with BundleExistsError and alters nothing', async () => {
    const archive = localArchive(root);
    await archive.writeBundle(BUNDLE, files);
    const before = await snapshot(root);

    const rerun = archive.writeBundle(BUNDLE, [{ name: 'report.json', data: 'other' }, { name: 'manifest.json', data: '{}' }]);
    await expect(rerun).rejects.toBeInstanceOf(BundleExistsError);
    await expect(rerun).rejects.toThrow(path.join(root, BUNDLE));

    expect(await snapshot(root)).toEqual(before);
  });

  it('leaves no bundle and no staging folder when a write fails half-way', async () => {
    const archive = localArchive(root);
    // "a" is written as a file, then "a/b" needs "a" to be a folder: the failure comes after a file is on disk.
    const failing = archive.writeBundle(BUNDLE, [
      { name: 'a', data: 'first' },
      { name: 'a/b', data: 'second' },
    ]);
    await expect(failing).rejects.toThrow();

    expect(await archive.exists(BUNDLE)).toBe(false);
    expect(await readdir(path.join(root, 'daily', '2026', '03'))).toEqual([]);
    expect(await archive.list('')).toEqual([]);
  });

  it('rejects a repeated file name before writing anything', async () => {
    const archive = localArchive(root);
    const failing = archive.writeBundle(BUNDLE, [...files, { name: 'report.json', data: 'again' }]);
    await expect(failing).rejects.toThrow(/"report\.json" appears twice/);
    expect(await archive.exists(BUNDLE)).toBe(false);
    expect(await readdir(root)).toEqual([]);
  });

  it('hides the staging folder of an interrupted write from list', async () => {
    const archive = localArchive(root);
    await mkdir(path.join(root, 'daily', '2026', '03', '.partial-08-abc'), { recursive: true });
    await writeFile(path.join(root, 'daily', '2026', '03', '.partial-08-abc', 'report.json'), '{}');
    expect(await archive.list('daily')).toEqual([]);
    expect(await archive.exists(BUNDLE)).toBe(false);
  });
});

describe('localArchive.read and list', () => {
  it('reads bytes back and answers null for a missing file', async () => {
    const archive = localArchive(root);
    await archive.writeBundle(BUNDLE, files);
    const pdf = await archive.read(`${BUNDLE}/report.pdf`);
    expect(pdf).toBeInstanceOf(Uint8Array);
    expect([...pdf!]).toEqual([0x25, 0x50, 0x44, 0x46, 0x00, 0xff]);
    expect(await archive.read(`${BUNDLE}/missing.json`)).toBeNull();
    expect(await archive.read('nothing/here/at/all')).toBeNull();
  });

  it('lists recursively, sorted, with / separators and root-relative paths', async () => {
    const archive = localArchive(root);
    await archive.writeBundle('daily/2026/03/09', files);
    await archive.writeBundle(BUNDLE, files);
    await archive.writeOnce('keys/abc.pem', 'PEM');

    expect(await archive.list('daily/2026')).toEqual([
      'daily/2026/03/08/manifest.json',
      'daily/2026/03/08/report.json',
      'daily/2026/03/08/report.pdf',
      'daily/2026/03/09/manifest.json',
      'daily/2026/03/09/report.json',
      'daily/2026/03/09/report.pdf',
    ]);
    expect(await archive.list('keys/')).toEqual(['keys/abc.pem']);
    expect(await archive.list('')).toHaveLength(7);
    expect(await archive.list('adhoc')).toEqual([]);
    // A prefix names a folder, not the start of a name.
    expect(await archive.list('daily/2026/03/0')).toEqual([]);
  });
});

describe('localArchive.writeOnce', () => {
  it('creates parent folders and a read-only file', async () => {
    const archive = localArchive(root);
    await archive.writeOnce('keys/abc.pem', '-----BEGIN PUBLIC KEY-----\n');
    const file = path.join(root, 'keys', 'abc.pem');
    expect(await readFile(file, 'utf8')).toBe('-----BEGIN PUBLIC KEY-----\n');
    expect((await stat(file)).mode & 0o777).toBe(0o444);
    expect(await readdir(path.join(root, 'keys'))).toEqual(['abc.pem']);
  });

  it('succeeds silently when identical bytes are already there', async () => {
    const archive = localArchive(root);
    await archive.writeOnce('keys/abc.pem', 'PEM');
    const before = await snapshot(root);
    await archive.writeOnce('keys/abc.pem', new TextEncoder().encode('PEM'));
    expect(await snapshot(root)).toEqual(before);
  });

  it('throws, naming the path, when different bytes are there', async () => {
    const archive = localArchive(root);
    await archive.writeOnce('keys/abc.pem', 'PEM');
    await expect(archive.writeOnce('keys/abc.pem', 'OTHER')).rejects.toThrow(path.join(root, 'keys', 'abc.pem'));
    expect(await readFile(path.join(root, 'keys', 'abc.pem'), 'utf8')).toBe('PEM');
    expect(await readdir(path.join(root, 'keys'))).toEqual(['abc.pem']);
  });
});

describe('paths stay inside the archive', () => {
  const archive = () => localArchive(root);
  const escapes = ['../outside', 'daily/../../outside', '/etc/passwd', 'a//b', './a', 'a\\..\\b', 'C:/x'];

  it.each(escapes)('rejects %j everywhere', async (bad) => {
    await expect(archive().read(bad)).rejects.toThrow(/archive path/);
    await expect(archive().writeOnce(bad, 'x')).rejects.toThrow(/archive path/);
    await expect(archive().exists(bad)).rejects.toThrow(/archive bundle path/);
    await expect(archive().writeBundle(bad, files)).rejects.toThrow(/archive bundle path/);
    await expect(archive().list(bad)).rejects.toThrow(/archive prefix/);
    expect(() => archive().locate(bad)).toThrow(/archive path/);
  });

  it('rejects a bundle file name that leaves the bundle', async () => {
    await expect(archive().writeBundle(BUNDLE, [{ name: '../escape.json', data: 'x' }])).rejects.toThrow(/file name/);
    expect(await readdir(root)).toEqual([]);
  });
});

describe('openArchive', () => {
  it('opens a directory as a local archive', async () => {
    const archive = openArchive(root);
    expect(archive.lockState).toBeUndefined();
    expect(archive.locate('daily/2026/03/08')).toBe(path.join(root, 'daily/2026/03/08'));
  });

  it('opens s3:// locations as S3 archives', () => {
    expect(parseS3Location('s3://reports-bucket')).toEqual({ bucket: 'reports-bucket', prefix: '' });
    expect(parseS3Location('s3://reports-bucket/')).toEqual({ bucket: 'reports-bucket', prefix: '' });
    expect(parseS3Location('s3://reports-bucket/sox/prod/')).toEqual({ bucket: 'reports-bucket', prefix: 'sox/prod' });
    const archive = openArchive('s3://reports-bucket/sox/prod/', { s3Client: {} as never });
    expect(archive.locate('daily/2026/03/08')).toBe('s3://reports-bucket/sox/prod/daily/2026/03/08');
    expect(typeof archive.lockState).toBe('function');
  });

  it.each(['s3://', 's3:///prefix', 's3:/bucket/x', 's3:bucket', 'S3://Reports_Bucket/x', 's3://ab', 's3://bucket/../x'])(
    'rejects the malformed S3 location %j with an input error',
    (bad) => {
      expect(() => openArchive(bad)).toThrow(expect.objectContaining({ name: 'InputError', message: expect.stringContaining(bad) }));
    },
  );

  it('rejects other URL schemes and an empty location', () => {
    expect(() => openArchive('https://example.com/reports')).toThrow(/only a directory or an s3:\/\/bucket\/prefix/);
    expect(() => openArchive('')).toThrow(/empty/);
  });
});
