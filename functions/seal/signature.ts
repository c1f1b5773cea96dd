import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * Whether `signature` is the raw signature of `data` by `key` (a public key, or its PEM): SHA-256 with ECDSA (DER,
 * node's default encoding) or RSA PKCS#1 v1.5 (node's default padding), as every signer here makes them. Never
 * throws: the signature and the key may come from an archive anyone could write to, and what cannot be read does
 * not verify.
 */
export function verifies(data: Uint8Array, key: KeyObject | string, signature: Uint8Array): boolean {
  try {
    return verify('sha256', data, typeof key === 'string' ? createPublicKey(key) : key, signature);
  } catch {
    return false;
  }
}
