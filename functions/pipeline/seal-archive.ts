/**
 * Sealing: the signed PDF, this run's signed intent, the manifest over every file and its signature, in the
 * order the archive writes them; and how long they stay locked.
 */
import { intentFileName, MANIFEST, MANIFEST_SIG, REPORT_HTML, REPORT_JSON, REPORT_PDF } from '../archive/layout.js';
import type { BundleFile } from '../archive/port.js';
import { RunError } from '../errors.js';
import type { StoredObjects } from '../seal/bundle-place.js';
import { newRunId, signIntent } from '../seal/intent.js';
import { certificateSha256, digestOf, sha256, type ArtifactDigest, type PreviousManifest } from '../seal/manifest.js';
import { sealBundle } from '../seal/seal-bundle.js';
import { verifies } from '../seal/signature.js';
import type { Ports } from './contracts.js';
import type { Documents } from './documents.js';

/**
 * The bundle's files in the order they are written: this run's signed intent first (it names every document to
 * come), the evidence, the documents, then the manifest's signature and the manifest. Documents and intents an
 * interrupted run stored are kept as they are and listed too (the earlier intents first, in the order of their names).
 */
export async function sealedFiles(input: {
  where: string;
  ports: Ports;
  stored: StoredObjects | null;
  documents: Documents;
  html: Uint8Array;
  pdf: Uint8Array;
  previous: PreviousManifest | null;
}): Promise<BundleFile[]> {
  const { where, ports, stored, documents } = input;
  const kept = (name: string, data: Uint8Array): BundleFile => {
    const earlier = stored?.files.get(name);
    return earlier ? { name, stored: { bytes: earlier.bytes, sha256: earlier.sha256 } } : { name, data };
  };
  const documentFiles: (BundleFile & ArtifactDigest)[] = [
    ...(documents.evidence ? [documents.evidence] : []),
    { ...kept(REPORT_JSON, documents.reportJson), ...digestOf(REPORT_JSON, documents.reportJson) },
    { ...kept(REPORT_HTML, input.html), ...digestOf(REPORT_HTML, input.html) },
    { ...kept(REPORT_PDF, input.pdf), ...digestOf(REPORT_PDF, input.pdf) },
  ];
  const earlierIntents = await Promise.all(
    (stored?.intents ?? [])
      .map((i) => intentFileName(i.run))
      .sort()
      .map((name) => storedDigest(ports, where, name)),
  );
  // A run that writes no document (an interrupted one stored them all) has nothing to announce: without an intent of
  // its own it rebuilds the very manifest the interrupted run signed, and keeps the signature that run stored.
  const writes = documentFiles.some((file) => !('stored' in file));
  const intents = writes
    ? [...earlierIntents, await thisRunsIntent(where, ports, documents, documentFiles)]
    : earlierIntents;
  const sealed = await sealBundle({
    bundle: where,
    report: documents.report,
    artifacts: [...intents, ...documentFiles].map(({ path, bytes, sha256 }) => ({ path, bytes, sha256 })),
    signer: ports.signer,
    previous: input.previous,
    producer: documents.producer,
  });
  // KMS signatures differ run to run; an earlier run's valid one is the one the archive holds.
  const signature =
    stored?.signature && verifies(sealed.bytes, ports.signer.publicKeyPem, stored.signature)
      ? stored.signature
      : sealed.signature;
  if (stored?.signature && signature !== stored.signature) {
    throw new RunError(
      `${ports.archive.locate(`${where}/${MANIFEST_SIG}`)} is not this bundle's manifest signature: ` +
        "it was not written by this software's run",
    );
  }
  ports.log(`sealed ${where} (manifest ${sha256(sealed.bytes).slice(0, 16)}…)`);
  return [
    ...intents.map(strip),
    ...documentFiles.map(strip),
    stored?.signature
      ? { name: MANIFEST_SIG, stored: { bytes: signature.length, sha256: sha256(signature) } }
      : { name: MANIFEST_SIG, data: signature },
    { name: MANIFEST, data: sealed.bytes },
  ];
}

/** The signed intent naming every document this run seals, written before any of them. */
async function thisRunsIntent(
  where: string,
  ports: Ports,
  documents: Documents,
  documentFiles: ArtifactDigest[],
): Promise<BundleFile & ArtifactDigest> {
  const run = newRunId(ports.now());
  const intent = await signIntent(
    {
      bundle: where,
      run,
      signer: {
        publicKeySha256: ports.signer.publicKeySha256,
        certificateSha256: certificateSha256(ports.signer.certificatePem),
      },
      artifacts: documentFiles.map(({ path, bytes, sha256 }) => ({ path, bytes, sha256 })),
      producer: documents.producer,
    },
    ports.signer,
  );
  return { name: intentFileName(run), data: intent, ...digestOf(intentFileName(run), intent) };
}

async function storedDigest(ports: Ports, where: string, name: string): Promise<BundleFile & ArtifactDigest> {
  const data = await ports.archive.read(`${where}/${name}`, { maxBytes: 4 * 1024 * 1024 });
  if (data === null)
    throw new RunError(`${ports.archive.locate(`${where}/${name}`)} disappeared while the bundle was completed`);
  return { name, stored: { bytes: data.length, sha256: sha256(data) }, ...digestOf(name, data) };
}

/** A bundle file without the digest it was listed with. */
function strip(file: BundleFile & ArtifactDigest): BundleFile {
  if ('staged' in file) return { name: file.name, staged: file.staged };
  if ('stored' in file) return { name: file.name, stored: file.stored };
  return { name: file.name, data: file.data };
}
