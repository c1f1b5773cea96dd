/**
 * Where the fan-out's slices leave their results for the merge: `<staging>/<run id>/slice-<n>/<try>.json` (the part,
 * slices/codec.ts) and `<try>.evidence.gz` (its evidence lines), in a bucket of their own. Each try of a slice
 * function (its Lambda request id) writes keys of its own: Step Functions retries a step whose answer was lost while
 * the first try may still be running, and that try must not overwrite what the retry wrote and returned.
 *
 * Not the archive: the archive's Object Lock is the bucket's default retention and its policy denies every delete,
 * so a part written there would stay for years beside the bundles; the staging bucket keeps a run's objects until the
 * merge removes them (or its lifecycle rule does, days later, after a failed run). Nothing here is evidence yet:
 * whoever may put objects here could replace a part and its evidence part together, so the merge checks each part
 * against the digest its slice function returned through the state machine, and each evidence part against its part,
 * before the bundle is sealed.
 */
import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type GetObjectCommandOutput,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { parseS3Location } from '../archive/index.js';
import { errorMessage, InputError } from '../errors.js';
import type { ByteSink } from '../ingest/sink-writer.js';
import { decodeSlicePart, digestOf, encodeSlicePart, type PartDigest, type SlicePart } from '../slices/codec.js';
import { ENV } from './environment.js';
import { nonEmpty, type Environment } from './lambda-config.js';

/** A run id: what the plan makes (a UUID), checked wherever one comes back, since it becomes part of a key. */
export const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Evidence parts are uploaded in parts of 8 MiB (S3's minimum is 5); a smaller one is one PutObject. */
const UPLOAD_PART_BYTES = 8 * 1024 * 1024;

export interface Staging {
  client: S3Client;
  bucket: string;
  /** The key prefix of every run (`runs`), without a trailing slash. */
  prefix: string;
}

/** `SOX_SLICE_STAGING`, `s3://bucket/prefix`: where the slices of a fan-out leave their results. */
export function stagingOf(env: Environment, client: S3Client): Staging {
  const location = nonEmpty(env[ENV.sliceStaging]);
  if (location === undefined || !/^s3:\/\/[^/]+\/[^/].*$/i.test(location))
    throw new InputError(
      `${ENV.sliceStaging} is ${location === undefined ? 'not set' : JSON.stringify(location)}: ` +
        'the fan-out needs the staging bucket and prefix of its slices, s3://bucket/runs',
    );
  const { bucket, prefix } = parseS3Location(location);
  return { client, bucket, prefix: prefix.replace(/\/+$/, '') };
}

/**
 * A try of a slice function: its Lambda request id (a UUID on Lambda, 36 characters), checked wherever one comes
 * back, since it becomes part of a key.
 */
export const SLICE_TRY = /^[A-Za-z0-9-]{1,36}$/;

/** Where the tries of the slice at `position` of run `runId` leave their objects (for messages and keys). */
export function sliceFolder(staging: Staging, runId: string, position: number): string {
  if (!RUN_ID.test(runId)) throw new Error(`run id ${JSON.stringify(runId)} is not one the plan makes`);
  return `${runPrefix(staging, runId)}slice-${position}/`;
}

/** The keys try `attempt` of the slice at `position` of run `runId` writes. */
export function sliceKeys(
  staging: Staging,
  runId: string,
  position: number,
  attempt: string,
): { part: string; evidence: string } {
  if (!SLICE_TRY.test(attempt)) throw new Error(`slice try ${JSON.stringify(attempt)} is not a Lambda request id`);
  const base = `${sliceFolder(staging, runId, position)}${attempt}`;
  return { part: `${base}.json`, evidence: `${base}.evidence.gz` };
}

export function runPrefix(staging: Staging, runId: string): string {
  return `${staging.prefix}/${runId}/`;
}

const url = (staging: Staging, key: string) => `s3://${staging.bucket}/${key}`;

/**
 * A part as JSON, at its try's own key; returns the digest of the bytes written, which the slice function hands the
 * merge through the state machine.
 */
export async function putSlicePart(staging: Staging, key: string, part: SlicePart): Promise<PartDigest> {
  const body = Buffer.from(encodeSlicePart(part), 'utf8');
  try {
    await staging.client.send(
      new PutObjectCommand({ Bucket: staging.bucket, Key: key, Body: body, ContentType: 'application/json' }),
    );
  } catch (err) {
    throw new Error(`S3 PutObject ${url(staging, key)}: ${errorMessage(err)}`, { cause: err });
  }
  return digestOf(body);
}

/**
 * The part at `key`, decoded and checked, once its bytes are found to be exactly those its slice function returned
 * (`expected`; `slice` names that slice); a missing one is named as such.
 */
export async function readSlicePart(
  staging: Staging,
  key: string,
  expected: PartDigest,
  slice: string,
): Promise<SlicePart> {
  let got: GetObjectCommandOutput;
  try {
    got = await staging.client.send(new GetObjectCommand({ Bucket: staging.bucket, Key: key }));
  } catch (err) {
    if (isNotFound(err)) throw new Error(`${url(staging, key)}: the slice's part is missing (did its slice run?)`);
    throw new Error(`S3 GetObject ${url(staging, key)}: ${errorMessage(err)}`, { cause: err });
  }
  // Another size is another part: refused before its bytes are read, however large a planted one may be.
  if (got.ContentLength !== undefined && got.ContentLength !== expected.bytes) {
    (got.Body as { destroy?: () => void } | undefined)?.destroy?.();
    throw new Error(
      `${url(staging, key)} (${slice}): ${got.ContentLength} bytes, but its slice function returned ` +
        `${expected.bytes} bytes with SHA-256 ${expected.sha256}: the part was replaced or is not this run's`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = await got.Body!.transformToByteArray();
  } catch (err) {
    throw new Error(`S3 GetObject ${url(staging, key)}: ${errorMessage(err)}`, { cause: err });
  }
  const found = digestOf(bytes);
  if (!sameDigest(found, expected))
    throw digestMismatch(
      `${url(staging, key)} (${slice})`,
      found,
      expected,
      'its slice function returned',
      "the part was replaced or is not this run's",
    );
  return decodeSlicePart(Buffer.from(bytes).toString('utf8'), url(staging, key));
}

/**
 * Streams the evidence part at `key` into `sink`, hashing it on the way; throws naming the object when it is not
 * the part's bytes (another size or SHA-256 than the part records), or missing. The sink is the bundle's staged
 * evidence file, which the run discards when this throws.
 */
export async function copyEvidencePart(
  staging: Staging,
  key: string,
  expected: PartDigest | null,
  sink: ByteSink,
): Promise<void> {
  if (expected === null) throw new Error(`${url(staging, key)}: its slice's part records no evidence digest`);
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    const got = await staging.client.send(new GetObjectCommand({ Bucket: staging.bucket, Key: key }));
    for await (const chunk of got.Body as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      bytes += chunk.byteLength;
      await sink.write(chunk);
    }
  } catch (err) {
    if (isNotFound(err)) throw new Error(`${url(staging, key)}: the slice's evidence part is missing`);
    throw new Error(`S3 GetObject ${url(staging, key)}: ${errorMessage(err)}`, { cause: err });
  }
  const found = { bytes, sha256: hash.digest('hex') };
  if (!sameDigest(found, expected))
    throw digestMismatch(
      url(staging, key),
      found,
      expected,
      "its slice's part records",
      "the evidence part was altered or is not this run's",
    );
}

export const sameDigest = (a: PartDigest, b: PartDigest): boolean => a.bytes === b.bytes && a.sha256 === b.sha256;

/** `found` at `where` is not what `expected` (in whose word `recordedBy` says) names: both digests, then why. */
function digestMismatch(
  where: string,
  found: PartDigest,
  expected: PartDigest,
  recordedBy: string,
  verdict: string,
): Error {
  return new Error(
    `${where}: ${found.bytes} bytes with SHA-256 ${found.sha256}, but ${recordedBy} ` +
      `${expected.bytes} bytes with SHA-256 ${expected.sha256}: ${verdict}`,
  );
}

/** A sink that uploads what it is given to `key`: one PutObject when small, a multipart upload otherwise. */
export function evidenceUpload(
  staging: Staging,
  key: string,
): ByteSink & { close(): Promise<void>; abort(): Promise<void> } {
  const { client, bucket } = staging;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let uploadId: string | null = null;
  const parts: { PartNumber: number; ETag: string }[] = [];
  const fail = (operation: string, err: unknown) =>
    new Error(`S3 ${operation} ${url(staging, key)}: ${errorMessage(err)}`, { cause: err });
  const flush = async () => {
    const body = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    try {
      if (uploadId === null)
        uploadId = (await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }))).UploadId!;
      const PartNumber = parts.length + 1;
      const { ETag } = await client.send(
        new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber, Body: body }),
      );
      parts.push({ PartNumber, ETag: ETag ?? '' });
    } catch (err) {
      throw fail('UploadPart', err);
    }
  };
  return {
    async write(chunk) {
      pending.push(Buffer.from(chunk));
      pendingBytes += chunk.byteLength;
      if (pendingBytes >= UPLOAD_PART_BYTES) await flush();
    },
    async close() {
      if (uploadId === null) {
        try {
          await client.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: key,
              Body: Buffer.concat(pending, pendingBytes),
              ContentType: 'application/gzip',
            }),
          );
        } catch (err) {
          throw fail('PutObject', err);
        }
        return;
      }
      if (pendingBytes > 0) await flush();
      try {
        await client.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
          }),
        );
      } catch (err) {
        throw fail('CompleteMultipartUpload', err);
      }
    },
    async abort() {
      if (uploadId === null) return;
      await client
        .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
        .catch(() => undefined);
    },
  };
}

/** Removes every object of run `runId` (the parts and evidence parts of every try); returns how many. */
export async function removeRun(staging: Staging, runId: string): Promise<number> {
  const prefix = runPrefix(staging, runId);
  const keys: string[] = [];
  let token: string | undefined;
  do {
    let page: ListObjectsV2CommandOutput;
    try {
      page = await staging.client.send(
        new ListObjectsV2Command({ Bucket: staging.bucket, Prefix: prefix, ContinuationToken: token }),
      );
    } catch (err) {
      throw new Error(`S3 ListObjectsV2 ${url(staging, prefix)}: ${errorMessage(err)}`, { cause: err });
    }
    keys.push(...(page.Contents ?? []).map((o) => o.Key!).filter(Boolean));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  for (const key of keys) {
    try {
      await staging.client.send(new DeleteObjectCommand({ Bucket: staging.bucket, Key: key }));
    } catch (err) {
      throw new Error(`S3 DeleteObject ${url(staging, key)}: ${errorMessage(err)}`, { cause: err });
    }
  }
  return keys.length;
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}
