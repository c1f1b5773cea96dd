import { describe, expect, it } from 'vitest';
import { redactCredentials } from '../../../functions/text/redact.js';

describe('redactCredentials', () => {
  it.each([
    ['nats://alice:s3cret@127.0.0.1:4222', 'nats://***@127.0.0.1:4222'],
    ['nats://t0ken@nats.internal', 'nats://***@nats.internal'],
    ['tls://u:p/a@ss@host:4443', 'tls://***@host:4443'],
    ['at nats://h1:4222, nats://a:b@h2:4222: refused', 'at nats://h1:4222, nats://***@h2:4222: refused'],
    ['nats://h1:4222,wss://a:b@h2', 'nats://h1:4222,wss://***@h2'],
    ['["nats://a:b@h","x@y.example"]', '["nats://***@h","x@y.example"]'],
  ])('%s → %s', (text, redacted) => {
    expect(redactCredentials(text)).toBe(redacted);
  });

  it('leaves URLs without credentials, addresses and paths alone', () => {
    for (const text of ['nats://127.0.0.1:4222', 'cfo@example.com', 's3://bucket/prefix', '/tmp/a@b/reports'])
      expect(redactCredentials(text)).toBe(text);
  });
});
