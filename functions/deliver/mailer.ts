/**
 * The mailer port: a finished MIME message goes out unchanged, so the outbox file an auditor opens and the
 * message SES delivers are the same bytes.
 */
export interface ComposedEmail {
  /** Envelope sender (a bare address). */
  from: string;
  /** Envelope recipients (bare addresses). */
  to: string[];
  subject: string;
  /** The whole RFC 5322 message: headers and MIME body. */
  raw: Uint8Array;
}

export interface Mailer {
  /** Where the message went: a file path, or the provider's message id. */
  send(email: ComposedEmail): Promise<{ location: string }>;
}
