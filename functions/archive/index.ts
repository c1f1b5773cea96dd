import { S3Client } from '@aws-sdk/client-s3';
import { InputError } from '../errors.js';
import { localArchive } from './local.js';
import type { ArchivePort } from './port.js';
import { s3Archive } from './s3.js';

export interface OpenArchiveOptions {
  /** The client for an s3:// location; by default one built from the environment (region, credentials). */
  s3Client?: S3Client;
  /** Retain-until date of a bundle or file by its path (S3 only; default seven years on). */
  retainUntil?: (path: string) => Date;
  now?: () => Date;
}

export interface S3Location {
  bucket: string;
  prefix: string;
}

// S3 general purpose bucket names: 3-63 lower-case letters, digits, dots and hyphens, a letter or digit at each end.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses `s3://bucket[/prefix]`; the prefix comes back without leading, trailing or doubled `/`. */
export function parseS3Location(location: string): S3Location {
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(location);
  const bucket = match?.[1] ?? '';
  if (!match || !BUCKET_NAME.test(bucket) || bucket.includes('..')) {
    throw new InputError(
      `archive: ${JSON.stringify(location)} is not a valid S3 location; expected s3://bucket or s3://bucket/prefix ` +
        'with a bucket name of 3-63 lower-case letters, digits, dots and hyphens',
    );
  }
  const segments = (match[2] ?? '').split('/').filter(Boolean);
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    throw new InputError(`archive: ${JSON.stringify(location)}: "." and ".." are not allowed in the S3 prefix`);
  }
  return { bucket, prefix: segments.join('/') };
}

/** The archive a configured location names: `s3://bucket/prefix` for S3, anything else a local directory. */
export function openArchive(location: string, options: OpenArchiveOptions = {}): ArchivePort {
  if (location.trim() === '')
    throw new InputError('archive: the location is empty; give a directory or s3://bucket/prefix');
  if (/^s3:/i.test(location)) {
    const { bucket, prefix } = parseS3Location(location);
    return s3Archive({
      client: options.s3Client ?? new S3Client({}),
      bucket,
      prefix,
      ...(options.retainUntil ? { retainUntil: options.retainUntil } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
  }
  // A typo such as "https://…" or "file://…" would otherwise become a folder named "https:" in the working directory.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new InputError(
      `archive: ${JSON.stringify(location)}: only a directory or an s3://bucket/prefix location is supported`,
    );
  }
  return localArchive(location);
}
