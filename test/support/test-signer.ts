import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Signer, SigningAlgorithm } from '../../functions/seal/signer.js';

/** A signer plus the files a test hands to openssl, certutil and pdfsig. */
export interface TestSigner extends Signer {
  readonly dir: string;
  readonly keyPath: string;
  readonly certPath: string;
}

/**
 * A throw-away key and self-signed certificate for tests, so they do not depend on the production local signer.
 *
 * Node's `crypto.sign(null, digest, key)` hashes its input again (SHA-256 for EC and RSA keys), and Node has no
 * "sign this prehash" call, so the digest goes through `openssl pkeyutl`, which signs its input as a digest.
 */
export function createTestSigner(algorithm: SigningAlgorithm, commonName = 'nats-sox-reports test signer'): TestSigner {
  const dir = mkdtempSync(join(tmpdir(), 'sox-test-signer-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  const { privateKey } =
    algorithm === 'ECDSA_SHA_256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  // A CA certificate that may also sign documents: it is its own trust anchor for openssl -CAfile and NSS "CT".
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-new',
      '-key',
      keyPath,
      '-sha256',
      '-days',
      '30',
      '-subj',
      `/CN=${commonName}/O=nats-sox-reports tests`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,digitalSignature,nonRepudiation,keyCertSign',
      '-out',
      certPath,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );

  const publicKey = createPublicKey(privateKey);
  const publicKeyDer = publicKey.export({ type: 'spki', format: 'der' });
  const publicKeySha256 = createHash('sha256').update(publicKeyDer).digest('hex');
  const certificatePem = execFileSync('openssl', ['x509', '-in', certPath], { encoding: 'utf8' });

  return {
    dir,
    keyPath,
    certPath,
    algorithm,
    keyId: `test:${publicKeySha256}`,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    publicKeySha256,
    certificatePem,
    async signDigest(digest: Uint8Array): Promise<Uint8Array> {
      if (digest.length !== 32) throw new Error(`expected a SHA-256 digest (32 bytes), got ${digest.length}`);
      // digest:sha256 makes RSA wrap the digest in a SHA-256 DigestInfo (PKCS#1 v1.5) and ECDSA check its length.
      const signature = execFileSync('openssl', ['pkeyutl', '-sign', '-inkey', keyPath, '-pkeyopt', 'digest:sha256'], {
        input: digest,
      });
      return new Uint8Array(signature);
    },
  };
}
