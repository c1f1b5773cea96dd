import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifies } from '../../../functions/seal/signature.js';

const data = new TextEncoder().encode('{"schema":"sox-report-manifest/v2"}\n');

describe('verifies', () => {
  for (const [name, pair] of [
    ['ECDSA P-256', generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ['RSA 2048', generateKeyPairSync('rsa', { modulusLength: 2048 })],
  ] as const) {
    it(`${name}: accepts the signature over the exact bytes, by key or by PEM`, () => {
      const signature = sign('sha256', data, pair.privateKey);
      expect(verifies(data, pair.publicKey, signature)).toBe(true);
      expect(verifies(data, pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(), signature)).toBe(true);
    });

    it(`${name}: refuses other bytes, another key, or a damaged signature`, () => {
      const signature = sign('sha256', data, pair.privateKey);
      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      expect(
        verifies(new TextEncoder().encode('{"schema":"sox-report-manifest/v1"}\n'), pair.publicKey, signature),
      ).toBe(false);
      expect(verifies(data, other.publicKey, signature)).toBe(false);
      expect(verifies(data, pair.publicKey, signature.subarray(1))).toBe(false);
    });
  }

  it('answers false, never throws, for what cannot be read as a key or a signature', () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(
      verifies(
        data,
        '-----BEGIN PUBLIC KEY-----\nforged\n-----END PUBLIC KEY-----\n',
        sign('sha256', data, pair.privateKey),
      ),
    ).toBe(false);
    expect(verifies(data, 'not a key', new Uint8Array())).toBe(false);
    expect(verifies(data, pair.publicKey, new Uint8Array([0x30, 0x02, 0x00]))).toBe(false);
  });
});
