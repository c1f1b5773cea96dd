/**
 * The signer port: everything that seals a bundle (the PDF's CMS signature, the intent, manifest.json.sig) asks it
 * to sign a SHA-256 digest, so a KMS key never needs its private half on this machine.
 */
export type SigningAlgorithm = 'ECDSA_SHA_256' | 'RSASSA_PKCS1_V1_5_SHA_256';

export interface Signer {
  /** AWS KMS's name for the algorithm, also written into manifest.json. */
  readonly algorithm: SigningAlgorithm;
  /** The KMS key ARN, or `local:<publicKeySha256>` for a local key. */
  readonly keyId: string;
  /** SPKI public key, PEM. */
  readonly publicKeyPem: string;
  /** Lower-case hex SHA-256 of the DER SubjectPublicKeyInfo: with the certificate's, names its file in `keys/`. */
  readonly publicKeySha256: string;
  /** X.509 certificate of the key, PEM: embedded in the PDF signature. */
  readonly certificatePem: string;
  /**
   * Signs a SHA-256 digest (32 bytes). ECDSA signatures are DER (what `openssl dgst -verify` and CMS expect);
   * RSA signatures are PKCS#1 v1.5.
   */
  signDigest(digest: Uint8Array): Promise<Uint8Array>;
}
