/**
 * The checks of one bundle on its own: the manifest, its signature and key, the documents it lists, the PDF's
 * signature and, on S3, the locks. The chain between bundles is verify-chain.ts.
 */
import { verify as verifySignature, type KeyObject } from 'node:crypto';
import { bundlePath, dailyPeriod } from '../config/period.js';
import { errorMessage } from '../errors.js';
import { ARTIFACTS, keyPathOf, MANIFEST, MANIFEST_SIG, parseManifest, sha256, type Manifest } from '../seal/manifest.js';
import { formatInstant, parseInstant } from '../time/nanos.js';
import type { ArchivePort, LockState } from './port.js';
import { algorithmMismatch, shortKey, spkiSha256, type KeyFileCheck } from './verify-keys.js';
import { checkPdfSignature } from './verify-pdf.js';

export interface BundleLocation {
  /** Folder of the bundle, relative to the archive root. */
  bundle: string;
  kind: 'daily' | 'adhoc';
  /** The calendar day of a daily bundle, from its folder; null for ad-hoc bundles. */
  date: string | null;
  /** Names of the files in the folder, relative to it, as the archive lists them. */
  files: string[];
}

/** What the chain check needs of a bundle: kept after the bundle's documents are let go. */
export interface ChainLink {
  bundle: string;
  date: string | null;
  manifestBytes: Uint8Array | null;
  signature: Uint8Array | null;
  manifest: Manifest | null;
}

export interface KeyFileState extends KeyFileCheck {
  /** Object Lock problems of the key file (empty on archives without locks). */
  lockProblems: string[];
}

export interface VerifyContext {
  archive: ArchivePort;
  /** Pinned keys by SPKI SHA-256; null when the archive's own keys are all there is. */
  trusted: Map<string, KeyObject> | null;
  now: Date;
  /** The check of a key file, made once however many bundles it signed. */
  keyFile(path: string): Promise<KeyFileState>;
}

export interface BundleCheck {
  problems: string[];
  notes: string[];
  link: ChainLink;
}

/** Reads a bundle's manifest and signature, the two files the next bundle's link names. */
export async function loadChainLink(archive: ArchivePort, location: BundleLocation): Promise<ChainLink & { problems: string[] }> {
  const problems: string[] = [];
  const listed = new Set(location.files);
  const readListed = async (name: string) => {
    if (!listed.has(name)) return null;
    try {
      return await archive.read(`${location.bundle}/${name}`);
    } catch (err) {
      problems.push(`${name}: cannot be read (${errorMessage(err)})`);
      return null;
    }
  };
  const [manifestBytes, signature] = await Promise.all([readListed(MANIFEST), readListed(MANIFEST_SIG)]);
  let manifest: Manifest | null = null;
  if (manifestBytes !== null) {
    try {
      manifest = parseManifest(manifestBytes);
    } catch (err) {
      problems.push(errorMessage(err));
    }
  }
  return { bundle: location.bundle, date: location.date, manifestBytes, signature, manifest, problems };
}

export async function verifyBundle(context: VerifyContext, location: BundleLocation): Promise<BundleCheck> {
  const { archive } = context;
  const { bundle, files } = location;
  const loaded = await loadChainLink(archive, location);
  const { problems, ...link } = loaded;
  const notes: string[] = [];
  // The hash of every file read, so an S3 checksum can be compared without reading anything twice.
  const readHashes = new Map<string, string>();
  if (link.manifestBytes) readHashes.set(MANIFEST, sha256(link.manifestBytes));
  if (link.signature) readHashes.set(MANIFEST_SIG, sha256(link.signature));

  const { manifest } = link;
  if (link.manifestBytes === null) problems.push(`${MANIFEST}: missing, so nothing in the bundle can be checked`);
  if (manifest && link.manifestBytes) {
    problems.push(...checkPlacement(manifest, location));
    problems.push(...(await checkManifestSignature(context, manifest, link.manifestBytes, link.signature)));
    const documents = await checkArtifacts(archive, manifest, location, readHashes);
    problems.push(...documents.problems);
    if (documents.report) problems.push(...checkReportJson(documents.report, manifest));
    if (documents.pdf) problems.push(...checkPdfSignature('report.pdf', documents.pdf, manifest.signer.publicKeySha256));
    if (manifest.series === 'daily' && manifest.firstOfSeries) notes.push('first bundle of the daily series');
  }
  if (archive.lockState) problems.push(...(await checkLocks(context, bundle, files, readHashes)));
  return { problems, notes, link };
}

/** A bundle belongs where its manifest says and holds the period its folder names: catches moves and swaps. */
function checkPlacement(manifest: Manifest, location: BundleLocation): string[] {
  const problems: string[] = [];
  const { bundle, kind, date } = location;
  if (manifest.bundle !== bundle) {
    problems.push(`${MANIFEST}: says the bundle belongs at ${manifest.bundle}, but it is at ${bundle} (moved, or swapped with another)`);
  }
  const { period } = manifest;
  if (manifest.series !== kind || period.kind !== kind) {
    problems.push(`${MANIFEST}: series ${manifest.series}, period kind ${period.kind}, in the ${kind} folder ${bundle}`);
    return problems;
  }
  const from = parseInstant(period.from);
  const to = parseInstant(period.to);
  if (from === null || to === null || from >= to) {
    problems.push(`${MANIFEST}: period [${period.from}, ${period.to}) is not a period of time`);
    return problems;
  }
  if (kind === 'daily' && date !== null) {
    if (period.date !== date) {
      problems.push(`${MANIFEST}: the period is the day ${period.date ?? '(none)'}, but the bundle is the folder of ${date}`);
      return problems;
    }
    let expected;
    try {
      expected = dailyPeriod(date, period.timezone);
    } catch (err) {
      problems.push(`${MANIFEST}: period: ${errorMessage(err)}`);
      return problems;
    }
    if (from !== expected.from || to !== expected.to) {
      problems.push(
        `${MANIFEST}: period [${period.from}, ${period.to}) is not the day ${date} in ${period.timezone} ` +
          `([${formatInstant(expected.from)}, ${formatInstant(expected.to)}))`,
      );
    }
  } else {
    const expected = bundlePath({ from, to, timezone: period.timezone, kind: 'adhoc' });
    if (expected !== bundle) problems.push(`${MANIFEST}: the period [${period.from}, ${period.to}) belongs at ${expected}, not at ${bundle}`);
    if (manifest.previous !== null || manifest.firstOfSeries) {
      problems.push(`${MANIFEST}: an ad-hoc manifest must have previous null and firstOfSeries false`);
    }
  }
  return problems;
}

async function checkManifestSignature(
  context: VerifyContext,
  manifest: Manifest,
  manifestBytes: Uint8Array,
  signature: Uint8Array | null,
): Promise<string[]> {
  const problems: string[] = [];
  const { publicKeySha256, algorithm } = manifest.signer;
  // Only ever keys/<hex>.pem: the manifest's own `key` field is a claim to compare, not a path to follow.
  const keyPath = keyPathOf(publicKeySha256);
  if (manifest.signer.key !== keyPath) {
    problems.push(`${MANIFEST}: signer.key is ${manifest.signer.key}, but the key with SHA-256 ${publicKeySha256} is ${keyPath}`);
  }
  if (manifest.signer.keyId.startsWith('local:') && manifest.signer.keyId !== `local:${publicKeySha256}`) {
    problems.push(`${MANIFEST}: signer.keyId ${manifest.signer.keyId} does not name the key ${publicKeySha256}`);
  }
  const keyFile = await context.keyFile(keyPath);
  problems.push(...keyFile.problems, ...keyFile.lockProblems);
  if (keyFile.certificateSha256 !== null && keyFile.certificateSha256 !== manifest.signer.certificateSha256) {
    problems.push(
      `${keyPath}: holds certificate ${shortKey(keyFile.certificateSha256)}, but the manifest was sealed with certificate ${shortKey(manifest.signer.certificateSha256)}`,
    );
  }
  // A key file whose content is another key must not vouch for anything; a pinned key with the same hash may.
  const fileKey = keyFile.key && spkiSha256(keyFile.key) === publicKeySha256 ? keyFile.key : null;
  const key = fileKey ?? context.trusted?.get(publicKeySha256) ?? null;

  if (context.trusted && !context.trusted.has(publicKeySha256)) {
    problems.push(`signed by a key that is not trusted (${keyPath})`);
  }
  if (signature === null) {
    problems.push(`${MANIFEST_SIG}: missing, so the manifest is not signed`);
  } else if (key) {
    const wrongAlgorithm = algorithmMismatch(algorithm, key);
    if (wrongAlgorithm) problems.push(`${MANIFEST}: ${wrongAlgorithm}`);
    if (!verifies(manifestBytes, key, signature)) {
      problems.push(
        `${MANIFEST_SIG}: does not verify over ${MANIFEST} with key ${shortKey(publicKeySha256)} ` +
          '(the manifest was changed after it was signed, or signed by another key)',
      );
    }
  }
  return problems;
}

function verifies(message: Uint8Array, key: KeyObject, signature: Uint8Array): boolean {
  try {
    // ECDSA signatures are DER (node's default encoding), RSA ones PKCS#1 v1.5 (node's default padding).
    return verifySignature('sha256', message, key, signature);
  } catch {
    return false;
  }
}

interface Documents {
  problems: string[];
  report: Uint8Array | null;
  pdf: Uint8Array | null;
}

/** Every listed document is there byte for byte, and nothing unlisted is. */
async function checkArtifacts(
  archive: ArchivePort,
  manifest: Manifest,
  location: BundleLocation,
  readHashes: Map<string, string>,
): Promise<Documents> {
  const problems: string[] = [];
  const present = new Set(location.files);
  const listed = new Set<string>();
  const documents: Documents = { problems, report: null, pdf: null };

  for (const required of ARTIFACTS) {
    if (!manifest.artifacts.some((a) => a.path === required)) problems.push(`${MANIFEST}: does not list ${required}`);
  }
  for (const artifact of manifest.artifacts) {
    const { path: name } = artifact;
    if (listed.has(name)) {
      problems.push(`${MANIFEST}: lists ${name} twice`);
      continue;
    }
    listed.add(name);
    if (name === MANIFEST || name === MANIFEST_SIG) {
      problems.push(`${MANIFEST}: lists ${name} as a document`);
      continue;
    }
    // Only names the archive listed in this folder are read, so no manifest can point the check elsewhere.
    if (!present.has(name)) {
      problems.push(`${name}: missing (the manifest lists it with ${artifact.bytes} bytes)`);
      continue;
    }
    let bytes: Uint8Array | null;
    try {
      bytes = await archive.read(`${location.bundle}/${name}`);
    } catch (err) {
      problems.push(`${name}: cannot be read (${errorMessage(err)})`);
      continue;
    }
    if (bytes === null) {
      problems.push(`${name}: missing (the manifest lists it with ${artifact.bytes} bytes)`);
      continue;
    }
    const actual = sha256(bytes);
    readHashes.set(name, actual);
    if (bytes.length !== artifact.bytes) {
      problems.push(`${name}: ${bytes.length} bytes with SHA-256 ${actual}, the manifest says ${artifact.bytes} bytes with SHA-256 ${artifact.sha256}`);
    } else if (actual !== artifact.sha256) {
      problems.push(`${name}: SHA-256 is ${actual}, the manifest says ${artifact.sha256}`);
    }
    if (name === 'report.json') documents.report = bytes;
    if (name === 'report.pdf') documents.pdf = bytes;
  }
  for (const name of location.files) {
    if (!listed.has(name) && name !== MANIFEST && name !== MANIFEST_SIG) problems.push(`${name}: not listed in the manifest`);
  }
  return documents;
}

const PERIOD_FIELDS = ['from', 'to', 'timezone', 'kind', 'date'] as const;

function checkReportJson(bytes: Uint8Array, manifest: Manifest): string[] {
  let report: unknown;
  try {
    report = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    return [`report.json: not valid JSON (${errorMessage(err)})`];
  }
  const fields = report as { schema?: unknown; period?: Record<string, unknown> } | null;
  if (typeof fields !== 'object' || fields === null) return ['report.json: not a JSON object'];
  const problems: string[] = [];
  if (fields.schema !== 'sox-report/v1') problems.push(`report.json: schema is ${JSON.stringify(fields.schema)}, not "sox-report/v1"`);
  const period = fields.period;
  if (typeof period !== 'object' || period === null) return [...problems, 'report.json: has no period'];
  for (const field of PERIOD_FIELDS) {
    if (period[field] !== manifest.period[field]) {
      problems.push(`report.json: period.${field} is ${JSON.stringify(period[field])}, the manifest says ${JSON.stringify(manifest.period[field])}`);
    }
  }
  return problems;
}

async function checkLocks(context: VerifyContext, bundle: string, files: string[], readHashes: Map<string, string>): Promise<string[]> {
  const states = await Promise.all(files.map((name) => lockStateOf(context, `${bundle}/${name}`)));
  return files.flatMap((name, i) => lockProblems(name, states[i]!, context.now, readHashes.get(name)));
}

/** A lock state, or the reason there is none, for an archive that has locks. */
export async function lockStateOf(context: VerifyContext, path: string): Promise<LockState | Error> {
  try {
    return await context.archive.lockState!(path);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

export function lockProblems(name: string, state: LockState | Error, now: Date, readSha256?: string): string[] {
  if (state instanceof Error) return [`${name}: its Object Lock state cannot be read (${state.message})`];
  const problems: string[] = [];
  if (state.mode !== 'COMPLIANCE') problems.push(`${name}: Object Lock mode is ${state.mode ?? 'none'}, not COMPLIANCE`);
  if (state.retainUntil === null) {
    problems.push(`${name}: has no Object Lock retain-until date`);
  } else if (state.retainUntil.getTime() <= now.getTime()) {
    problems.push(`${name}: retained only until ${state.retainUntil.toISOString()}, which has passed (it can be deleted)`);
  }
  if (state.sha256 !== null && readSha256 !== undefined && state.sha256 !== readSha256) {
    problems.push(`${name}: the stored checksum is SHA-256 ${state.sha256}, but the bytes read have ${readSha256}`);
  }
  return problems;
}
