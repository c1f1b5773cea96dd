import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { InputError, RunError } from '../errors.js';
import type { ComposedEmail } from './mailer.js';

/**
 * SES v2's message size quota, measured on the MIME message (attachments already base64 inside it). Not
 * adjustable by AWS; a deployment may set a lower limit, never a higher one.
 */
export const SES_V2_MAX_BYTES = 40 * 1024 * 1024;

/** SigV4 refuses a presigned URL valid for longer than seven days. */
export const MAX_PDF_LINK_SECONDS = 7 * 24 * 60 * 60;
export const DEFAULT_PDF_LINK_SECONDS = MAX_PDF_LINK_SECONDS;

export interface PdfLink {
  url: string;
  /** When the URL stops working at the latest (earlier when signed with temporary credentials, see below). */
  expiresAt: Date;
}

/** How the email carries the signed PDF: attached, or (when that is too large) as a link to the archived copy. */
export type PdfDelivery = { kind: 'attached' } | { kind: 'linked'; link: PdfLink };

export interface ComposeWithinLimitOptions {
  /** Composes the email for one delivery; the caller's composer, so this module knows no template. */
  compose: (delivery: PdfDelivery) => Promise<ComposedEmail>;
  /**
   * Makes the link; called only when the attached message is too large, so the common path needs neither S3
   * credentials nor the archive's key.
   */
  link: () => Promise<PdfLink>;
  /** Defaults to `SES_V2_MAX_BYTES`. */
  maxBytes?: number;
}

export interface WithinLimit {
  email: ComposedEmail;
  /** True when the PDF went as a link because the attached message exceeded the limit. */
  fellBack: boolean;
  link: PdfLink | null;
  /** Size of the message with the PDF attached: what a log line explaining the fallback needs. */
  attachedBytes: number;
}

/** The limit a configuration asks for, checked: a whole number of bytes, at most SES's own. */
export function checkMaxBytes(maxBytes: number): number {
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0 || maxBytes > SES_V2_MAX_BYTES) {
    throw new InputError(
      `email maxBytes must be a whole number from 1 to ${SES_V2_MAX_BYTES} (SES v2's limit), not ${maxBytes}`,
    );
  }
  return maxBytes;
}

export function fitsLimit(email: ComposedEmail, maxBytes: number = SES_V2_MAX_BYTES): boolean {
  return email.raw.byteLength <= checkMaxBytes(maxBytes);
}

/**
 * The email to send: with the PDF attached when that fits, else with a link to the archived PDF. A message
 * that does not fit even without the attachment is an error rather than a send SES would refuse.
 */
export async function composeWithinLimit(options: ComposeWithinLimitOptions): Promise<WithinLimit> {
  const maxBytes = checkMaxBytes(options.maxBytes ?? SES_V2_MAX_BYTES);
  const attached = await options.compose({ kind: 'attached' });
  const attachedBytes = attached.raw.byteLength;
  if (attachedBytes <= maxBytes) return { email: attached, fellBack: false, link: null, attachedBytes };

  const link = await options.link();
  const linked = await options.compose({ kind: 'linked', link });
  if (linked.raw.byteLength > maxBytes) {
    throw new RunError(
      `The report email is ${linked.raw.byteLength} bytes even without the PDF (${attachedBytes} with it); ` +
        `the limit is ${maxBytes}`,
    );
  }
  return { email: linked, fellBack: true, link, attachedBytes };
}

/**
 * A presigned GET URL for the archived PDF. The URL works until the earlier of `expiresInSeconds` and the end of
 * the signing credentials: with a Lambda role's temporary credentials that is hours, not days. Reading it also
 * needs `s3:GetObject` (and `kms:Decrypt` for an SSE-KMS bucket) on the signer's role.
 */
export async function presignedPdfLink(
  s3: S3Client,
  bucket: string,
  key: string,
  expiresInSeconds: number,
  signingDate: Date = new Date(),
): Promise<string> {
  if (!Number.isSafeInteger(expiresInSeconds) || expiresInSeconds <= 0 || expiresInSeconds > MAX_PDF_LINK_SECONDS) {
    throw new InputError(
      `A presigned PDF link expires after 1 to ${MAX_PDF_LINK_SECONDS} seconds (seven days), not ${expiresInSeconds}`,
    );
  }
  return getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), {
    expiresIn: expiresInSeconds,
    signingDate,
  });
}

/** `presignedPdfLink` with the moment it expires, for `ComposeWithinLimitOptions.link` and the email's wording. */
export async function archivedPdfLink(
  s3: S3Client,
  bucket: string,
  key: string,
  options: { expiresInSeconds?: number; now?: Date } = {},
): Promise<PdfLink> {
  const seconds = options.expiresInSeconds ?? DEFAULT_PDF_LINK_SECONDS;
  const signedAt = options.now ?? new Date();
  const url = await presignedPdfLink(s3, bucket, key, seconds, signedAt);
  return { url, expiresAt: new Date(signedAt.getTime() + seconds * 1000) };
}
