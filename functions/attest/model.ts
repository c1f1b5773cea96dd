/**
 * A reviewer's sign-off of one archived bundle: the contract between the attest command, the Lambda attest function,
 * the attestation record (an append-only NATS stream) and the reports that show sign-offs. A leaf module.
 */
export const ATTESTATION_SCHEMA = 'sox-report-attestation/v1';

export type AttestationDecision = 'approved' | 'exception';

/** What a reviewer asks to record: the bundle by its archive path (`daily/2026/11/24`, `adhoc/…`). */
export interface AttestationRequest {
  bundle: string;
  decision: AttestationDecision;
  /** Required for an exception. */
  note: string | null;
  /** The name the reviewer gives (--by); beside, never instead of, the identity the connection proves. */
  by: string;
}

/** Who the record knows made the request, whatever name they typed. */
export interface AttestationIdentity {
  /**
   * The NATS identity of the connection that recorded it (account, user; null where the server does not say), with
   * the account and user JWTs' names in operator mode.
   */
  nats: { account: string | null; user: string | null; accountName?: string; userName?: string } | null;
  /** On AWS: the caller's IAM principal ARN from the function URL's request context. */
  iamPrincipal: string | null;
}

/** One attestation as recorded; several may name one bundle, and none is ever replaced. */
export interface Attestation extends AttestationRequest {
  schema: typeof ATTESTATION_SCHEMA;
  /** SHA-256 of the bundle's manifest.json as archived: it attests exactly those bytes. */
  manifestSha256: string;
  /** When it was recorded (RFC 3339, nanoseconds). */
  at: string;
  identity: AttestationIdentity;
}
