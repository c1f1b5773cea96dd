import { createHash, createPublicKey, verify, X509Certificate } from 'node:crypto';
import type { ReportV1 } from '../analysis/report-model.js';
import type { BundleFile } from '../archive/port.js';
import { buildManifest, manifestBytes, MANIFEST, MANIFEST_SIG, sha256, type Manifest, type PreviousManifest } from './manifest.js';
import type { Signer } from './signer.js';

export interface SealInput {
  bundle: string;
  report: ReportV1;
  /** The documents, in ARTIFACTS order; the PDF already carries its own signature. */
  artifacts: { path: string; data: Uint8Array }[];
  signer: Signer;
  previous: PreviousManifest | null;
}

export interface SealedBundle {
  manifest: Manifest;
  /** What the archive writes, in order: the documents, the manifest's signature, the manifest last. */
  files: BundleFile[];
}

/** Seals a bundle: the manifest over the documents, and a raw signature over the manifest's exact bytes. */
export async function sealBundle(input: SealInput): Promise<SealedBundle> {
  const manifest = buildManifest({
    bundle: input.bundle,
    report: input.report,
    artifacts: input.artifacts,
    signer: input.signer,
    previous: input.previous,
  });
  const bytes = manifestBytes(manifest);
  const signature = await input.signer.signDigest(Buffer.from(sha256(bytes), 'hex'));
  assertVerifiable(input.signer, bytes, signature);
  return {
    manifest,
    files: [
      ...input.artifacts.map((a) => ({ name: a.path, data: a.data })),
      { name: MANIFEST_SIG, data: signature },
      { name: MANIFEST, data: bytes },
    ],
  };
}

/**
 * What is sealed is locked for years: a signer that signs with another key than it names, or whose certificate
 * is for another key (a KMS key set up for RAW messages, a swapped certificate), must fail before anything is
 * written, not produce bundles that can never be verified.
 */
function assertVerifiable(signer: Signer, bytes: Uint8Array, signature: Uint8Array): void {
  const key = createPublicKey(signer.publicKeyPem);
  const spki = createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
  if (spki !== signer.publicKeySha256) {
    throw new Error(`signer ${signer.keyId}: its public key hashes to ${spki}, not to the ${signer.publicKeySha256} it names`);
  }
  const certified = createHash('sha256').update(new X509Certificate(signer.certificatePem).publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
  if (certified !== spki) throw new Error(`signer ${signer.keyId}: its certificate is for another key`);
  if (!verify('sha256', bytes, key, signature)) {
    throw new Error(`signer ${signer.keyId}: the manifest signature does not verify with its own public key; nothing was archived`);
  }
}
