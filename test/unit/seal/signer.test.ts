import { spawnSync } from 'node:child_process';
import {
  X509Certificate,
  createECDH,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { KMS_KEY_ARN, kmsHoldingKey as holdingKey } from '../../support/kms-mock.js';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createKmsSigner } from '../../../functions/seal/kms-signer.js';
import {
  loadOrCreateLocalSigner,
  selfSignedCertificate,
  signDigestWithKey,
} from '../../../functions/seal/local-signer.js';
import type { Signer } from '../../../functions/seal/signer.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const MESSAGE = Buffer.from('{"period":{"from":"2026-02-28T05:00:00Z"},"artifacts":[]}\n');
const temporaryDirs: string[] = [];

afterAll(async () => {
  await Promise.all(temporaryDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function temporaryDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sox-signer-'));
  temporaryDirs.push(dir);
  return dir;
}

function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

function spkiSha256(publicKey: KeyObject): string {
  return sha256(publicKey.export({ type: 'spki', format: 'der' })).toString('hex');
}

/** The verification an auditor runs: the real openssl CLI, over the message (not the digest). */
async function opensslVerify(publicKeyPem: string, signature: Uint8Array, message: Uint8Array) {
  const dir = await temporaryDir();
  await writeFile(path.join(dir, 'pub.pem'), publicKeyPem);
  await writeFile(path.join(dir, 'manifest.json.sig'), signature);
  await writeFile(path.join(dir, 'manifest.json'), message);
  const run = spawnSync(
    'openssl',
    ['dgst', '-sha256', '-verify', 'pub.pem', '-signature', 'manifest.json.sig', 'manifest.json'],
    { cwd: dir, encoding: 'utf8' },
  );
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

async function expectVerifies(signer: Signer, message: Uint8Array = MESSAGE): Promise<Uint8Array> {
  const signature = await signer.signDigest(sha256(message));
  expect(verify('sha256', message, signer.publicKeyPem, signature)).toBe(true);
  const openssl = await opensslVerify(signer.publicKeyPem, signature, message);
  expect(openssl.output).toContain('Verified OK');
  expect(openssl.status).toBe(0);
  return signature;
}

async function writeKeyAndCertificate(dir: string, keys: { privateKey: KeyObject; publicKey: KeyObject }) {
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  await writeFile(keyFile, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await writeFile(certFile, await selfSignedCertificate(keys, 'Example Corp', NOW));
  return { keyFile, certFile };
}

describe('local signer made on first run', () => {
  it('creates a P-256 key 0600 and a certificate 0644 in a 0700 dir, then loads the same key', async () => {
    const dir = path.join(await temporaryDir(), 'signer');
    const first = await loadOrCreateLocalSigner({ dir, subject: 'Example Corp' }, NOW);

    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(dir, 'signing-key.pem'))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dir, 'signing-cert.pem'))).mode & 0o777).toBe(0o644);
    expect((await readFile(path.join(dir, 'signing-key.pem'), 'utf8')).startsWith('-----BEGIN PRIVATE KEY-----')).toBe(
      true,
    );
    expect(first.algorithm).toBe('ECDSA_SHA_256');
    expect(first.publicKeySha256).toBe(spkiSha256(createPublicKey(first.publicKeyPem)));
    expect(first.publicKeySha256).toMatch(/^[0-9a-f]{64}$/);
    expect(first.keyId).toBe(`local:${first.publicKeySha256}`);

    const second = await loadOrCreateLocalSigner({ dir }, new Date('2027-01-01T00:00:00Z'));
    expect(second.publicKeySha256).toBe(first.publicKeySha256);
    expect(second.certificatePem).toBe(first.certificatePem);
    expect(await readdir(dir)).toEqual(['signing-cert.pem', 'signing-key.pem']);
  });

  it(
    'makes a self-signed, ten-year signing certificate for its own key that can be its own trust anchor ' +
      '(CA:TRUE, pathlen 0)',
    async () => {
      const signer = await loadOrCreateLocalSigner({ dir: await temporaryDir(), subject: 'Example Corp' }, NOW);
      const certificate = new X509Certificate(signer.certificatePem);

      expect(spkiSha256(certificate.publicKey)).toBe(signer.publicKeySha256);
      expect(certificate.verify(certificate.publicKey)).toBe(true);
      expect(certificate.subject).toBe('O=Example Corp\nCN=nats-sox-reports local signer');
      expect(certificate.issuer).toBe(certificate.subject);
      expect(certificate.ca).toBe(true);
      expect(new Date(certificate.validFrom).toISOString()).toBe('2026-03-01T12:00:00.000Z');
      expect(new Date(certificate.validTo).toISOString()).toBe('2036-03-01T12:00:00.000Z');
      // Node's X509Certificate does not expose keyUsage or critical flags: read openssl's rendering.
      const text = spawnSync('openssl', ['x509', '-noout', '-text'], {
        input: signer.certificatePem,
        encoding: 'utf8',
      });
      expect(text.stdout).toMatch(/Key Usage: critical\s+Digital Signature, Non Repudiation, Certificate Sign/);
      expect(text.stdout).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
      expect(text.stdout).toContain('ecdsa-with-SHA256');
    },
  );

  it('signs sha256(message): node and `openssl dgst -sha256 -verify` accept it, a tampered message fails', async () => {
    const signer = await loadOrCreateLocalSigner({ dir: await temporaryDir() }, NOW);
    const signature = await expectVerifies(signer);

    const tampered = Buffer.from(MESSAGE.toString().replace('05:00', '06:00'));
    const openssl = await opensslVerify(signer.publicKeyPem, signature, tampered);
    expect(openssl.output).toContain('Verification failure');
    expect(openssl.status).not.toBe(0);
    expect(verify('sha256', tampered, signer.publicKeyPem, signature)).toBe(false);
  });

  it('two racing first runs end with one key, and neither overwrites the other', async () => {
    const dir = path.join(await temporaryDir(), 'race');
    const signers = await Promise.all([
      loadOrCreateLocalSigner({ dir }, NOW),
      loadOrCreateLocalSigner({ dir }, NOW),
      loadOrCreateLocalSigner({ dir }, NOW),
    ]);
    const onDisk = await loadOrCreateLocalSigner({ dir }, NOW);
    for (const signer of signers) expect(signer.publicKeySha256).toBe(onDisk.publicKeySha256);
    expect(await readdir(dir)).toEqual(['signing-cert.pem', 'signing-key.pem']); // no temporary files left
  });

  it('certifies an existing key whose certificate is missing instead of replacing the key', async () => {
    const dir = await temporaryDir();
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await writeFile(path.join(dir, 'signing-key.pem'), keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const signer = await loadOrCreateLocalSigner({ dir }, NOW);
    expect(signer.publicKeySha256).toBe(spkiSha256(keys.publicKey));
    await expectVerifies(signer);
  });
});

describe('local signer from key and certificate files', () => {
  it('RSA 2048 signs PKCS#1 v1.5, byte-identical to crypto.sign over the message', async () => {
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const files = await writeKeyAndCertificate(await temporaryDir(), keys);
    const signer = await loadOrCreateLocalSigner(files, NOW);

    expect(signer.algorithm).toBe('RSASSA_PKCS1_V1_5_SHA_256');
    expect(signer.publicKeySha256).toBe(spkiSha256(keys.publicKey));
    const signature = await expectVerifies(signer);
    expect(Buffer.from(signature).equals(sign('sha256', MESSAGE, keys.privateKey))).toBe(true);
    expect(new X509Certificate(signer.certificatePem).verify(keys.publicKey)).toBe(true);
  });

  it('RSA 3072 key and certificate made by the openssl CLI', async () => {
    const dir = await temporaryDir();
    const keyFile = path.join(dir, 'openssl-key.pem');
    const certFile = path.join(dir, 'openssl-cert.pem');
    const made = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:3072',
        '-nodes',
        '-sha256',
        '-days',
        '2',
        '-subj',
        '/O=Example Corp/CN=sox reports',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { encoding: 'utf8' },
    );
    expect(made.status, made.stderr).toBe(0);

    const signer = await loadOrCreateLocalSigner({ keyFile, certFile }, NOW);
    expect(signer.algorithm).toBe('RSASSA_PKCS1_V1_5_SHA_256');
    await expectVerifies(signer);
  });

  it('EC P-256 key in SEC1 ("EC PRIVATE KEY") form is accepted', async () => {
    const dir = await temporaryDir();
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyFile = path.join(dir, 'sec1.pem');
    const certFile = path.join(dir, 'cert.pem');
    await writeFile(keyFile, keys.privateKey.export({ type: 'sec1', format: 'pem' }));
    await writeFile(certFile, await selfSignedCertificate(keys, '', NOW));
    const signer = await loadOrCreateLocalSigner({ keyFile, certFile }, NOW);
    expect(signer.algorithm).toBe('ECDSA_SHA_256');
    expect(new X509Certificate(signer.certificatePem).subject).toBe('CN=nats-sox-reports local signer');
    await expectVerifies(signer);
  });

  it('rejects a certificate of another key, naming both files and quoting no key material', async () => {
    const dir = await temporaryDir();
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyFile = path.join(dir, 'mine-key.pem');
    const certFile = path.join(dir, 'someone-elses-cert.pem');
    const keyPem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await writeFile(keyFile, keyPem);
    await writeFile(certFile, await selfSignedCertificate(other, '', NOW));

    const failure = await loadOrCreateLocalSigner({ keyFile, certFile }, NOW).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    const message = (failure as Error).message;
    expect(message).toContain(keyFile);
    expect(message).toContain(certFile);
    expect(message).toMatch(/does not belong/);
    const keyBody = keyPem.split('\n')[1] ?? '';
    expect(keyBody.length).toBeGreaterThan(20);
    expect(message).not.toContain(keyBody.slice(0, 20));
    expect(message).not.toContain('PRIVATE KEY');
  });

  it.each([
    ['a P-384 key', () => generateKeyPairSync('ec', { namedCurve: 'P-384' }), /curve secp384r1.*only P-256/],
    ['a 1024-bit RSA key', () => generateKeyPairSync('rsa', { modulusLength: 1024 }), /1024-bit RSA key.*2048 or 3072/],
    ['an Ed25519 key', () => generateKeyPairSync('ed25519'), /ed25519 key.*only EC P-256 and RSA/],
  ])('rejects %s with an error naming the file', async (_name, makeKeys, reason) => {
    const dir = await temporaryDir();
    const keys = makeKeys();
    const keyFile = path.join(dir, 'unsupported-key.pem');
    const certFile = path.join(dir, 'cert.pem');
    await writeFile(keyFile, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await writeFile(certFile, await selfSignedCertificate(generateKeyPairSync('ec', { namedCurve: 'P-256' }), '', NOW));
    const failure = loadOrCreateLocalSigner({ keyFile, certFile }, NOW);
    await expect(failure).rejects.toThrow(reason);
    await expect(failure).rejects.toThrow(keyFile);
  });

  it('names the file that is missing or not a key', async () => {
    const dir = await temporaryDir();
    const certFile = path.join(dir, 'cert.pem');
    await writeFile(certFile, await selfSignedCertificate(generateKeyPairSync('ec', { namedCurve: 'P-256' }), '', NOW));
    const missing = path.join(dir, 'no-such-key.pem');
    await expect(loadOrCreateLocalSigner({ keyFile: missing, certFile }, NOW)).rejects.toThrow(
      `cannot read the signing key ${missing}: ENOENT`,
    );
    await expect(loadOrCreateLocalSigner({ keyFile: certFile, certFile }, NOW)).rejects.toThrow(
      `${certFile} does not hold a readable, unencrypted PEM private key`,
    );
  });
});

describe('signing a precomputed digest', () => {
  it('matches the RFC 6979 A.2.5 P-256/SHA-256 vector, so the ECDSA is textbook and the digest is not rehashed', () => {
    const d = Buffer.from('C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721', 'hex');
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(d);
    const point = ecdh.getPublicKey();
    const privateKey = createPrivateKey({
      format: 'jwk',
      key: {
        kty: 'EC',
        crv: 'P-256',
        d: d.toString('base64url'),
        x: point.subarray(1, 33).toString('base64url'),
        y: point.subarray(33).toString('base64url'),
      },
    });
    const signature = signDigestWithKey(privateKey, sha256(Buffer.from('sample')));
    const r = 'EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716';
    const s = 'F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8';
    expect(Buffer.from(signature).toString('hex').toUpperCase()).toBe(`3046022100${r}022100${s}`);
  });

  it('rejects a digest that is not 32 bytes', async () => {
    const signer = await loadOrCreateLocalSigner({ dir: await temporaryDir() }, NOW);
    await expect(signer.signDigest(new Uint8Array(31))).rejects.toThrow('32-byte SHA-256 digest, got 31 bytes');
    await expect(signer.signDigest(new Uint8Array(33))).rejects.toThrow('got 33 bytes');
    await expect(signer.signDigest(MESSAGE)).rejects.toThrow(/32-byte/);
  });
});

describe('KMS signer', () => {
  const kms = mockClient(KMSClient);
  const client = new KMSClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const ALIAS = 'alias/sox-reports';
  const ARN = KMS_KEY_ARN;

  beforeEach(() => kms.reset());

  const kmsHoldingKey = (privateKey: KeyObject, keySpec: string, signingAlgorithm: string) =>
    holdingKey(kms, privateKey, keySpec, signingAlgorithm);

  it('ECC_NIST_P256: signs with Sign(MessageType DIGEST) and the signature verifies with openssl', async () => {
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    kmsHoldingKey(keys.privateKey, 'ECC_NIST_P256', 'ECDSA_SHA_256');
    const signer = await createKmsSigner({
      client,
      keyId: ALIAS,
      certificatePem: await selfSignedCertificate(keys, 'Example Corp', NOW),
    });

    expect(signer.algorithm).toBe('ECDSA_SHA_256');
    expect(signer.keyId).toBe(ARN);
    expect(signer.publicKeySha256).toBe(spkiSha256(keys.publicKey));
    await expectVerifies(signer);
    const digest = sha256(Buffer.from('second message'));
    await signer.signDigest(digest);

    expect(kms.commandCalls(GetPublicKeyCommand).map((call) => call.args[0].input)).toEqual([{ KeyId: ALIAS }]);
    const signRequests = kms.commandCalls(SignCommand).map((call) => call.args[0].input);
    expect(signRequests).toHaveLength(2);
    expect(signRequests[1]).toStrictEqual({
      KeyId: ARN,
      Message: digest,
      MessageType: 'DIGEST',
      SigningAlgorithm: 'ECDSA_SHA_256',
    });
  });

  it('RSA_2048: signs with RSASSA_PKCS1_V1_5_SHA_256', async () => {
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
    kmsHoldingKey(keys.privateKey, 'RSA_2048', 'RSASSA_PKCS1_V1_5_SHA_256');
    const signer = await createKmsSigner({
      client,
      keyId: ARN,
      certificatePem: await selfSignedCertificate(keys, '', NOW),
      algorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
    });

    expect(signer.algorithm).toBe('RSASSA_PKCS1_V1_5_SHA_256');
    const signature = await expectVerifies(signer);
    expect(Buffer.from(signature).equals(sign('sha256', MESSAGE, keys.privateKey))).toBe(true);
    expect(kms.commandCalls(SignCommand)[0]?.args[0].input).toStrictEqual({
      KeyId: ARN,
      Message: sha256(MESSAGE),
      MessageType: 'DIGEST',
      SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
    });
  });

  it('rejects at creation a certificate that belongs to another key', async () => {
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    kmsHoldingKey(keys.privateKey, 'ECC_NIST_P256', 'ECDSA_SHA_256');
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await expect(
      createKmsSigner({ client, keyId: ALIAS, certificatePem: await selfSignedCertificate(stranger, '', NOW) }),
    ).rejects.toThrow(`does not belong to KMS key ${ALIAS}`);
  });

  it('rejects an algorithm that does not fit the key spec, and a key that is not for signing', async () => {
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
    kmsHoldingKey(keys.privateKey, 'RSA_2048', 'RSASSA_PKCS1_V1_5_SHA_256');
    const certificatePem = await selfSignedCertificate(keys, '', NOW);
    await expect(createKmsSigner({ client, keyId: ALIAS, certificatePem, algorithm: 'ECDSA_SHA_256' })).rejects.toThrow(
      `KMS key ${ALIAS} (RSA_2048) cannot sign with ECDSA_SHA_256`,
    );

    kms.on(GetPublicKeyCommand).resolves({ KeyId: ARN, KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' });
    await expect(createKmsSigner({ client, keyId: ALIAS, certificatePem })).rejects.toThrow(
      `KMS key ${ALIAS} has KeyUsage ENCRYPT_DECRYPT; signing needs SIGN_VERIFY`,
    );
  });

  it('wraps KMS errors with the key id and the operation, without echoing the digest', async () => {
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    kmsHoldingKey(keys.privateKey, 'ECC_NIST_P256', 'ECDSA_SHA_256');
    const certificatePem = await selfSignedCertificate(keys, '', NOW);
    const signer = await createKmsSigner({ client, keyId: ALIAS, certificatePem });
    const denied = Object.assign(new Error('User is not authorized to perform: kms:Sign'), {
      name: 'AccessDeniedException',
    });
    kms.on(SignCommand).rejects(denied);

    const digest = sha256(MESSAGE);
    const failure = (await signer.signDigest(digest).catch((error: unknown) => error)) as Error;
    expect(failure).toBeInstanceOf(Error);
    expect(failure.message).toBe(
      `KMS Sign for key ${ARN} failed: AccessDeniedException: User is not authorized to perform: kms:Sign`,
    );
    expect(failure.message).not.toContain(digest.toString('hex'));
    expect(failure.message).not.toContain(digest.toString('base64'));
    expect(failure.cause).toBe(denied);

    kms.on(GetPublicKeyCommand).rejects(Object.assign(new Error('Key not found'), { name: 'NotFoundException' }));
    await expect(createKmsSigner({ client, keyId: ALIAS, certificatePem: signer.certificatePem })).rejects.toThrow(
      `KMS GetPublicKey for key ${ALIAS} failed: NotFoundException: Key not found`,
    );
  });

  it('rejects a digest that is not 32 bytes without calling KMS', async () => {
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    kmsHoldingKey(keys.privateKey, 'ECC_NIST_P256', 'ECDSA_SHA_256');
    const certificatePem = await selfSignedCertificate(keys, '', NOW);
    const signer = await createKmsSigner({ client, keyId: ALIAS, certificatePem });
    await expect(signer.signDigest(new Uint8Array(20))).rejects.toThrow('32-byte SHA-256 digest, got 20 bytes');
    expect(kms.commandCalls(SignCommand)).toHaveLength(0);
  });
});
