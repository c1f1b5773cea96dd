/**
 * A bundle file of an S3 archive written while it is produced (the evidence). Small ones (the usual day) are held
 * until `writeBundle` puts them like any other file; past one part they become a multipart upload created with
 * the same guarantees as a PutObject: COMPLIANCE lock and retain-until date at creation, our SHA-256 on every
 * part, and If-None-Match on completion, which is where the object comes to exist. Memory stays at one part.
 */
import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ByteDigest, StagedFile } from './port.js';

/** Parts of 16 MiB: S3 allows at most 10,000 parts, so up to 156 GiB of evidence (about a billion messages). */
export const PART_BYTES = 16 * 1024 * 1024;
/** S3 refuses a part below 5 MiB unless it is the last one. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** Nor takes one above 5 GiB. */
export const MAX_PART_BYTES = 5 * 1024 * 1024 * 1024;

export interface S3Target {
  client: S3Client;
  bucket: string;
  key: string;
  retainUntil: Date;
  contentType: string;
  /** Size of every part but the last (PART_BYTES unless given). */
  partBytes?: number;
  /** Wraps an SDK failure into an error naming the operation and the object. */
  failure(operation: string, err: unknown): Error;
}

export class S3StagedFile implements StagedFile {
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private uploadId: string | null = null;
  private readonly parts: { PartNumber: number; ChecksumSHA256: string }[] = [];
  private readonly partDigests: Buffer[] = [];
  private closed: ByteDigest | null = null;
  private readonly partBytes: number;

  constructor(readonly target: S3Target) {
    this.partBytes = target.partBytes ?? PART_BYTES;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.closed) throw new Error(`${this.target.key}: written after it was closed`);
    this.hash.update(chunk);
    this.bytes += chunk.byteLength;
    this.pending.push(Buffer.from(chunk));
    this.pendingBytes += chunk.byteLength;
    // A write may bring more than a part (the recorder hands over what queued up meanwhile): every part is full-size.
    while (this.pendingBytes >= this.partBytes) await this.uploadPart(this.partBytes);
  }

  async close(): Promise<ByteDigest> {
    if (!this.closed) {
      // Once a multipart upload has begun, the rest (any size: the last part may be small) is its last part.
      if (this.uploadId !== null && this.pendingBytes > 0) await this.uploadPart(this.pendingBytes);
      this.closed = { bytes: this.bytes, sha256: this.hash.digest('hex') };
    }
    return this.closed;
  }

  /** The bytes of a file that stayed below one part (put whole by writeBundle); null for a multipart upload. */
  get wholeBytes(): Uint8Array | null {
    if (!this.closed) throw new Error(`${this.target.key}: placed before it was closed`);
    return this.uploadId === null ? Buffer.concat(this.pending, this.pendingBytes) : null;
  }

  /** What S3 reports as ChecksumSHA256 of the completed multipart object: the checksum of the parts' checksums. */
  get compositeChecksum(): string {
    return `${createHash('sha256').update(Buffer.concat(this.partDigests)).digest('base64')}-${this.parts.length}`;
  }

  /** Makes the multipart object exist, unless the key already does (then S3's 412 is thrown, untouched). */
  async complete(): Promise<string | undefined> {
    if (this.uploadId === null) throw new Error(`${this.target.key}: not a multipart upload`);
    const { client, bucket, key } = this.target;
    const out = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: this.uploadId,
        IfNoneMatch: '*',
        MultipartUpload: { Parts: this.parts },
      }),
    );
    return out.VersionId;
  }

  async discard(): Promise<void> {
    this.pending = [];
    this.pendingBytes = 0;
    if (this.uploadId === null) return;
    const { client, bucket, key } = this.target;
    // An upload left behind costs storage but never becomes an object; a lifecycle rule would end it too.
    await client
      .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: this.uploadId }))
      .catch(() => undefined);
    this.uploadId = null;
  }

  private async uploadPart(size: number): Promise<void> {
    const all = Buffer.concat(this.pending, this.pendingBytes);
    const body = all.subarray(0, size);
    const rest = all.subarray(size);
    this.pending = rest.length ? [Buffer.from(rest)] : [];
    this.pendingBytes = rest.length;
    const { client, bucket, key, retainUntil, contentType, failure } = this.target;
    if (this.uploadId === null) {
      try {
        const created = await client.send(
          new CreateMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            ChecksumAlgorithm: 'SHA256',
            ObjectLockMode: 'COMPLIANCE',
            ObjectLockRetainUntilDate: retainUntil,
            ContentType: contentType,
          }),
        );
        if (!created.UploadId) throw new Error('S3 returned no UploadId');
        this.uploadId = created.UploadId;
      } catch (err) {
        throw failure('CreateMultipartUpload', err);
      }
    }
    const digest = createHash('sha256').update(body).digest();
    const PartNumber = this.parts.length + 1;
    try {
      await client.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: this.uploadId,
          PartNumber,
          Body: body,
          ChecksumSHA256: digest.toString('base64'),
        }),
      );
    } catch (err) {
      throw failure('UploadPart', err);
    }
    this.parts.push({ PartNumber, ChecksumSHA256: digest.toString('base64') });
    this.partDigests.push(digest);
  }
}
