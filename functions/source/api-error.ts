import { JetStreamApiError } from '@nats-io/jetstream';

/**
 * Whether `err` is the JetStream API's error with `code` (`JetStreamApiCodes`). Decided by the server's error code,
 * never by its text, which differs between server versions.
 */
export function isJetStreamApiError(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}
