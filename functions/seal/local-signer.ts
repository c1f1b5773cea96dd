/**
 * The embedded signer adapter: a PEM key and certificate on disk, made on first run when none are given, so a
 * laptop with no AWS account still produces bundles that `openssl dgst -verify` and pdfsig accept.
 */
import { p256 } from '@noble/curves/nist.js';
import {
  X509Certificate,
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  privateEncrypt,
  randomBytes,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { chmod, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { selfSignedCertificateFor } from './certificate.js';
import type { Signer, SigningAlgorithm } from './signer.js';

export type LocalSignerOptions =
  | { dir: string /** Organisation (O) named in a certificate made on first run. */; subject?: string }
  | { keyFile: string; certFile: string };

export const LOCAL_KEY_FILE = 'signing-key.pem';
export const LOCAL_CERT_FILE = 'signing-cert.pem';

export async function loadOrCreateLocalSigner(options: LocalSignerOptions, now: Date = new Date()): Promise<Signer> {
  if ('dir' in options) return loadOrCreateInDir(options.dir, options.subject ?? '', now);
  const [keyPem, certPem] = await Promise.all([
    readPem(options.keyFile, 'signing key'),
    readPem(options.certFile, 'signing certificate'),
  ]);
  return signerFromPem(keyPem, options.keyFile, certPem, options.certFile);
}

async function loadOrCreateInDir(dir: string, subject: string, now: Date): Promise<Signer> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keyFile = path.join(dir, LOCAL_KEY_FILE);
  const certFile = path.join(dir, LOCAL_CERT_FILE);
  const keyPem = (await readIfExists(keyFile)) ?? (await publishOnce(keyFile, newP256KeyPem(), 0o600));
  // A run that died between the two files leaves a key without a certificate: the key is what matters, so
  // certify it rather than fail or replace it.
  const certPem =
    (await readIfExists(certFile)) ??
    (await publishOnce(certFile, await certificateForKeyPem(keyPem, keyFile, subject, now), 0o644));
  return signerFromPem(keyPem, keyFile, certPem, certFile);
}

function newP256KeyPem(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

async function certificateForKeyPem(keyPem: string, keyFile: string, subject: string, now: Date): Promise<string> {
  const privateKey = parsePrivateKey(keyPem, keyFile);
  return selfSignedCertificate({ privateKey, publicKey: createPublicKey(privateKey) }, subject, now);
}

/**
 * Writes `content` to `file` unless another process got there first, and returns what `file` then holds.
 * The content goes to a private temporary file that is hard-linked into place: link() fails with EEXIST
 * atomically, and a racing reader never sees a half-written key (which a plain `wx` write would allow).
 */
async function publishOnce(file: string, content: string, mode: number): Promise<string> {
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, content, { flag: 'wx', mode });
    await chmod(temporary, mode); // the umask may have taken bits away; the modes are part of the contract
    await link(temporary, file);
    return content;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return readPem(file, 'signing file');
    throw error;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw new Error(`cannot read ${file}: ${errorCode(error) ?? describe(error)}`, { cause: error });
  }
}

async function readPem(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the ${what} ${file}: ${errorCode(error) ?? describe(error)}`, { cause: error });
  }
}

function signerFromPem(keyPem: string, keyFile: string, certPem: string, certFile: string): Signer {
  const privateKey = parsePrivateKey(keyPem, keyFile);
  const algorithm = signingAlgorithmOf(privateKey, keyFile);
  const certificate = parseCertificate(certPem, certFile);
  const spki = spkiDer(createPublicKey(privateKey));
  if (!spkiDer(certificate.publicKey).equals(spki)) {
    throw new Error(
      `the certificate ${certFile} does not belong to the private key ${keyFile}: the certificate's public key ` +
        `is not the key's public key`,
    );
  }
  const publicKeySha256 = createHash('sha256').update(spki).digest('hex');
  return Object.freeze({
    algorithm,
    keyId: `local:${publicKeySha256}`,
    publicKeyPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }) as string,
    publicKeySha256,
    certificatePem: certificate.toString(),
    signDigest: async (digest: Uint8Array) => signDigestWithKey(privateKey, digest),
  });
}

// Only the crypto library's own message is quoted: it never contains the key bytes.
function parsePrivateKey(pem: string, file: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (error) {
    throw new Error(`${file} does not hold a readable, unencrypted PEM private key (${describe(error)})`, {
      cause: error,
    });
  }
}

function parseCertificate(pem: string, file: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw new Error(`${file} does not hold a readable PEM X.509 certificate (${describe(error)})`, { cause: error });
  }
}

/** The one algorithm KMS would use for the same kind of key, so local and KMS bundles read the same. */
function signingAlgorithmOf(key: KeyObject, file: string): SigningAlgorithm {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') {
    if (details.namedCurve === 'prime256v1') return 'ECDSA_SHA_256';
    throw new Error(`${file} holds an EC key on curve ${details.namedCurve ?? 'unknown'}; only P-256 is supported`);
  }
  if (key.asymmetricKeyType === 'rsa') {
    if (details.modulusLength === 2048 || details.modulusLength === 3072) return 'RSASSA_PKCS1_V1_5_SHA_256';
    const bits = details.modulusLength ?? '?';
    throw new Error(`${file} holds a ${bits}-bit RSA key; only 2048 or 3072 bits are supported`);
  }
  throw new Error(
    `${file} holds a ${key.asymmetricKeyType ?? 'unknown'} key; only EC P-256 and RSA 2048/3072 are supported`,
  );
}

function spkiDer(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

// ---------------------------------------------------------------------------------------------------------------
// Signing a precomputed SHA-256 digest.
//
// Node has no prehash signing API: crypto.sign(null, data, ecKey) hashes `data` with SHA-256 again (measured on
// Node 20 / OpenSSL 3.0: the result verifies as sha256(digest), not as the message). So:
// - RSA PKCS#1 v1.5 is a private-key operation on the DER DigestInfo, which privateEncrypt with PKCS#1 padding
//   does exactly (byte-identical to crypto.sign('sha256', message) since the scheme is deterministic);
// - ECDSA P-256 over a given digest comes from @noble/curves (audited, RFC 6979 nonces), not from code of ours.
// ---------------------------------------------------------------------------------------------------------------

const SHA256_BYTES = 32;
/** DER of DigestInfo { AlgorithmIdentifier sha256 NULL, OCTET STRING (32 bytes) } without the digest itself. */
const SHA256_DIGEST_INFO_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/**
 * Signs a SHA-256 digest with a local private key without hashing it again: ECDSA P-256 (DER signature) or
 * RSA PKCS#1 v1.5. Also what tests use to stand in for KMS.
 */
export function signDigestWithKey(privateKey: KeyObject, digest: Uint8Array): Uint8Array {
  if (!(digest instanceof Uint8Array) || digest.length !== SHA256_BYTES) {
    throw new Error(`signDigest needs a ${SHA256_BYTES}-byte SHA-256 digest, got ${describeLength(digest)}`);
  }
  if (privateKey.asymmetricKeyType === 'rsa') {
    const digestInfo = Buffer.concat([SHA256_DIGEST_INFO_PREFIX, digest]);
    return new Uint8Array(privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, digestInfo));
  }
  if (privateKey.asymmetricKeyType === 'ec' && privateKey.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    const jwk = privateKey.export({ format: 'jwk' });
    if (typeof jwk.d !== 'string') throw new Error('the EC private key has no private scalar');
    return p256.sign(digest, Buffer.from(jwk.d, 'base64url'), {
      prehash: false,
      format: 'der',
      lowS: false,
      extraEntropy: false,
    });
  }
  throw new Error(`cannot sign a digest with a ${privateKey.asymmetricKeyType ?? 'unknown'} key`);
}

/**
 * A self-signed X.509 v3 certificate (PEM) for an EC P-256 or RSA key: CN "nats-sox-reports local signer",
 * O `subject` (omitted when empty), valid for ten years from `now`, signed with SHA-256.
 */
export async function selfSignedCertificate(
  keys: { privateKey: KeyObject; publicKey: KeyObject },
  subject: string,
  now: Date,
): Promise<string> {
  if (!spkiDer(createPublicKey(keys.privateKey)).equals(spkiDer(keys.publicKey))) {
    throw new Error('selfSignedCertificate: the public key is not the private key’s public key');
  }
  const algorithm = signingAlgorithmOf(keys.privateKey, 'the key');
  return selfSignedCertificateFor(
    keys.publicKey,
    { algorithm, signDigest: (digest) => signDigestWithKey(keys.privateKey, digest) },
    subject,
    now,
  );
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describeLength(value: unknown): string {
  return value instanceof Uint8Array ? `${value.length} bytes` : typeof value;
}
