import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keyPathOf } from '../../../functions/archive/layout.js';
import { localArchive } from '../../../functions/archive/local.js';
import type { BundleFile } from '../../../functions/archive/port.js';
import { s3Archive } from '../../../functions/archive/s3.js';
import { verifyArchive, type VerifyReport } from '../../../functions/archive/verify.js';
import { loadOrCreateLocalSigner } from '../../../functions/seal/local-signer.js';
import { BundleExistsError, TooLargeError } from '../../../functions/errors.js';
import { certificateSha256 } from '../../../functions/seal/manifest.js';
import type { Signer } from '../../../functions/seal/signer.js';
import { buildDailyArchive } from '../../support/verify-archive.js';

const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'us-east-1' });

const NOW = new Date('2026-03-09T06:00:00.000Z');
const RETAIN = new Date('2033-03-09T05:00:00.000Z');
const BUNDLE = 'daily/2026/03/08';
const PDF = new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d, 0x00, 0xff]);

/** Files given by their bytes (a BundleFile may also be staged or already stored). */
const files: (BundleFile & { data: Uint8Array | string })[] = [
  { name: 'report.pdf', data: PDF },
  { name: 'report.html', data: '<!doctype html><p>é</p>' },
  { name: 'report.json', data: '{"schema":"sox-report/v1"}\n' },
  { name: 'manifest.json', data: '{"artifacts":[]}\n' },
  { name: 'manifest.json.sig', data: new Uint8Array([1, 2, 3]) },
];
// The caller's real order: the signature first, the manifest last.
const ordered = [...files.slice(0, 3), files[4]!, files[3]!];

const bytesOf = (data: Uint8Array | string) =>
  typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(bytesOf(data)).digest('base64');

function s3Error(name: string, httpStatusCode: number, message = name): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode }, message });
}
const preconditionFailed = () =>
  s3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold');
const notFound = () => s3Error('NotFound', 404, 'UnknownError');
const noSuchKey = () => s3Error('NoSuchKey', 404, 'The specified key does not exist.');
const body = (data: Uint8Array | string) =>
  ({ transformToByteArray: async () => new Uint8Array(bytesOf(data)) }) as never;

/** HeadObject answers what a correctly configured bucket stores: our lock, our date, the checksum of what was put. */
function headReportsWhatWasPut(): void {
  s3.on(HeadObjectCommand).callsFake((input: { Key: string }) => {
    const put = s3.commandCalls(PutObjectCommand).find((call) => call.args[0].input.Key === input.Key);
    if (!put) throw notFound();
    const sent = put.args[0].input;
    return {
      ObjectLockMode: sent.ObjectLockMode,
      ObjectLockRetainUntilDate: sent.ObjectLockRetainUntilDate,
      ChecksumSHA256: sha256(sent.Body as Uint8Array),
    };
  });
}

function archive(prefix = 'sox/prod') {
  return s3Archive({ client, bucket: 'reports-bucket', prefix, now: () => NOW });
}

const putInputs = () => s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);

beforeEach(() => {
  s3.reset();
});

describe('s3Archive.writeBundle', () => {
  it('puts each file once, locked, with our SHA-256, in the given order with the manifest last', async () => {
    headReportsWhatWasPut();
    s3.on(PutObjectCommand).resolves({ VersionId: 'v1' });

    await archive().writeBundle(BUNDLE, ordered, { retainUntil: RETAIN });

    const expectedTypes: Record<string, string> = {
      'report.pdf': 'application/pdf',
      'report.html': 'text/html; charset=utf-8',
      'report.json': 'application/json',
      'manifest.json.sig': 'application/octet-stream',
      'manifest.json': 'application/json',
    };
    const inputs = putInputs();
    expect(inputs.map((input) => input.Key)).toEqual(ordered.map((file) => `sox/prod/${BUNDLE}/${file.name}`));
    for (const [i, file] of ordered.entries()) {
      const { Body, ...rest } = inputs[i]!;
      expect(rest).toEqual({
        Bucket: 'reports-bucket',
        Key: `sox/prod/${BUNDLE}/${file.name}`,
        IfNoneMatch: '*',
        ChecksumAlgorithm: 'SHA256',
        ChecksumSHA256: sha256(file.data),
        ObjectLockMode: 'COMPLIANCE',
        ObjectLockRetainUntilDate: RETAIN,
        ContentType: expectedTypes[file.name],
      } satisfies PutObjectCommandInput);
      expect(Buffer.from(Body as Uint8Array).equals(bytesOf(file.data))).toBe(true);
    }
    expect(sha256(files[1]!.data)).toBe(
      createHash('sha256').update('<!doctype html><p>é</p>', 'utf8').digest('base64'),
    );
  });

  it('checks for the manifest first, and reads every object back with its version and checksums', async () => {
    headReportsWhatWasPut();
    s3.on(PutObjectCommand).resolves({ VersionId: 'v1' });
    await archive().writeBundle(BUNDLE, ordered, { retainUntil: RETAIN });

    const heads = s3.commandCalls(HeadObjectCommand).map((call) => call.args[0].input);
    expect(heads[0]).toEqual({
      Bucket: 'reports-bucket',
      Key: `sox/prod/${BUNDLE}/manifest.json`,
      ChecksumMode: 'ENABLED',
    });
    expect(heads.slice(1)).toEqual(
      ordered.map((file) => ({
        Bucket: 'reports-bucket',
        Key: `sox/prod/${BUNDLE}/${file.name}`,
        ChecksumMode: 'ENABLED',
        VersionId: 'v1',
      })),
    );
    // Each object is confirmed before the next is written.
    const order = s3.calls().map(
      (call) =>
        `${call.args[0].constructor.name}:${String((call.args[0].input as { Key: string }).Key)
          .split('/')
          .pop()}`,
    );
    expect(order.slice(0, 5)).toEqual([
      'HeadObjectCommand:manifest.json',
      'PutObjectCommand:report.pdf',
      'HeadObjectCommand:report.pdf',
      'PutObjectCommand:report.html',
      'HeadObjectCommand:report.html',
    ]);
  });

  it('uses the retainUntil function by bundle path, else seven years from now', async () => {
    headReportsWhatWasPut();
    s3.on(PutObjectCommand).resolves({});
    const byPath = s3Archive({
      client,
      bucket: 'reports-bucket',
      now: () => NOW,
      retainUntil: (bundlePath) => (bundlePath === BUNDLE ? RETAIN : new Date(0)),
    });
    await byPath.writeBundle(BUNDLE, [files[3]!]);
    expect(putInputs()[0]!.ObjectLockRetainUntilDate).toEqual(RETAIN);

    s3.reset();
    headReportsWhatWasPut();
    s3.on(PutObjectCommand).resolves({});
    await archive().writeBundle(BUNDLE, [files[3]!]);
    expect(putInputs()[0]!.ObjectLockRetainUntilDate).toEqual(new Date('2033-03-09T06:00:00.000Z'));
  });

  it('refuses a retain-until date in the past before writing anything', async () => {
    headReportsWhatWasPut();
    await expect(
      archive().writeBundle(BUNDLE, ordered, { retainUntil: new Date('2020-01-01T00:00:00Z') }),
    ).rejects.toThrow(/must be in the future/);
    expect(s3.calls()).toHaveLength(0);
  });

  it('throws BundleExistsError without writing when the manifest is already there', async () => {
    s3.on(HeadObjectCommand).resolves({ ObjectLockMode: 'COMPLIANCE' });
    const rerun = archive().writeBundle(BUNDLE, ordered, { retainUntil: RETAIN });
    await expect(rerun).rejects.toBeInstanceOf(BundleExistsError);
    await expect(rerun).rejects.toThrow(`s3://reports-bucket/sox/prod/${BUNDLE}`);
    expect(putInputs()).toHaveLength(0);
  });

  it('turns a 412 on a put into BundleExistsError saying the object was left unchanged', async () => {
    headReportsWhatWasPut();
    s3.on(HeadObjectCommand, { Key: `sox/prod/${BUNDLE}/manifest.json` }).rejects(notFound());
    s3.on(PutObjectCommand).rejects(preconditionFailed());
    s3.on(GetObjectCommand).resolves({ Body: body('bytes of an earlier, different run') });

    const rerun = archive().writeBundle(BUNDLE, ordered, { retainUntil: RETAIN });
    await expect(rerun).rejects.toBeInstanceOf(BundleExistsError);
    await expect(rerun).rejects.toThrow(
      `s3://reports-bucket/sox/prod/${BUNDLE}/report.pdf: the object already exists and was left unchanged`,
    );
    // It stops at the first existing object.
    expect(putInputs().map((input) => input.Key)).toEqual([`sox/prod/${BUNDLE}/report.pdf`]);
  });

  it(
    'completes a bundle an earlier run left without its ' + 'manifest when the stored objects hold the same bytes',
    async () => {
      headReportsWhatWasPut();
      s3.on(PutObjectCommand).resolves({});
      const [first] = ordered;
      s3.on(PutObjectCommand, { Key: `sox/prod/${BUNDLE}/${first!.name}` }).rejects(preconditionFailed());
      s3.on(GetObjectCommand, { Key: `sox/prod/${BUNDLE}/${first!.name}` }).resolves({ Body: body(first!.data) });

      await archive().writeBundle(BUNDLE, ordered, { retainUntil: RETAIN });
      expect(putInputs().map((input) => input.Key)).toEqual(ordered.map((f) => `sox/prod/${BUNDLE}/${f.name}`));
      expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).toEqual([
        `sox/prod/${BUNDLE}/${first!.name}`,
      ]);
    },
  );

  it('turns a 412 on the manifest (a concurrent run) into BundleExistsError', async () => {
    headReportsWhatWasPut();
    s3.on(HeadObjectCommand, { Key: `sox/prod/${BUNDLE}/manifest.json` }).rejects(notFound());
    s3.on(PutObjectCommand).resolves({});
    s3.on(PutObjectCommand, { Key: `sox/prod/${BUNDLE}/manifest.json` }).rejects(preconditionFailed());
    const error = await archive()
      .writeBundle(BUNDLE, ordered, { retainUntil: RETAIN })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(BundleExistsError);
    expect((error as Error).message).toContain('manifest.json: the object already exists and was left unchanged');
    expect((error as Error).cause).toBeInstanceOf(S3ServiceException);
  });

  it.each([
    [
      'ObjectLockMode',
      { ObjectLockMode: 'GOVERNANCE' as const },
      /ObjectLockMode is "GOVERNANCE", expected "COMPLIANCE"/,
    ],
    ['ObjectLockMode', { ObjectLockMode: undefined }, /ObjectLockMode is null, expected "COMPLIANCE"/],
    [
      'ObjectLockRetainUntilDate',
      { ObjectLockRetainUntilDate: new Date('2027-03-09T05:00:00.000Z') },
      /ObjectLockRetainUntilDate is 2027-03-09T05:00:00.000Z, expected 2033-03-09T05:00:00.000Z/,
    ],
    ['ChecksumSHA256', { ChecksumSHA256: sha256('something else') }, /ChecksumSHA256 is ".+", expected ".+"/],
    ['ChecksumSHA256', { ChecksumSHA256: undefined }, /ChecksumSHA256 is null/],
  ])('fails naming the key when S3 reports a different %s', async (_property, override, message) => {
    s3.on(HeadObjectCommand, { Key: `sox/prod/${BUNDLE}/manifest.json` }).rejects(notFound());
    s3.on(PutObjectCommand).resolves({});
    s3.on(HeadObjectCommand, { Key: `sox/prod/${BUNDLE}/report.pdf` }).resolves({
      ObjectLockMode: 'COMPLIANCE',
      ObjectLockRetainUntilDate: RETAIN,
      ChecksumSHA256: sha256(PDF),
      ...override,
    });
    const failing = archive().writeBundle(BUNDLE, ordered, { retainUntil: RETAIN });
    await expect(failing).rejects.toThrow(
      `s3://reports-bucket/sox/prod/${BUNDLE}/report.pdf was written but S3 reports`,
    );
    await expect(failing).rejects.toThrow(message);
  });

  it('accepts a stored retain-until date that differs only below the second', async () => {
    s3.on(HeadObjectCommand, { Key: `sox/prod/${BUNDLE}/manifest.json` }).rejects(notFound());
    s3.on(PutObjectCommand).resolves({});
    s3.on(HeadObjectCommand, { Key: `sox/prod/${BUNDLE}/manifest.json`, VersionId: 'v9' }).resolves({
      ObjectLockMode: 'COMPLIANCE',
      ObjectLockRetainUntilDate: new Date(RETAIN.getTime() + 400),
      ChecksumSHA256: sha256(files[3]!.data),
    });
    s3.on(PutObjectCommand).resolves({ VersionId: 'v9' });
    await archive().writeBundle(BUNDLE, [files[3]!], { retainUntil: new Date(RETAIN.getTime() + 900) });
    // Sent as whole seconds.
    expect(putInputs()[0]!.ObjectLockRetainUntilDate).toEqual(RETAIN);
  });

  it('wraps other S3 errors with the operation, bucket and key, keeping the cause', async () => {
    s3.on(HeadObjectCommand).rejects(notFound());
    const denied = s3Error('AccessDenied', 403, 'Access Denied');
    s3.on(PutObjectCommand).rejects(denied);
    const error = await archive()
      .writeBundle(BUNDLE, ordered, { retainUntil: RETAIN })
      .catch((err: unknown) => err);
    expect(error).not.toBeInstanceOf(BundleExistsError);
    expect((error as Error).message).toMatch(
      new RegExp(
        /^S3 PutObject s3:\/\/reports-bucket\/sox\/prod\/daily\/2026\/03\/08\/report\.pdf failed /.source +
          /\(AccessDenied, HTTP 403\): Access Denied/.source,
      ),
    );
    expect((error as Error).cause).toBe(denied);
  });

  it('refuses a bundle whose manifest is not last, and repeated names, before any request', async () => {
    await expect(archive().writeBundle(BUNDLE, files, { retainUntil: RETAIN })).rejects.toThrow(
      /manifest\.json must be the last/,
    );
    await expect(archive().writeBundle(BUNDLE, [files[0]!, files[0]!], { retainUntil: RETAIN })).rejects.toThrow(
      /appears twice/,
    );
    expect(s3.calls()).toHaveLength(0);
  });
});

describe('s3Archive.exists', () => {
  it('is true when the manifest is there and false on 404', async () => {
    s3.on(HeadObjectCommand, { Key: `sox/prod/${BUNDLE}/manifest.json` }).resolves({});
    s3.on(HeadObjectCommand, { Key: 'sox/prod/daily/2026/03/07/manifest.json' }).rejects(notFound());
    expect(await archive().exists(BUNDLE)).toBe(true);
    expect(await archive().exists('daily/2026/03/07')).toBe(false);
  });

  it('does not mistake access denied for a missing bundle', async () => {
    s3.on(HeadObjectCommand).rejects(s3Error('Forbidden', 403));
    await expect(archive().exists(BUNDLE)).rejects.toThrow(/HeadObject .*manifest\.json failed .*403.*s3:ListBucket/);
  });
});

describe('s3Archive.writeOnce', () => {
  const key = 'sox/prod/keys/abc.pem';

  it('puts the object once with checksum and lock, and confirms it', async () => {
    headReportsWhatWasPut();
    s3.on(PutObjectCommand).resolves({});
    await archive().writeOnce('keys/abc.pem', 'PEM', { retainUntil: RETAIN });
    const { Body, ...rest } = putInputs()[0]!;
    expect(rest).toEqual({
      Bucket: 'reports-bucket',
      Key: key,
      IfNoneMatch: '*',
      ChecksumAlgorithm: 'SHA256',
      ChecksumSHA256: sha256('PEM'),
      ObjectLockMode: 'COMPLIANCE',
      ObjectLockRetainUntilDate: RETAIN,
      ContentType: 'application/x-pem-file',
    });
    expect(Buffer.from(Body as Uint8Array).toString()).toBe('PEM');
    expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(1);
  });

  it('succeeds when identical bytes are already there', async () => {
    s3.on(PutObjectCommand).rejects(preconditionFailed());
    s3.on(GetObjectCommand, { Bucket: 'reports-bucket', Key: key }).resolves({ Body: body('PEM') });
    await archive().writeOnce('keys/abc.pem', new TextEncoder().encode('PEM'), { retainUntil: RETAIN });
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(1);
  });

  it('throws naming the key when different bytes are there', async () => {
    s3.on(PutObjectCommand).rejects(preconditionFailed());
    s3.on(GetObjectCommand, { Bucket: 'reports-bucket', Key: key }).resolves({ Body: body('OTHER') });
    await expect(archive().writeOnce('keys/abc.pem', 'PEM', { retainUntil: RETAIN })).rejects.toThrow(
      `s3://reports-bucket/${key} already exists with different content`,
    );
  });
});

describe('s3Archive.read', () => {
  it('returns the bytes of an object', async () => {
    s3.on(GetObjectCommand, { Bucket: 'reports-bucket', Key: `sox/prod/${BUNDLE}/report.pdf` }).resolves({
      Body: body(PDF),
    });
    expect([...(await archive().read(`${BUNDLE}/report.pdf`))!]).toEqual([...PDF]);
  });

  it('returns null for a missing key', async () => {
    s3.on(GetObjectCommand).rejects(noSuchKey());
    expect(await archive().read(`${BUNDLE}/missing.json`)).toBeNull();
  });

  it('does not mistake a missing bucket for a missing key', async () => {
    s3.on(GetObjectCommand).rejects(s3Error('NoSuchBucket', 404, 'The specified bucket does not exist'));
    await expect(archive().read(`${BUNDLE}/report.pdf`)).rejects.toThrow(
      /GetObject .* failed \(NoSuchBucket, HTTP 404\)/,
    );
  });
});

describe('s3Archive.list', () => {
  it('follows continuation tokens and returns sorted paths relative to the archive prefix', async () => {
    s3.on(ListObjectsV2Command, { ContinuationToken: undefined }).resolves({
      IsTruncated: true,
      NextContinuationToken: 'page-2',
      Contents: [{ Key: 'sox/prod/daily/2026/03/09/report.json' }, { Key: 'sox/prod/daily/2026/03/08/report.json' }],
    });
    s3.on(ListObjectsV2Command, { ContinuationToken: 'page-2' }).resolves({
      IsTruncated: false,
      Contents: [{ Key: 'sox/prod/daily/2026/03/08/manifest.json' }, { Key: 'sox/prod/daily/2026/' }],
    });

    expect(await archive().list('daily/2026')).toEqual([
      'daily/2026/03/08/manifest.json',
      'daily/2026/03/08/report.json',
      'daily/2026/03/09/report.json',
    ]);
    expect(s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input)).toEqual([
      { Bucket: 'reports-bucket', Prefix: 'sox/prod/daily/2026/', ContinuationToken: undefined },
      { Bucket: 'reports-bucket', Prefix: 'sox/prod/daily/2026/', ContinuationToken: 'page-2' },
    ]);
  });

  it('lists the whole bucket when there is no prefix', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'keys/abc.pem' }] });
    expect(await archive('').list('')).toEqual(['keys/abc.pem']);
    expect(s3.commandCalls(ListObjectsV2Command)[0]!.args[0].input.Prefix).toBeUndefined();
  });
});

describe('s3Archive.lockState', () => {
  it('reports mode, retain-until and the hex SHA-256', async () => {
    s3.on(HeadObjectCommand, { Key: `sox/prod/${BUNDLE}/report.pdf`, ChecksumMode: 'ENABLED' }).resolves({
      ObjectLockMode: 'COMPLIANCE',
      ObjectLockRetainUntilDate: RETAIN,
      ChecksumSHA256: sha256(PDF),
    });
    expect(await archive().lockState!(`${BUNDLE}/report.pdf`)).toEqual({
      mode: 'COMPLIANCE',
      retainUntil: RETAIN,
      sha256: createHash('sha256').update(PDF).digest('hex'),
    });
  });

  it('reports nulls for an unlocked object and throws for a missing one', async () => {
    s3.on(HeadObjectCommand, { Key: 'sox/prod/plain.txt' }).resolves({});
    s3.on(HeadObjectCommand, { Key: 'sox/prod/gone.txt' }).rejects(notFound());
    expect(await archive().lockState!('plain.txt')).toEqual({ mode: null, retainUntil: null, sha256: null });
    await expect(archive().lockState!('gone.txt')).rejects.toThrow(
      's3://reports-bucket/sox/prod/gone.txt does not exist',
    );
  });
});

describe('keys and locations', () => {
  it.each([
    ['', 's3://reports-bucket/daily/2026/03/08', 'daily/2026/03/08/manifest.json'],
    ['sox/prod/', 's3://reports-bucket/sox/prod/daily/2026/03/08', 'sox/prod/daily/2026/03/08/manifest.json'],
    ['/sox//prod', 's3://reports-bucket/sox/prod/daily/2026/03/08', 'sox/prod/daily/2026/03/08/manifest.json'],
  ])('prefix %j never produces //', async (prefix, location, manifestKey) => {
    s3.on(HeadObjectCommand).rejects(notFound());
    const a = archive(prefix);
    expect(a.locate('daily/2026/03/08')).toBe(location);
    expect(a.locate('daily/2026/03/08/')).toBe(location);
    await a.exists('daily/2026/03/08');
    expect(s3.commandCalls(HeadObjectCommand)[0]!.args[0].input.Key).toBe(manifestKey);
  });

  it('locates the archive root', () => {
    expect(archive('').locate('')).toBe('s3://reports-bucket');
    expect(archive().locate('')).toBe('s3://reports-bucket/sox/prod');
  });

  it.each(['../x', '/abs', 'a//b', 'a/./b'])('rejects the path %j', async (bad) => {
    await expect(archive().read(bad)).rejects.toThrow(/archive path/);
    await expect(archive().writeOnce(bad, 'x')).rejects.toThrow(/archive path/);
    expect(() => archive().locate(bad)).toThrow(/archive path/);
    expect(s3.calls()).toHaveLength(0);
  });
});

describe('s3Archive.entries', () => {
  it(
    'lists every version and delete marker, page by page, ' + 'and names the first version written of each key',
    async () => {
      s3.on(ListObjectVersionsCommand, { KeyMarker: undefined }).resolves({
        IsTruncated: true,
        NextKeyMarker: `sox/prod/${BUNDLE}/report.pdf`,
        NextVersionIdMarker: 'pdf-v2',
        // Newest first, as S3 lists the versions of a key.
        Versions: [
          { Key: `sox/prod/${BUNDLE}/manifest.json`, VersionId: 'manifest-v1', IsLatest: true, Size: 17 },
          { Key: `sox/prod/${BUNDLE}/report.pdf`, VersionId: 'pdf-v2', IsLatest: true, Size: 9 },
        ],
        DeleteMarkers: [],
      });
      s3.on(ListObjectVersionsCommand, { KeyMarker: `sox/prod/${BUNDLE}/report.pdf` }).resolves({
        IsTruncated: false,
        Versions: [
          { Key: `sox/prod/${BUNDLE}/report.pdf`, VersionId: 'pdf-v1', IsLatest: false, Size: 7 },
          { Key: 'sox/prod/daily/2026/03/', VersionId: 'folder', IsLatest: true, Size: 0 },
          { Key: `sox/prod/${BUNDLE}/report.json`, VersionId: 'json-v1', IsLatest: false, Size: 27 },
        ],
        DeleteMarkers: [{ Key: `sox/prod/${BUNDLE}/report.json`, VersionId: 'json-dm', IsLatest: true }],
      });

      expect(await archive().entries('daily')).toEqual([
        {
          path: `${BUNDLE}/manifest.json`,
          kind: 'file',
          versions: 1,
          deleteMarkers: 0,
          versionId: 'manifest-v1',
          bytes: 17,
        },
        { path: `${BUNDLE}/report.json`, kind: 'file', versions: 1, deleteMarkers: 1, versionId: 'json-v1', bytes: 27 },
        { path: `${BUNDLE}/report.pdf`, kind: 'file', versions: 2, deleteMarkers: 0, versionId: 'pdf-v1', bytes: 7 },
      ]);
      expect(s3.commandCalls(ListObjectVersionsCommand).map((call) => call.args[0].input)).toEqual([
        { Bucket: 'reports-bucket', Prefix: 'sox/prod/daily/', KeyMarker: undefined, VersionIdMarker: undefined },
        {
          Bucket: 'reports-bucket',
          Prefix: 'sox/prod/daily/',
          KeyMarker: `sox/prod/${BUNDLE}/report.pdf`,
          VersionIdMarker: 'pdf-v2',
        },
      ]);
    },
  );

  it('reports a key that has only delete markers left, with no version to read', async () => {
    s3.on(ListObjectVersionsCommand).resolves({
      DeleteMarkers: [{ Key: 'sox/prod/keys/abc.pem', VersionId: 'dm', IsLatest: true }],
    });
    expect(await archive().entries('keys')).toEqual([
      { path: 'keys/abc.pem', kind: 'file', versions: 0, deleteMarkers: 1 },
    ]);
  });

  it('fails on a truncated page without a key marker rather than stop half-way', async () => {
    s3.on(ListObjectVersionsCommand).resolves({ IsTruncated: true, Versions: [] });
    await expect(archive().entries('daily')).rejects.toThrow(
      'S3 ListObjectVersions s3://reports-bucket/sox/prod/daily/: truncated page without a key marker',
    );
  });
});

describe('s3Archive reads of an exact version', () => {
  const key = `sox/prod/${BUNDLE}/report.pdf`;

  it('reads and checks the lock of the version it is given, and of the newest without one', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(PDF), ContentLength: PDF.length });
    s3.on(HeadObjectCommand).resolves({
      ObjectLockMode: 'COMPLIANCE',
      ObjectLockRetainUntilDate: RETAIN,
      ChecksumSHA256: sha256(PDF),
    });
    await archive().read(`${BUNDLE}/report.pdf`, { versionId: 'pdf-v1' });
    await archive().read(`${BUNDLE}/report.pdf`);
    await archive().lockState!(`${BUNDLE}/report.pdf`, { versionId: 'pdf-v1' });
    expect(s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: 'reports-bucket', Key: key, VersionId: 'pdf-v1' },
      { Bucket: 'reports-bucket', Key: key },
    ]);
    expect(s3.commandCalls(HeadObjectCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: 'reports-bucket', Key: key, ChecksumMode: 'ENABLED', VersionId: 'pdf-v1' },
    ]);
  });

  it('refuses an object over maxBytes on its announced length, without reading the body', async () => {
    let bodyRead = false;
    let destroyed = false;
    const bigBody = {
      transformToByteArray: async () => {
        bodyRead = true;
        return new Uint8Array(10);
      },
      destroy: () => (destroyed = true),
    };
    s3.on(GetObjectCommand).resolves({ Body: bigBody as never, ContentLength: 10 });
    const read = archive().read(`${BUNDLE}/report.pdf`, { maxBytes: 9, versionId: 'pdf-v1' });
    await expect(read).rejects.toBeInstanceOf(TooLargeError);
    await expect(read).rejects.toThrow(`s3://reports-bucket/${key}: 10 bytes, more than the 9 this read may hold`);
    expect([bodyRead, destroyed]).toEqual([false, true]);
  });

  it('streams the body of the version it is given, chunk by chunk', async () => {
    const chunks = [Buffer.from('first '), Buffer.from('second '), Buffer.from('third')];
    s3.on(GetObjectCommand).resolves({ Body: Readable.from(chunks) as never });
    const received: string[] = [];
    for await (const chunk of archive().readStream(`${BUNDLE}/evidence.jsonl.gz`, { versionId: 'ev-v1' }))
      received.push(Buffer.from(chunk).toString());
    expect(received).toEqual(['first ', 'second ', 'third']);
    expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'reports-bucket',
      Key: `sox/prod/${BUNDLE}/evidence.jsonl.gz`,
      VersionId: 'ev-v1',
    });
  });

  it('says which version of which key is missing when a stream finds nothing', async () => {
    s3.on(GetObjectCommand).rejects(noSuchKey());
    const stream = archive().readStream(`${BUNDLE}/evidence.jsonl.gz`, { versionId: 'ev-v1' });
    await expect(
      (async () => {
        for await (const _ of stream) void _;
      })(),
    ).rejects.toThrow(`s3://reports-bucket/sox/prod/${BUNDLE}/evidence.jsonl.gz (version ev-v1): does not exist`);
  });
});

/**
 * A versioned bucket behind the mock, filled from a real sealed archive: each key has its versions (newest first) and
 * delete markers; GetObject and HeadObject answer for the exact version asked (the newest without one), with the
 * COMPLIANCE lock and checksum a correctly written object has.
 */
class MockBucket {
  readonly versions = new Map<string, { id: string; bytes: Uint8Array }[]>();
  readonly deleteMarkers = new Map<string, string[]>();

  static async from(root: string, prefix: string): Promise<MockBucket> {
    const bucket = new MockBucket();
    for (const file of await localArchive(root).list('')) {
      bucket.versions.set(`${prefix}/${file}`, [
        { id: `v1:${file}`, bytes: new Uint8Array(await readFile(path.join(root, file))) },
      ]);
    }
    return bucket;
  }

  /** What someone with PutObject can do to a versioned bucket: a new version over the archived one. */
  writeOver(key: string, bytes: Uint8Array): void {
    this.versions.get(key)!.unshift({ id: `v2:${key}`, bytes });
  }

  install(): void {
    s3.on(ListObjectVersionsCommand).callsFake((input: { Prefix?: string }) => {
      const under = (key: string) => key.startsWith(input.Prefix ?? '');
      return {
        IsTruncated: false,
        Versions: [...this.versions]
          .filter(([key]) => under(key))
          .flatMap(([key, versions]) =>
            versions.map((v, i) => ({
              Key: key,
              VersionId: v.id,
              IsLatest: i === 0 && !this.deleteMarkers.has(key),
              Size: v.bytes.length,
            })),
          ),
        DeleteMarkers: [...this.deleteMarkers]
          .filter(([key]) => under(key))
          .flatMap(([key, ids]) => ids.map((id) => ({ Key: key, VersionId: id }))),
      };
    });
    const version = (input: { Key: string; VersionId?: string }) => {
      const versions = this.versions.get(input.Key) ?? [];
      const found = input.VersionId ? versions.find((v) => v.id === input.VersionId) : versions[0];
      if (!found) throw noSuchKey();
      return found;
    };
    s3.on(GetObjectCommand).callsFake((input: { Key: string; VersionId?: string }) => {
      const found = version(input);
      return { Body: body(found.bytes), ContentLength: found.bytes.length, VersionId: found.id };
    });
    s3.on(HeadObjectCommand).callsFake((input: { Key: string; VersionId?: string }) => {
      const found = version(input);
      return {
        ObjectLockMode: 'COMPLIANCE',
        ObjectLockRetainUntilDate: RETAIN,
        ChecksumSHA256: sha256(found.bytes),
        VersionId: found.id,
      };
    });
  }
}

describe('verify of an S3 archive reads the versions it listed, and fails any key written over or deleted', () => {
  const DAYS = ['2026-03-07', '2026-03-08'];
  let scratch: string;
  let root: string;
  let signer: Signer;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'sox-s3-verify-'));
    signer = await loadOrCreateLocalSigner({ dir: path.join(scratch, 'signer') });
    root = path.join(scratch, 'archive');
    await buildDailyArchive(root, DAYS, signer);
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  const verifyBucket = async (bucket: MockBucket): Promise<VerifyReport> => {
    bucket.install();
    return verifyArchive(archive(), { now: NOW, trust: { pems: [signer.certificatePem] } });
  };
  const problemsOf = (report: VerifyReport, date: string) => report.entries.find((e) => e.date === date)!.problems;
  const keyPath = () => keyPathOf(signer.publicKeySha256, certificateSha256(signer.certificatePem));

  it('passes a bucket where every key has its one version, each read and lock-checked by that version', async () => {
    const report = await verifyBucket(await MockBucket.from(root, 'sox/prod'));
    expect(report.entries.map((e) => [e.date, e.problems])).toEqual(DAYS.map((d) => [d, []]));
    expect(report.ok).toBe(true);
    const gets = s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input);
    const heads = s3.commandCalls(HeadObjectCommand).map((call) => call.args[0].input);
    expect(gets.length).toBe(DAYS.length * 5 + 1);
    expect(heads.length).toBe(DAYS.length * 5 + 1);
    for (const input of [...gets, ...heads]) expect(input.VersionId).toBe(`v1:${input.Key!.slice('sox/prod/'.length)}`);
  });

  it(
    'fails the day of a report.pdf with a newer version ' + 'written over it, and still reads the archived one',
    async () => {
      const bucket = await MockBucket.from(root, 'sox/prod');
      const key = 'sox/prod/daily/2026/03/08/report.pdf';
      bucket.writeOver(key, new TextEncoder().encode('%PDF-1.7 a replacement'));
      const report = await verifyBucket(bucket);
      expect(problemsOf(report, '2026-03-08')).toEqual([
        'report.pdf: 2 versions in the bucket (a newer one was written over the archived object)',
      ]);
      expect(problemsOf(report, '2026-03-07')).toEqual([]);
      expect(report.ok).toBe(false);
      const versionsRead = s3
        .commandCalls(GetObjectCommand)
        .filter((call) => call.args[0].input.Key === key)
        .map((call) => call.args[0].input.VersionId);
      expect(versionsRead).toEqual(['v1:daily/2026/03/08/report.pdf']);
    },
  );

  it('fails the day of a manifest with a delete marker, and every day a key file written over signed', async () => {
    const bucket = await MockBucket.from(root, 'sox/prod');
    bucket.deleteMarkers.set('sox/prod/daily/2026/03/07/manifest.json', ['dm-1']);
    bucket.writeOver(`sox/prod/${keyPath()}`, new TextEncoder().encode('-----BEGIN PUBLIC KEY-----\nforged\n'));
    const report = await verifyBucket(bucket);
    expect(problemsOf(report, '2026-03-07')).toEqual([
      'manifest.json: 1 delete marker in the bucket (someone deleted the object; its versions remain)',
      `${keyPath()}: 2 versions in the bucket (a newer one was written over the archived object)`,
    ]);
    expect(problemsOf(report, '2026-03-08')).toEqual([
      `${keyPath()}: 2 versions in the bucket (a newer one was written over the archived object)`,
    ]);
  });
});
