/**
 * The cloud signer adapter: an AWS KMS asymmetric key signs digests (`kms:Sign`, MessageType DIGEST), so the
 * private key never leaves KMS. The certificate is supplied by the operator; it is checked against the key here
 * so a mismatch stops the run before anything is sealed with an unverifiable signature.
 */
import { GetPublicKeyCommand, SignCommand } from '@aws-sdk/client-kms';
import type { GetPublicKeyCommandOutput, KMSClient } from '@aws-sdk/client-kms';
import { X509Certificate, createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { Signer, SigningAlgorithm } from './signer.js';

export interface KmsSignerOptions {
  client: KMSClient;
  /** Key id, ARN or alias: resolved once to the key ARN, which is what every Sign then names. */
  keyId: string;
  certificatePem: string;
  /** Defaults to the one algorithm that fits the key spec. */
  algorithm?: SigningAlgorithm;
}

const ALGORITHM_FOR_KEY_SPEC: Readonly<Record<string, SigningAlgorithm>> = {
  ECC_NIST_P256: 'ECDSA_SHA_256',
  RSA_2048: 'RSASSA_PKCS1_V1_5_SHA_256',
  RSA_3072: 'RSASSA_PKCS1_V1_5_SHA_256',
};
const SHA256_BYTES = 32;

/** A KMS key that signs digests, before any certificate is attached to it. */
export interface KmsKey {
  algorithm: SigningAlgorithm;
  /** The key ARN: what every Sign names, so an alias re-pointed later cannot change the key. */
  keyArn: string;
  publicKey: KeyObject;
  signDigest(digest: Uint8Array): Promise<Uint8Array>;
}

/** Resolves the key once (GetPublicKey) and checks it can sign with the algorithm. */
export async function openKmsKey(client: KMSClient, keyId: string, requested?: SigningAlgorithm): Promise<KmsKey> {
  const description = await callKms(keyId, 'GetPublicKey', () =>
    client.send(new GetPublicKeyCommand({ KeyId: keyId })),
  );
  const algorithm = chooseAlgorithm(keyId, description, requested);
  if (!description.PublicKey) throw new Error(`KMS GetPublicKey for key ${keyId} returned no public key`);
  const publicKey = createPublicKey({ key: Buffer.from(description.PublicKey), format: 'der', type: 'spki' });
  const keyArn = description.KeyId ?? keyId;
  return {
    algorithm,
    keyArn,
    publicKey,
    async signDigest(digest: Uint8Array): Promise<Uint8Array> {
      if (!(digest instanceof Uint8Array) || digest.length !== SHA256_BYTES) {
        const got = digest instanceof Uint8Array ? `${digest.length} bytes` : typeof digest;
        throw new Error(`signDigest needs a ${SHA256_BYTES}-byte SHA-256 digest, got ${got}`);
      }
      const response = await callKms(keyArn, 'Sign', () =>
        client.send(
          new SignCommand({ KeyId: keyArn, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: algorithm }),
        ),
      );
      if (!response.Signature) throw new Error(`KMS Sign for key ${keyArn} returned no signature`);
      return new Uint8Array(response.Signature);
    },
  };
}

export async function createKmsSigner(options: KmsSignerOptions): Promise<Signer> {
  const { keyId } = options;
  const key = await openKmsKey(options.client, keyId, options.algorithm);
  const spki = key.publicKey.export({ type: 'spki', format: 'der' });
  const certificate = parseCertificate(options.certificatePem, keyId);
  if (!certificate.publicKey.export({ type: 'spki', format: 'der' }).equals(spki)) {
    throw new Error(
      `the certificate "${certificate.subject.replace(/\n/g, ', ')}" does not belong to KMS key ${keyId}: ` +
        `its public key is not the key's public key`,
    );
  }
  return Object.freeze({
    algorithm: key.algorithm,
    keyId: key.keyArn,
    publicKeyPem: key.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    publicKeySha256: createHash('sha256').update(spki).digest('hex'),
    certificatePem: certificate.toString(),
    signDigest: (digest: Uint8Array) => key.signDigest(digest),
  });
}

function chooseAlgorithm(
  keyId: string,
  description: GetPublicKeyCommandOutput,
  requested: SigningAlgorithm | undefined,
): SigningAlgorithm {
  if (description.KeyUsage !== 'SIGN_VERIFY') {
    throw new Error(`KMS key ${keyId} has KeyUsage ${description.KeyUsage ?? 'unknown'}; signing needs SIGN_VERIFY`);
  }
  const keySpec = description.KeySpec ?? description.CustomerMasterKeySpec ?? 'unknown';
  const fitting = ALGORITHM_FOR_KEY_SPEC[keySpec];
  if (!fitting) {
    throw new Error(
      `KMS key ${keyId} has key spec ${keySpec}; supported are ${Object.keys(ALGORITHM_FOR_KEY_SPEC).join(', ')}`,
    );
  }
  const algorithm = requested ?? fitting;
  if (algorithm !== fitting) {
    throw new Error(`KMS key ${keyId} (${keySpec}) cannot sign with ${algorithm}; its algorithm is ${fitting}`);
  }
  if (description.SigningAlgorithms && !description.SigningAlgorithms.includes(algorithm)) {
    throw new Error(
      `KMS key ${keyId} does not offer ${algorithm} (it offers ${description.SigningAlgorithms.join(', ')})`,
    );
  }
  return algorithm;
}

function parseCertificate(pem: string, keyId: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`the certificate given for KMS key ${keyId} is not a readable PEM X.509 certificate (${reason})`, {
      cause: error,
    });
  }
}

/** Names the key and the operation, and quotes only KMS's error name and message: never the request. */
async function callKms<T>(keyId: string, operation: 'GetPublicKey' | 'Sign', call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`KMS ${operation} for key ${keyId} failed: ${name}: ${message}`, { cause: error });
  }
}
