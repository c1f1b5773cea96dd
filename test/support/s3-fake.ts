/**
 * An in-memory S3 bucket with versioning and Object Lock, behind aws-sdk-client-mock, for the pipeline's S3 tests:
 * PutObject and CompleteMultipartUpload honour If-None-Match (412 when the key exists), every object keeps the
 * lock and checksum it was written with, and a test can make any write fail, as a crash or an outage would.
 */
import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';

export interface StoredObject {
  id: string;
  bytes: Uint8Array;
  lockMode: string | undefined;
  retainUntil: Date | undefined;
  checksum: string | undefined;
}

function s3Error(name: string, httpStatusCode: number, message = name): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode }, message });
}

const sha256b64 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('base64');

export class FakeBucket {
  readonly client = new S3Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  readonly mock: AwsStub<any, any, any>;
  /** Newest version first. */
  readonly versions = new Map<string, StoredObject[]>();
  readonly uploads = new Map<
    string,
    { key: string; lockMode?: string; retainUntil?: Date; parts: Map<number, { bytes: Uint8Array; checksum?: string }> }
  >();
  /** Called before each write (PutObject, UploadPart, CompleteMultipartUpload); throw to make it fail. */
  beforeWrite: (operation: string, key: string) => void = () => undefined;
  private counter = 0;

  constructor() {
    this.mock = mockClient(this.client);
    this.install();
  }

  keys(): string[] {
    return [...this.versions.keys()].sort();
  }

  bytes(key: string): Uint8Array | undefined {
    return this.versions.get(key)?.[0]?.bytes;
  }

  /** What someone allowed a locked PutObject can plant. */
  plant(key: string, bytes: Uint8Array): void {
    this.store(key, {
      bytes,
      lockMode: 'COMPLIANCE',
      retainUntil: new Date('2040-01-01T00:00:00Z'),
      checksum: sha256b64(bytes),
    });
  }

  restore(): void {
    this.mock.restore();
  }

  private store(key: string, object: Omit<StoredObject, 'id'>): string {
    const id = `v${++this.counter}`;
    this.versions.set(key, [{ id, ...object }, ...(this.versions.get(key) ?? [])]);
    return id;
  }

  /** Every handler is async: the real client's send always returns a promise (a failure is a rejection). */
  private install(): void {
    const found = (input: { Key: string; VersionId?: string }) => {
      const versions = this.versions.get(input.Key) ?? [];
      const object = input.VersionId ? versions.find((v) => v.id === input.VersionId) : versions[0];
      if (!object) throw s3Error(input.VersionId ? 'NoSuchVersion' : 'NotFound', 404);
      return object;
    };
    this.mock.on(PutObjectCommand).callsFake(async (input) => {
      this.beforeWrite('PutObject', input.Key);
      if (input.IfNoneMatch === '*' && this.versions.has(input.Key)) throw s3Error('PreconditionFailed', 412);
      const bytes = await bodyBytes(input.Body);
      if (input.ChecksumSHA256 && input.ChecksumSHA256 !== sha256b64(bytes)) throw s3Error('BadDigest', 400);
      return {
        VersionId: this.store(input.Key, {
          bytes,
          lockMode: input.ObjectLockMode,
          retainUntil: input.ObjectLockRetainUntilDate,
          checksum: sha256b64(bytes),
        }),
      };
    });
    this.mock.on(CreateMultipartUploadCommand).callsFake(async (input) => {
      const UploadId = `upload-${++this.counter}`;
      this.uploads.set(UploadId, {
        key: input.Key,
        lockMode: input.ObjectLockMode,
        retainUntil: input.ObjectLockRetainUntilDate,
        parts: new Map(),
      });
      return { UploadId };
    });
    this.mock.on(UploadPartCommand).callsFake(async (input) => {
      this.beforeWrite('UploadPart', input.Key);
      const upload = this.uploads.get(input.UploadId);
      if (!upload) throw s3Error('NoSuchUpload', 404);
      const bytes = await bodyBytes(input.Body);
      if (input.ChecksumSHA256 && input.ChecksumSHA256 !== sha256b64(bytes)) throw s3Error('BadDigest', 400);
      upload.parts.set(input.PartNumber, { bytes, checksum: input.ChecksumSHA256 });
      return {};
    });
    this.mock.on(CompleteMultipartUploadCommand).callsFake(async (input) => {
      this.beforeWrite('CompleteMultipartUpload', input.Key);
      const upload = this.uploads.get(input.UploadId);
      if (!upload) throw s3Error('NoSuchUpload', 404);
      if (input.IfNoneMatch === '*' && this.versions.has(input.Key)) throw s3Error('PreconditionFailed', 412);
      const parts = (input.MultipartUpload?.Parts ?? []).map(
        (p: { PartNumber: number }) => upload.parts.get(p.PartNumber)!,
      );
      const bytes = Buffer.concat(parts.map((p: { bytes: Uint8Array }) => p.bytes));
      const digests = Buffer.concat(parts.map((p: { checksum?: string }) => Buffer.from(p.checksum ?? '', 'base64')));
      const checksum = `${createHash('sha256').update(digests).digest('base64')}-${parts.length}`;
      this.uploads.delete(input.UploadId);
      return {
        VersionId: this.store(input.Key, {
          bytes,
          lockMode: upload.lockMode,
          retainUntil: upload.retainUntil,
          checksum,
        }),
      };
    });
    this.mock.on(AbortMultipartUploadCommand).callsFake(async (input) => {
      this.uploads.delete(input.UploadId);
      return {};
    });
    this.mock.on(HeadObjectCommand).callsFake(async (input) => {
      const object = found(input);
      return {
        ContentLength: object.bytes.length,
        ObjectLockMode: object.lockMode,
        ObjectLockRetainUntilDate: object.retainUntil,
        ChecksumSHA256: object.checksum,
        VersionId: object.id,
      };
    });
    this.mock.on(GetObjectCommand).callsFake(async (input) => {
      const object = found(input);
      const stream = Readable.from([Buffer.from(object.bytes)]);
      return {
        ContentLength: object.bytes.length,
        VersionId: object.id,
        Body: Object.assign(stream, { transformToByteArray: async () => new Uint8Array(object.bytes) }),
      };
    });
    // The fan-out's staging bucket has no lock: a run's parts are deleted. A locked version never is.
    this.mock.on(DeleteObjectCommand).callsFake(async (input) => {
      const versions = this.versions.get(input.Key) ?? [];
      if (versions.some((v) => v.lockMode !== undefined)) throw s3Error('AccessDenied', 403);
      this.versions.delete(input.Key);
      return {};
    });
    this.mock.on(ListObjectsV2Command).callsFake(async (input) => ({
      IsTruncated: false,
      Contents: this.keys()
        .filter((k) => k.startsWith(input.Prefix ?? ''))
        .map((Key) => ({ Key, Size: this.bytes(Key)!.length })),
    }));
    this.mock.on(ListObjectVersionsCommand).callsFake(async (input) => ({
      IsTruncated: false,
      Versions: this.keys()
        .filter((k) => k.startsWith(input.Prefix ?? ''))
        .flatMap((Key) =>
          this.versions.get(Key)!.map((v, i) => ({ Key, VersionId: v.id, IsLatest: i === 0, Size: v.bytes.length })),
        ),
      DeleteMarkers: [],
    }));
  }
}

async function bodyBytes(body: unknown): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return new Uint8Array(body);
  if (typeof body === 'string') return new TextEncoder().encode(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
  return new Uint8Array(Buffer.concat(chunks));
}
