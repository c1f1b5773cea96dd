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

/** Which delivery a message is (archive/layout.ts `deliveryKey`: the bundle and its recipients). */
export interface Delivery {
  key: string;
}

export interface Mailer {
  /**
   * Where the message went: a file path, or the provider's message id. A mailer that can keeps one message per
   * delivery however often it is asked (the outbox: `already` says the message was there before); one that cannot
   * (SES) sends each time, so the pipeline asks only when no delivery receipt says it went.
   */
  send(email: ComposedEmail, delivery: Delivery): Promise<{ location: string; already?: boolean }>;
}
