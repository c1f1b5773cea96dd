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
  return {
    manifest,
    files: [
      ...input.artifacts.map((a) => ({ name: a.path, data: a.data })),
      { name: MANIFEST_SIG, data: signature },
      { name: MANIFEST, data: bytes },
    ],
  };
}
