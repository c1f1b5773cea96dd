import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openArchive, parseS3Location } from '../../../functions/archive/index.js';
import { localArchive } from '../../../functions/archive/local.js';
import type { BundleFile } from '../../../functions/archive/port.js';
import { BundleExistsError, NotRegularFileError, TooLargeError } from '../../../functions/errors.js';

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
    else if (entry.isFile()) await chmod(child, 0o644);
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

    const rerun = archive.writeBundle(BUNDLE, [
      { name: 'report.json', data: 'other' },
      { name: 'manifest.json', data: '{}' },
    ]);
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

  it.each([
    's3://',
    's3:///prefix',
    's3:/bucket/x',
    's3:bucket',
    'S3://Reports_Bucket/x',
    's3://ab',
    's3://bucket/../x',
  ])('rejects the malformed S3 location %j with an input error', (bad) => {
    expect(() => openArchive(bad)).toThrow(
      expect.objectContaining({ name: 'InputError', message: expect.stringContaining(bad) }),
    );
  });

  it('rejects other URL schemes and an empty location', () => {
    expect(() => openArchive('https://example.com/reports')).toThrow(/only a directory or an s3:\/\/bucket\/prefix/);
    expect(() => openArchive('')).toThrow(/empty/);
  });
});

/** Everything a folder may hold besides regular files, made for real: a link, a FIFO, a socket, a staging leftover. */
async function hostileFolder(): Promise<{ close: () => Promise<void> }> {
  const archive = localArchive(root);
  await archive.writeBundle(BUNDLE, files);
  const dir = path.join(root, BUNDLE);
  await chmod(dir, 0o755);
  await writeFile(path.join(root, 'outside.pdf'), 'bytes from elsewhere');
  await symlink(path.join(root, 'outside.pdf'), path.join(dir, 'linked.pdf'));
  execFileSync('mkfifo', [path.join(dir, 'pipe.json')]);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(path.join(dir, 'ctl.sock'), resolve));
  await writeFile(path.join(dir, '.partial-report.json-1a2b'), '{}');
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

// Reading a FIFO without O_NONBLOCK waits for a writer forever: far more than the checks need, far less than that.
const HANG = 10_000;

describe('localArchive.entries', () => {
  it(
    'reports every entry with its kind, and the size of ' + 'each regular file; list keeps only the regular files',
    async () => {
      const hostile = await hostileFolder();
      try {
        const archive = localArchive(root);
        expect(await archive.entries('daily')).toEqual([
          { path: `${BUNDLE}/.partial-report.json-1a2b`, kind: 'staging' },
          { path: `${BUNDLE}/ctl.sock`, kind: 'special', special: 'socket' },
          { path: `${BUNDLE}/linked.pdf`, kind: 'symlink' },
          { path: `${BUNDLE}/manifest.json`, kind: 'file', bytes: 17 },
          { path: `${BUNDLE}/pipe.json`, kind: 'special', special: 'fifo' },
          { path: `${BUNDLE}/report.json`, kind: 'file', bytes: 27 },
          { path: `${BUNDLE}/report.pdf`, kind: 'file', bytes: 6 },
        ]);
        expect(await archive.list('daily')).toEqual([
          `${BUNDLE}/manifest.json`,
          `${BUNDLE}/report.json`,
          `${BUNDLE}/report.pdf`,
        ]);
      } finally {
        await hostile.close();
      }
    },
  );

  it('reports a staging folder as one entry, and a linked folder without following it', async () => {
    const archive = localArchive(root);
    await mkdir(path.join(root, 'daily', '2026', '03', '.partial-08-abc'), { recursive: true });
    await writeFile(path.join(root, 'daily', '2026', '03', '.partial-08-abc', 'report.json'), '{}');
    await mkdir(path.join(root, 'elsewhere'));
    await writeFile(path.join(root, 'elsewhere', 'manifest.json'), '{}');
    await symlink(path.join(root, 'elsewhere'), path.join(root, 'daily', '2026', '03', '09'));
    expect(await archive.entries('daily')).toEqual([
      { path: 'daily/2026/03/.partial-08-abc', kind: 'staging' },
      { path: 'daily/2026/03/09', kind: 'symlink' },
    ]);
    // A prefix that is itself a link is reported, not listed through.
    await symlink(path.join(root, 'elsewhere'), path.join(root, 'keys'));
    expect(await archive.entries('keys')).toEqual([{ path: 'keys', kind: 'symlink' }]);
    expect(await archive.list('keys')).toEqual([]);
  });
});

describe('localArchive.read refuses anything but a regular file', () => {
  it('a symbolic link, naming the path and what it is', async () => {
    const hostile = await hostileFolder();
    try {
      const read = localArchive(root).read(`${BUNDLE}/linked.pdf`);
      await expect(read).rejects.toBeInstanceOf(NotRegularFileError);
      await expect(read).rejects.toThrow(
        `${path.join(root, BUNDLE, 'linked.pdf')}: is a symbolic link, not a regular file`,
      );
    } finally {
      await hostile.close();
    }
  });

  it('a FIFO and a socket, without blocking', { timeout: HANG }, async () => {
    const hostile = await hostileFolder();
    try {
      const archive = localArchive(root);
      await expect(archive.read(`${BUNDLE}/pipe.json`)).rejects.toThrow(
        `${path.join(root, BUNDLE, 'pipe.json')}: is a FIFO (named pipe), not a regular file`,
      );
      await expect(archive.read(`${BUNDLE}/ctl.sock`)).rejects.toThrow('ctl.sock: is a socket, not a regular file');
      await expect(archive.read(`${BUNDLE}/.partial-report.json-1a2b`)).rejects.toThrow(
        'a staging leftover of an interrupted run',
      );
    } finally {
      await hostile.close();
    }
  });

  it('a file reached through a linked folder, even though the file itself is regular', async () => {
    const archive = localArchive(root);
    await archive.writeBundle(BUNDLE, files);
    await rename(path.join(root, 'daily'), path.join(root, 'moved'));
    await symlink(path.join(root, 'moved'), path.join(root, 'daily'));
    await expect(archive.read(`${BUNDLE}/report.json`)).rejects.toThrow(
      `${path.join(root, BUNDLE, 'report.json')}: the folder daily is a symbolic link; nothing is read through one`,
    );
    await expect(drain(archive.readStream(`${BUNDLE}/report.json`))).rejects.toBeInstanceOf(NotRegularFileError);
  });

  it('but reads through a link to the archive root itself: the root is wherever the caller says it is', async () => {
    await localArchive(root).writeBundle(BUNDLE, files);
    const linkedRoot = `${root}-link`;
    await symlink(root, linkedRoot);
    try {
      expect(text(await localArchive(linkedRoot).read(`${BUNDLE}/report.json`))).toBe('{"schema":"sox-report/v1"}\n');
    } finally {
      await rm(linkedRoot);
    }
  });

  it('a file larger than maxBytes, without reading it', async () => {
    const archive = localArchive(root);
    await archive.writeBundle(BUNDLE, files);
    const pdf = `${BUNDLE}/report.pdf`;
    expect([...(await archive.read(pdf, { maxBytes: 6 }))!]).toEqual([0x25, 0x50, 0x44, 0x46, 0x00, 0xff]);
    const tooLarge = archive.read(pdf, { maxBytes: 5 });
    await expect(tooLarge).rejects.toBeInstanceOf(TooLargeError);
    await expect(tooLarge).rejects.toThrow(`${path.join(root, pdf)}: 6 bytes, more than the 5 this read may hold`);
  });

  it('writeOnce does not take a FIFO at its path for the file, and does not block on it', {
    timeout: HANG,
  }, async () => {
    await mkdir(path.join(root, 'keys'));
    execFileSync('mkfifo', [path.join(root, 'keys', 'abc.pem')]);
    await expect(localArchive(root).writeOnce('keys/abc.pem', 'PEM')).rejects.toThrow(
      'keys/abc.pem: is a FIFO (named pipe), not a regular file',
    );
  });
});

describe('localArchive.readStream', () => {
  it('yields a large file in chunks of at most 1 MiB, the same bytes as read', async () => {
    const archive = localArchive(root);
    const big = Buffer.alloc(2.5 * 1024 * 1024 + 7);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    await archive.writeBundle(BUNDLE, [{ name: 'evidence.jsonl.gz', data: big }]);
    const chunks: Uint8Array[] = [];
    for await (const chunk of archive.readStream(`${BUNDLE}/evidence.jsonl.gz`)) chunks.push(chunk);
    expect(chunks.map((c) => c.length)).toEqual([1024 * 1024, 1024 * 1024, 0.5 * 1024 * 1024 + 7]);
    expect(Buffer.concat(chunks).equals(big)).toBe(true);
  });

  it('refuses a FIFO without blocking, and a missing file by name', { timeout: HANG }, async () => {
    const hostile = await hostileFolder();
    try {
      const archive = localArchive(root);
      await expect(drain(archive.readStream(`${BUNDLE}/pipe.json`))).rejects.toThrow(
        'is a FIFO (named pipe), not a regular file',
      );
      await expect(drain(archive.readStream(`${BUNDLE}/gone.json`))).rejects.toThrow(
        `${path.join(root, BUNDLE, 'gone.json')}: does not exist`,
      );
    } finally {
      await hostile.close();
    }
  });
});

async function drain(chunks: AsyncIterable<Uint8Array>): Promise<number> {
  let total = 0;
  for await (const chunk of chunks) total += chunk.length;
  return total;
}
