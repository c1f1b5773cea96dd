import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  type ListMultipartUploadsCommandOutput,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type GetObjectCommandOutput,
  type HeadObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { BundleExistsError, TooLargeError } from '../errors.js';
import { MANIFEST } from './layout.js';
import { checkArchivePath, checkBundleFiles, sameBytes, toBytes } from './local.js';
import { MAX_PART_BYTES, MIN_PART_BYTES, PART_BYTES, S3StagedFile } from './s3-staged.js';
import type { ArchiveEntry, ArchivePort, ByteDigest, Leftovers, LockState, WriteOptions } from './port.js';
import { STALE_AFTER_MS } from './staging.js';

export interface S3ArchiveOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix of the archive root; leading, trailing and repeated `/` are ignored. */
  prefix?: string;
  /** Retain-until date of what is written under a path when the caller gives none (default: seven years on). */
  retainUntil?: (path: string) => Date;
  now?: () => Date;
  /**
   * Size of the parts of a staged file (the evidence) that outgrows one part: 16 MiB unless given. S3 refuses
   * parts below 5 MiB but the last, so a smaller size only works against a test double; `allowSmallParts` says
   * that is meant.
   */
  multipartBytes?: number;
  allowSmallParts?: boolean;
}

/** Years an object stays locked, from its write, when neither the write nor the options give a retain-until date. */
export const DEFAULT_RETENTION_YEARS = 7;

/**
 * An S3 archive under Object Lock (COMPLIANCE): every object is created once (`If-None-Match: *`) with a
 * SHA-256 checksum we compute, and read back to confirm that S3 stored the lock and the checksum we asked for.
 * The bucket must have Object Lock enabled; this adapter does not configure buckets.
 *
 * The bucket is versioned, so whoever may PutObject can add a newer version over a locked object without touching
 * it: `entries` lists every version and delete marker of each key, and reads and lock checks given the version it
 * found read exactly that version.
 */
export function s3Archive(options: S3ArchiveOptions): ArchivePort {
  const { client, bucket } = options;
  if (!bucket || bucket.includes('/')) throw new Error(`s3 archive: invalid bucket name ${JSON.stringify(bucket)}`);
  const rootPrefix = (options.prefix ?? '').split('/').filter(Boolean).join('/');
  const now = options.now ?? (() => new Date());
  const partBytes = options.multipartBytes ?? PART_BYTES;
  const smallestPart = options.allowSmallParts ? 1 : MIN_PART_BYTES;
  if (!Number.isSafeInteger(partBytes) || partBytes < smallestPart || partBytes > MAX_PART_BYTES) {
    throw new Error(
      `s3 archive: multipartBytes must be a whole number of bytes from ${smallestPart} to ${MAX_PART_BYTES} ` +
        `(S3 takes parts of 5 MiB to 5 GiB), not ${partBytes}`,
    );
  }

  const keyOf = (checkedPath: string) => [rootPrefix, checkedPath].filter(Boolean).join('/');
  const urlOf = (key: string) => (key ? `s3://${bucket}/${key}` : `s3://${bucket}`);

  function retention(checkedPath: string, write: WriteOptions | undefined): Date {
    const wanted =
      write?.retainUntil ?? options.retainUntil?.(checkedPath) ?? yearsAfter(now(), DEFAULT_RETENTION_YEARS);
    if (Number.isNaN(wanted.getTime()) || wanted.getTime() <= now().getTime()) {
      throw new Error(`s3 archive: the retain-until date for ${urlOf(keyOf(checkedPath))} must be in the future`);
    }
    // S3 keeps the date to the second; sending whole seconds makes the read-back comparison exact.
    return new Date(Math.floor(wanted.getTime() / 1000) * 1000);
  }

  /** Creates the object, or throws PreconditionFailed (untouched) if the key exists; other errors are wrapped. */
  async function putLocked(key: string, bytes: Uint8Array, retainUntil: Date): Promise<void> {
    const checksum = sha256Base64(bytes);
    let versionId: string | undefined;
    try {
      const out = await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: bytes,
          IfNoneMatch: '*',
          ChecksumAlgorithm: 'SHA256',
          ChecksumSHA256: checksum,
          ObjectLockMode: 'COMPLIANCE',
          ObjectLockRetainUntilDate: retainUntil,
          ContentType: contentTypeOf(key),
        }),
      );
      versionId = out.VersionId;
    } catch (err) {
      if (isPreconditionFailed(err)) throw err;
      throw s3Failure('PutObject', urlOf(key), err);
    }
    await confirmStored(key, versionId, checksum, retainUntil);
  }

  /** Reads back what S3 recorded: a bucket default, a policy or a proxy must not have changed the lock silently. */
  async function confirmStored(key: string, versionId: string | undefined, checksum: string, retainUntil: Date) {
    const head = await headObject(key, versionId);
    if (!head) throw new Error(`${urlOf(key)}: not found right after it was written`);
    const wrong: string[] = [];
    if (head.ObjectLockMode !== 'COMPLIANCE') {
      wrong.push(`ObjectLockMode is ${JSON.stringify(head.ObjectLockMode ?? null)}, expected "COMPLIANCE"`);
    }
    const stored = head.ObjectLockRetainUntilDate;
    if (!stored || wholeSeconds(stored) !== wholeSeconds(retainUntil)) {
      wrong.push(
        `ObjectLockRetainUntilDate is ${stored ? stored.toISOString() : 'missing'}, ` +
          `expected ${retainUntil.toISOString()}`,
      );
    }
    if (head.ChecksumSHA256 !== checksum) {
      wrong.push(
        `ChecksumSHA256 is ${JSON.stringify(head.ChecksumSHA256 ?? null)}, expected ${JSON.stringify(checksum)}`,
      );
    }
    if (wrong.length > 0) throw new Error(`${urlOf(key)} was written but S3 reports: ${wrong.join('; ')}`);
  }

  /** HeadObject with checksums; null when the key does not exist. */
  async function headObject(key: string, versionId?: string): Promise<HeadObjectCommandOutput | null> {
    try {
      return await client.send(
        new HeadObjectCommand({
          Bucket: bucket,
          Key: key,
          ChecksumMode: 'ENABLED',
          ...(versionId ? { VersionId: versionId } : {}),
        }),
      );
    } catch (err) {
      if (isNotFound(err)) return null;
      throw s3Failure('HeadObject', urlOf(key), err);
    }
  }

  /** GetObject of the newest version, or of `versionId`; null when the key (or that version) does not exist. */
  async function getObject(key: string, versionId: string | undefined): Promise<GetObjectCommandOutput | null> {
    try {
      return await client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
      );
    } catch (err) {
      if (isNotFound(err)) return null;
      throw s3Failure('GetObject', urlOf(key), err);
    }
  }

  async function getBytes(key: string, versionId?: string, maxBytes?: number): Promise<Uint8Array | null> {
    const out = await getObject(key, versionId);
    if (out === null) return null;
    const tooLarge = (bytes: number) =>
      new TooLargeError(`${urlOf(key)}: ${bytes} bytes, more than the ${maxBytes} this read may hold`);
    // Refused on the announced length, before a byte of the body is held.
    if (maxBytes !== undefined && out.ContentLength !== undefined && out.ContentLength > maxBytes) {
      (out.Body as { destroy?: () => void } | undefined)?.destroy?.();
      throw tooLarge(out.ContentLength);
    }
    const bytes = out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
    if (maxBytes !== undefined && bytes.length > maxBytes) throw tooLarge(bytes.length);
    return bytes;
  }

  async function* streamObject(key: string, versionId: string | undefined): AsyncGenerator<Uint8Array> {
    const out = await getObject(key, versionId);
    if (out === null) throw new Error(`${urlOf(key)}${versionId ? ` (version ${versionId})` : ''}: does not exist`);
    const body: unknown = out.Body;
    if (isAsyncIterable(body)) {
      // In Node the body is the response stream: chunks as they arrive, never the whole object.
      for await (const chunk of body) yield chunk;
    } else if (out.Body) {
      yield await out.Body.transformToByteArray();
    }
  }

  /** Every version and delete marker under a key prefix, grouped by key, in key order. */
  async function listVersions(listPrefix: string | undefined): Promise<ArchiveEntry[]> {
    const strip = rootPrefix ? rootPrefix.length + 1 : 0;
    const byKey = new Map<string, ArchiveEntry>();
    const entryOf = (key: string) => {
      let entry = byKey.get(key);
      if (!entry) {
        entry = { path: key.slice(strip), kind: 'file', versions: 0, deleteMarkers: 0 };
        byKey.set(key, entry);
      }
      return entry;
    };
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    do {
      let page: ListObjectVersionsCommandOutput;
      try {
        page = await client.send(
          new ListObjectVersionsCommand({
            Bucket: bucket,
            Prefix: listPrefix,
            KeyMarker: keyMarker,
            VersionIdMarker: versionIdMarker,
          }),
        );
      } catch (err) {
        throw s3Failure('ListObjectVersions', urlOf(listPrefix ?? ''), err);
      }
      for (const version of page.Versions ?? []) {
        // Keys ending in "/" are folder placeholders made by the console, not files.
        if (!version.Key || version.Key.endsWith('/')) continue;
        const entry = entryOf(version.Key);
        entry.versions! += 1;
        // S3 lists the versions of a key newest first: the last one seen is the first one written, which
        // If-None-Match made the archived object.
        if (version.VersionId) entry.versionId = version.VersionId;
        if (version.Size !== undefined) entry.bytes = version.Size;
      }
      for (const marker of page.DeleteMarkers ?? []) {
        if (!marker.Key || marker.Key.endsWith('/')) continue;
        entryOf(marker.Key).deleteMarkers! += 1;
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
      if (page.IsTruncated && !keyMarker) {
        throw new Error(`S3 ListObjectVersions ${urlOf(listPrefix ?? '')}: truncated page without a key marker`);
      }
    } while (keyMarker);
    return [...byKey.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** A prefix names a folder: "daily/2026/01" must not also match "daily/2026/011". */
  const folderPrefix = (prefix: string) => {
    const under = keyOf(checkArchivePath(prefix, 'prefix', { allowRoot: true }));
    return under ? `${under}/` : undefined;
  };

  /** A multipart object becomes one on completion, with If-None-Match like every write; then it is read back. */
  async function completeStaged(key: string, staged: S3StagedFile, retainUntil: Date): Promise<void> {
    let versionId: string | undefined;
    try {
      versionId = await staged.complete();
    } catch (err) {
      await staged.discard();
      if (isPreconditionFailed(err)) {
        throw new BundleExistsError(
          `${urlOf(key)}: the object already exists and was left unchanged (another run may be writing this bundle)`,
          { cause: err },
        );
      }
      throw s3Failure('CompleteMultipartUpload', urlOf(key), err);
    }
    await confirmStored(key, versionId, staged.compositeChecksum, retainUntil);
  }

  /** An object an interrupted run stored, which this bundle keeps: it must still be there, locked, with its bytes. */
  async function confirmKept(key: string, kept: ByteDigest): Promise<void> {
    const head = await headObject(key);
    if (!head) throw new Error(`${urlOf(key)}: an interrupted run's object this bundle keeps is gone`);
    const wrong: string[] = [];
    if (head.ContentLength !== undefined && head.ContentLength !== kept.bytes)
      wrong.push(`${head.ContentLength} bytes, not ${kept.bytes}`);
    const sha = hexOfChecksum(head.ChecksumSHA256);
    if (sha !== null && sha !== kept.sha256) wrong.push(`SHA-256 ${sha}, not ${kept.sha256}`);
    if (head.ObjectLockMode !== 'COMPLIANCE') wrong.push(`Object Lock mode ${head.ObjectLockMode ?? 'none'}`);
    if (wrong.length > 0)
      throw new Error(`${urlOf(key)}: an interrupted run's object this bundle keeps has changed: ${wrong.join('; ')}`);
  }

  /**
   * Objects are never staged on S3, but the evidence of a run that died mid-upload is an unfinished multipart
   * upload: invisible, never an object, billed until aborted (the bucket refuses lifecycle rules that would end
   * it). Only uploads started STALE_AFTER_MS ago or earlier are aborted: a younger one may be a run still writing.
   */
  async function abortStaleUploads(checkedBundle: string): Promise<Leftovers> {
    const done: Leftovers = { removed: [], fixed: [], kept: [] };
    const prefix = `${keyOf(checkedBundle)}/`;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      let page: ListMultipartUploadsCommandOutput | undefined;
      try {
        page = await client.send(
          new ListMultipartUploadsCommand({
            Bucket: bucket,
            Prefix: prefix,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        );
      } catch (err) {
        const failure = s3Failure('ListMultipartUploads', urlOf(prefix), err);
        done.kept.push(`${urlOf(prefix)}: unfinished uploads not looked for: ${failure.message}`);
        return done;
      }
      for (const upload of page?.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId) continue;
        const started = upload.Initiated;
        const when = started ? started.toISOString() : 'at an unknown time';
        const what = `${urlOf(upload.Key)}: an unfinished upload started ${when}`;
        if (!started || now().getTime() - started.getTime() < STALE_AFTER_MS) {
          done.kept.push(`${what}, left as it is: it may be a run still writing`);
          continue;
        }
        try {
          await client.send(
            new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }),
          );
          done.removed.push(`${what}, aborted (its parts never became an object)`);
        } catch (err) {
          done.kept.push(`${what}, not aborted: ${s3Failure('AbortMultipartUpload', urlOf(upload.Key), err).message}`);
        }
      }
      keyMarker = page?.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page?.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
    return done;
  }

  async function bundleExists(checkedBundle: string): Promise<boolean> {
    return (await headObject(keyOf(`${checkedBundle}/${MANIFEST}`))) !== null;
  }

  return {
    locate: (where) => urlOf(keyOf(checkArchivePath(where, 'path', { allowRoot: true }))),

    exists: async (bundlePath) => bundleExists(checkArchivePath(bundlePath, 'bundle path')),

    async writeBundle(bundlePath, files, write) {
      const bundle = checkArchivePath(bundlePath, 'bundle path');
      const names = checkBundleFiles(files);
      const manifestAt = names.indexOf(MANIFEST);
      // The manifest is what makes a bundle count as present, so nothing may be written after it.
      if (manifestAt !== -1 && manifestAt !== names.length - 1) {
        throw new Error(`s3 archive: ${MANIFEST} must be the last file of the bundle ${bundle}`);
      }
      const retainUntil = retention(bundle, write);
      if (await bundleExists(bundle)) {
        throw new BundleExistsError(
          `${urlOf(keyOf(bundle))} is already archived (it has a ${MANIFEST}); it was left unchanged`,
        );
      }
      for (const [i, file] of files.entries()) {
        const name = names[i]!;
        const key = keyOf(`${bundle}/${name}`);
        if ('stored' in file) {
          await confirmKept(key, file.stored);
          write?.progress?.({ file: name });
          continue;
        }
        if ('staged' in file && !(file.staged instanceof S3StagedFile && file.staged.target.key === key)) {
          throw new Error(`s3 archive: ${name} was not staged by this archive for ${urlOf(key)}`);
        }
        const whole = 'staged' in file ? (file.staged as S3StagedFile).wholeBytes : null;
        if ('staged' in file && whole === null) {
          await completeStaged(key, file.staged as S3StagedFile, retainUntil);
          write?.progress?.({ file: name });
          continue;
        }
        const bytes = whole ?? toBytes((file as { data: Uint8Array | string }).data);
        try {
          await putLocked(key, bytes, retainUntil);
        } catch (err) {
          if (!isPreconditionFailed(err)) throw err;
          // Locked objects of a run that stopped before its manifest can never be replaced: a rerun that
          // brings the same bytes (the pipeline reuses what is stored) completes the bundle instead.
          const stored = name === MANIFEST ? null : await getBytes(key);
          if (stored !== null && sameBytes(stored, bytes)) {
            write?.progress?.({ file: name });
            continue;
          }
          const partial =
            name === MANIFEST
              ? ''
              : ` (the bundle has no ${MANIFEST} yet: another run may be writing it, ` +
                'or an earlier run stopped part-way with other content)';
          throw new BundleExistsError(`${urlOf(key)}: the object already exists and was left unchanged${partial}`, {
            cause: err,
          });
        }
        write?.progress?.({ file: name });
      }
    },

    async stageFile(bundlePath, name, write) {
      const bundle = checkArchivePath(bundlePath, 'bundle path');
      const [checked] = checkBundleFiles([{ name, data: '' }]);
      const key = keyOf(`${bundle}/${checked!}`);
      return new S3StagedFile({
        client,
        bucket,
        key,
        retainUntil: retention(bundle, write),
        contentType: contentTypeOf(key),
        partBytes,
        failure: (operation, err) => s3Failure(operation, urlOf(key), err),
      });
    },

    resumable: true,

    clearLeftovers: async (bundlePath) => abortStaleUploads(checkArchivePath(bundlePath, 'bundle path')),

    async writeOnce(where, data, write) {
      const checked = checkArchivePath(where, 'path');
      const key = keyOf(checked);
      const bytes = toBytes(data);
      try {
        await putLocked(key, bytes, retention(checked, write));
      } catch (err) {
        if (!isPreconditionFailed(err)) throw err;
        const existing = await getBytes(key);
        if (existing === null) throw s3Failure('PutObject', urlOf(key), err); // reported present, yet not readable
        if (!sameBytes(existing, bytes)) {
          throw new Error(`${urlOf(key)} already exists with different content; it was left unchanged`, { cause: err });
        }
      }
    },

    read: async (where, options = {}) =>
      getBytes(keyOf(checkArchivePath(where, 'path')), options.versionId, options.maxBytes),

    readStream: (where, options = {}) => streamObject(keyOf(checkArchivePath(where, 'path')), options.versionId),

    entries: async (prefix) => listVersions(folderPrefix(prefix)),

    // The current objects only, which is what a run needs (and all s3:ListBucket shows); `entries` is the audit view.
    async list(prefix) {
      const listPrefix = folderPrefix(prefix);
      const strip = rootPrefix ? rootPrefix.length + 1 : 0;
      const found: string[] = [];
      let token: string | undefined;
      do {
        let page: ListObjectsV2CommandOutput;
        try {
          page = await client.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: listPrefix, ContinuationToken: token }),
          );
        } catch (err) {
          throw s3Failure('ListObjectsV2', urlOf(listPrefix ?? ''), err);
        }
        for (const object of page.Contents ?? []) {
          // Keys ending in "/" are folder placeholders made by the console, not files.
          if (object.Key && !object.Key.endsWith('/')) found.push(object.Key.slice(strip));
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
        if (page.IsTruncated && !token)
          throw new Error(`S3 ListObjectsV2 ${urlOf(listPrefix ?? '')}: truncated page without a continuation token`);
      } while (token);
      return found.sort();
    },

    async lockState(where, options = {}): Promise<LockState> {
      const key = keyOf(checkArchivePath(where, 'path'));
      const head = await headObject(key, options.versionId);
      if (!head)
        throw new Error(`${urlOf(key)}${options.versionId ? ` (version ${options.versionId})` : ''} does not exist`);
      return {
        mode: head.ObjectLockMode ?? null,
        retainUntil: head.ObjectLockRetainUntilDate ?? null,
        sha256: hexOfChecksum(head.ChecksumSHA256),
      };
    },
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

export function sha256Base64(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64');
}

const CONTENT_TYPES: Record<string, string> = {
  '.pdf': 'application/pdf',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.sig': 'application/octet-stream',
  '.pem': 'application/x-pem-file',
  '.gz': 'application/gzip',
};

export function contentTypeOf(key: string): string {
  const dot = key.lastIndexOf('.');
  const extension = dot > key.lastIndexOf('/') ? key.slice(dot).toLowerCase() : '';
  return CONTENT_TYPES[extension] ?? 'application/octet-stream';
}

/** Lower-case hex of a full-object SHA-256 checksum; null for none or a multipart ("…-N") composite. */
function hexOfChecksum(base64: string | undefined): string | null {
  if (!base64 || !/^[A-Za-z0-9+/]{43}=$/.test(base64)) return null;
  return Buffer.from(base64, 'base64').toString('hex');
}

function yearsAfter(date: Date, years: number): Date {
  const later = new Date(date.getTime());
  later.setUTCFullYear(later.getUTCFullYear() + years);
  return later;
}

function wholeSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

interface S3ErrorShape {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function s3ErrorOf(err: unknown): S3ErrorShape {
  return typeof err === 'object' && err !== null ? (err as S3ErrorShape) : {};
}

/** `If-None-Match: *` found the key: S3 answers 412 PreconditionFailed and leaves the object as it was. */
export function isPreconditionFailed(err: unknown): boolean {
  const { name, $metadata } = s3ErrorOf(err);
  return name === 'PreconditionFailed' || $metadata?.httpStatusCode === 412;
}

/** A missing key: GetObject says NoSuchKey; HeadObject has no body, so only NotFound/404 (a missing bucket too). */
function isNotFound(err: unknown): boolean {
  const { name, $metadata } = s3ErrorOf(err);
  if (name === 'NoSuchBucket') return false;
  return name === 'NoSuchKey' || name === 'NotFound' || $metadata?.httpStatusCode === 404;
}

function s3Failure(operation: string, where: string, err: unknown): Error {
  const { name, message, $metadata } = s3ErrorOf(err);
  const status = $metadata?.httpStatusCode;
  const hints: Record<number, string> = {
    403: ' (access denied; note that S3 also answers 403 for a missing key when s3:ListBucket is not allowed)',
    409: ' (another conditional write to the same key was in progress; a rerun will find it)',
  };
  const what = [name, status ? `HTTP ${status}` : undefined].filter(Boolean).join(', ');
  const detail = message ?? String(err);
  return new Error(
    `S3 ${operation} ${where} failed${what ? ` (${what})` : ''}: ${detail}${(status && hints[status]) || ''}`,
    {
      cause: err,
    },
  );
}
