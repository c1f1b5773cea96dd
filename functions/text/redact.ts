/**
 * A NATS server URL may carry credentials (`nats://user:pass@host:4222`, `nats://token@host`). nats.js does not
 * authenticate with them, but they are still secrets: wherever a server URL, a list of them, or a message that may
 * quote one is shown (errors, logs, terminal output), the userinfo becomes `***`: `nats://***@host:4222`.
 *
 * It works on any text, so a whole message can be passed. The userinfo runs to the last `@` of the URL, since a
 * careless password may hold `@`, `/` or `:` unencoded; it never reaches across whitespace or a quote, nor into the
 * next `scheme://`. Hiding too much of an odd URL is the price of never showing a password.
 */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)(?:(?![a-z][a-z0-9+.-]*:\/\/)[^\s"'`<>])*@/gi;

export function redactCredentials(text: string): string {
  return text.replace(USERINFO, '$1***@');
}
