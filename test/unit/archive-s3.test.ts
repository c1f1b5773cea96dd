import { createHash } from 'node:crypto';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { BundleExistsError, type BundleFile } from '../../functions/archive/port.js';
import { s3Archive } from '../../functions/archive/s3.js';

const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'us-east-1' });

const NOW = new Date('2026-03-09T06:00:00.000Z');
const RETAIN = new Date('2033-03-09T05:00:00.000Z');
const BUNDLE = 'daily/2026/03/08';
const PDF = new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d, 0x00, 0xff]);

const files: BundleFile[] = [
  { name: 'report.pdf', data: PDF },
  { name: 'report.html', data: '<!doctype html><p>é</p>' },
  { name: 'report.json', data: '{"schema":"sox-report/v1"}\n' },
  { name: 'manifest.json', data: '{"artifacts":[]}\n' },
  { name: 'manifest.json.sig', data: new Uint8Array([1, 2, 3]) },
];
// The caller's real order: the signature first, the manifest last.
const ordered = [...files.slice(0, 3), files[4]!, files[3]!];

const bytesOf = (data: Uint8Array | string) => (typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data));
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(bytesOf(data)).digest('base64');

function s3Error(name: string, httpStatusCode: number, message = name): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode }, message });
}
const preconditionFailed = () =>
  s3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold');
const notFound = () => s3Error('NotFound', 404, 'UnknownError');
const noSuchKey = () => s3Error('NoSuchKey', 404, 'The specified key does not exist.');
const body = (data: Uint8Array | string) => ({ transformToByteArray: async () => new Uint8Array(bytesOf(data)) }) as never;

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
    expect(sha256(files[1]!.data)).toBe(createHash('sha256').update('<!doctype html><p>é</p>', 'utf8').digest('base64'));
  });

  it('checks for the manifest first, and reads every object back with its version and checksums', async () => {
    headReportsWhatWasPut();
    s3.on(PutObjectCommand).resolves({ VersionId: 'v1' });
    await archive().writeBundle(BUNDLE, ordered, { retainUntil: RETAIN });

    const heads = s3.commandCalls(HeadObjectCommand).map((call) => call.args[0].input);
    expect(heads[0]).toEqual({ Bucket: 'reports-bucket', Key: `sox/prod/${BUNDLE}/manifest.json`, ChecksumMode: 'ENABLED' });
    expect(heads.slice(1)).toEqual(
      ordered.map((file) => ({
        Bucket: 'reports-bucket',
        Key: `sox/prod/${BUNDLE}/${file.name}`,
        ChecksumMode: 'ENABLED',
        VersionId: 'v1',
      })),
    );
    // Each object is confirmed before the next is written.
    const order = s3.calls().map((call) => `${call.args[0].constructor.name}:${String((call.args[0].input as { Key: string }).Key).split('/').pop()}`);
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
    await expect(archive().writeBundle(BUNDLE, ordered, { retainUntil: new Date('2020-01-01T00:00:00Z') })).rejects.toThrow(
      /must be in the future/,
    );
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

  it('completes a bundle an earlier run left without its manifest when the stored objects hold the same bytes', async () => {
    headReportsWhatWasPut();
    s3.on(PutObjectCommand).resolves({});
    const [first] = ordered;
    s3.on(PutObjectCommand, { Key: `sox/prod/${BUNDLE}/${first!.name}` }).rejects(preconditionFailed());
    s3.on(GetObjectCommand, { Key: `sox/prod/${BUNDLE}/${first!.name}` }).resolves({ Body: body(first!.data) });

    await archive().writeBundle(BUNDLE, ordered, { retainUntil: RETAIN });
    expect(putInputs().map((input) => input.Key)).toEqual(ordered.map((f) => `sox/prod/${BUNDLE}/${f.name}`));
    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).toEqual([`sox/prod/${BUNDLE}/${first!.name}`]);
  });

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
    ['ObjectLockMode', { ObjectLockMode: 'GOVERNANCE' as const }, /ObjectLockMode is "GOVERNANCE", expected "COMPLIANCE"/],
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
    await expect(failing).rejects.toThrow(`s3://reports-bucket/sox/prod/${BUNDLE}/report.pdf was written but S3 reports`);
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
      /^S3 PutObject s3:\/\/reports-bucket\/sox\/prod\/daily\/2026\/03\/08\/report\.pdf failed \(AccessDenied, HTTP 403\): Access Denied/,
    );
    expect((error as Error).cause).toBe(denied);
  });

  it('refuses a bundle whose manifest is not last, and repeated names, before any request', async () => {
    await expect(archive().writeBundle(BUNDLE, files, { retainUntil: RETAIN })).rejects.toThrow(/manifest\.json must be the last/);
    await expect(archive().writeBundle(BUNDLE, [files[0]!, files[0]!], { retainUntil: RETAIN })).rejects.toThrow(/appears twice/);
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
    s3.on(GetObjectCommand, { Bucket: 'reports-bucket', Key: `sox/prod/${BUNDLE}/report.pdf` }).resolves({ Body: body(PDF) });
    expect([...(await archive().read(`${BUNDLE}/report.pdf`))!]).toEqual([...PDF]);
  });

  it('returns null for a missing key', async () => {
    s3.on(GetObjectCommand).rejects(noSuchKey());
    expect(await archive().read(`${BUNDLE}/missing.json`)).toBeNull();
  });

  it('does not mistake a missing bucket for a missing key', async () => {
    s3.on(GetObjectCommand).rejects(s3Error('NoSuchBucket', 404, 'The specified bucket does not exist'));
    await expect(archive().read(`${BUNDLE}/report.pdf`)).rejects.toThrow(/GetObject .* failed \(NoSuchBucket, HTTP 404\)/);
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
    await expect(archive().lockState!('gone.txt')).rejects.toThrow('s3://reports-bucket/sox/prod/gone.txt does not exist');
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
