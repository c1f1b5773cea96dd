import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import type { ReportV1 } from '../analysis/report-model.js';
import {
  buildManifest,
  manifestBytes,
  sha256,
  type ArtifactDigest,
  type Manifest,
  type PreviousManifest,
} from './manifest.js';
import type { Producer } from './producer.js';
import { verifies } from './signature.js';
import type { Signer } from './signer.js';

export interface SealInput {
  bundle: string;
  report: ReportV1;
  /** Every document of the bundle, in the order they are written; the PDF already carries its own signature. */
  artifacts: ArtifactDigest[];
  signer: Signer;
  previous: PreviousManifest | null;
  producer: Producer;
}

export interface SealedManifest {
  manifest: Manifest;
  /** The exact bytes that are signed and archived. */
  bytes: Uint8Array;
  /** The raw signature over `bytes` (manifest.json.sig). */
  signature: Uint8Array;
}

/** Seals a bundle: the manifest over the documents, and a raw signature over the manifest's exact bytes. */
export async function sealBundle(input: SealInput): Promise<SealedManifest> {
  const manifest = buildManifest(input);
  const bytes = manifestBytes(manifest);
  const signature = await input.signer.signDigest(Buffer.from(sha256(bytes), 'hex'));
  assertVerifiable(input.signer, bytes, signature);
  return { manifest, bytes, signature };
}

/**
 * What is sealed is locked for years: a signer that signs with another key than it names, or whose certificate
 * is for another key (a KMS key set up for RAW messages, a swapped certificate), must fail before anything is
 * written, not produce bundles that can never be verified.
 */
function assertVerifiable(signer: Signer, bytes: Uint8Array, signature: Uint8Array): void {
  const key = createPublicKey(signer.publicKeyPem);
  const spki = createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex');
  if (spki !== signer.publicKeySha256) {
    throw new Error(
      `signer ${signer.keyId}: its public key hashes to ${spki}, not to the ${signer.publicKeySha256} it names`,
    );
  }
  const certified = createHash('sha256')
    .update(new X509Certificate(signer.certificatePem).publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
  if (certified !== spki) throw new Error(`signer ${signer.keyId}: its certificate is for another key`);
  if (!verifies(bytes, key, signature)) {
    throw new Error(
      `signer ${signer.keyId}: the manifest signature does not verify with its own public key; nothing was archived`,
    );
  }
}
