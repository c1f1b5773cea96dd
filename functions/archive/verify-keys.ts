/**
 * The keys `verify` checks signatures with: the archive's own key files (`keys/<key sha256>-<certificate
 * sha256>.pem`, a public key then its certificate, one file per certificate) and the keys a person pins with `--trust`.
 */
import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { InputError, errorMessage } from '../errors.js';
import type { SigningAlgorithm } from '../seal/signer.js';
import { keyOfKeyPath } from './layout.js';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

interface PemBlock {
  label: string;
  text: string;
}

function pemBlocks(pem: string): PemBlock[] {
  return [...pem.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1]!, text: m[0] }));
}

/** Lower-case hex SHA-256 of the DER SubjectPublicKeyInfo: how the manifest and keys/ name a key. */
export function spkiSha256(key: KeyObject): string {
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** The first 16 hex digits: enough to tell keys apart in a line a person reads. */
export function shortKey(sha256: string): string {
  return `${sha256.slice(0, 16)}…`;
}

/**
 * The public keys a pinned PEM names, by SPKI SHA-256: every certificate and public key in it (a key file from
 * the archive holds both). Private keys are not read: pinning is about what to trust, not what signs.
 */
export function readTrustPem(pem: string, source: string): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const block of pemBlocks(pem)) {
    let key: KeyObject;
    try {
      if (block.label === 'CERTIFICATE') key = new X509Certificate(block.text).publicKey;
      else if (block.label === 'PUBLIC KEY') key = createPublicKey(block.text);
      else continue;
    } catch (err) {
      throw new InputError({
        field: 'trust',
        problem: `${source} holds an unreadable ${block.label} (${errorMessage(err)})`,
      });
    }
    keys.set(spkiSha256(key), key);
  }
  if (keys.size === 0)
    throw new InputError({ field: 'trust', problem: `${source} holds no PEM certificate or public key` });
  return keys;
}

export interface KeyFileCheck {
  /** The key to verify signatures with; null when the file is missing or unreadable. */
  key: KeyObject | null;
  /** SHA-256 of the certificate in it, when it holds a readable one. */
  certificateSha256?: string | null;
  problems: string[];
}

/**
 * Checks one key file: its public key and its certificate hash to the two names in the file's name, and the
 * certificate certifies that same key (PDF tools read the certificate, `openssl dgst` the key: both must be one key).
 */
export function checkKeyFile(path: string, bytes: Uint8Array | null): KeyFileCheck {
  if (bytes === null) return { key: null, problems: [`${path}: missing from the archive`] };
  const blocks = pemBlocks(Buffer.from(bytes).toString('utf8'));
  const problems: string[] = [];
  const publicKeyBlock = blocks.find((b) => b.label === 'PUBLIC KEY');
  if (!publicKeyBlock) return { key: null, problems: [`${path}: holds no PEM public key`] };
  let key: KeyObject;
  try {
    key = createPublicKey(publicKeyBlock.text);
  } catch (err) {
    return { key: null, problems: [`${path}: the public key is unreadable (${errorMessage(err)})`] };
  }
  const actual = spkiSha256(key);
  const named = keyOfKeyPath(path);
  if (actual !== named?.publicKeySha256) {
    problems.push(`${path}: the public key in it has SHA-256 ${actual}, not the one its name says`);
  }
  const certificateBlock = blocks.find((b) => b.label === 'CERTIFICATE');
  let certificateSha256: string | null = null;
  if (!certificateBlock) {
    problems.push(`${path}: holds no certificate after the public key`);
  } else {
    try {
      const certificate = new X509Certificate(certificateBlock.text);
      certificateSha256 = createHash('sha256').update(certificate.raw).digest('hex');
      if (named?.certificateSha256 !== null && certificateSha256 !== named?.certificateSha256) {
        problems.push(`${path}: the certificate in it has SHA-256 ${certificateSha256}, not the one its name says`);
      }
      const certified = spkiSha256(certificate.publicKey);
      if (certified !== actual) {
        problems.push(
          `${path}: the certificate is for key ${shortKey(certified)}, ` +
            `not for the public key in the file (${shortKey(actual)})`,
        );
      }
    } catch (err) {
      problems.push(`${path}: the certificate is unreadable (${errorMessage(err)})`);
    }
  }
  return { key, certificateSha256, problems };
}

/** The manifest names the algorithm as KMS does; it must be the one the key can make. */
export function algorithmMismatch(algorithm: SigningAlgorithm, key: KeyObject): string | null {
  const type = key.asymmetricKeyType;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (algorithm === 'ECDSA_SHA_256' && type === 'ec' && curve === 'prime256v1') return null;
  if (algorithm === 'RSASSA_PKCS1_V1_5_SHA_256' && type === 'rsa') return null;
  return (
    `signer.algorithm is ${algorithm}, but the key is ` +
    `${type === 'ec' ? `EC ${curve ?? '?'}` : (type ?? 'of an unknown type')}`
  );
}
