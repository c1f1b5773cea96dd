/**
 * The checks of one bundle on its own: the manifest, its signature and key, the documents it lists, the PDF's
 * signature and, on S3, the locks. The chain between bundles is verify-chain.ts.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { plural } from '../analysis/wording.js';
import { dailyPeriod, rollupPeriod } from '../config/period.js';
import { errorMessage } from '../errors.js';
import { parseManifest, sha256, type Manifest } from '../seal/manifest.js';
import { verifies } from '../seal/signature.js';
import { formatInstant, parseInstant } from '../time/nanos.js';
import {
  adhocBundlePath,
  ARTIFACTS,
  daysOfRollupBundle,
  keyPathOfManifest,
  MANIFEST,
  MANIFEST_SCHEMA_V1,
  MANIFEST_SIG,
  REPORT_JSON,
  REPORT_PDF,
} from './layout.js';
import { describeEntry, type ArchiveEntry, type ArchivePort, type LockState, type VersionOptions } from './port.js';
import { algorithmMismatch, shortKey, spkiSha256, type KeyFileCheck } from './verify-keys.js';
import { append, readLimitOf, tooLargeProblem } from './verify-limits.js';
import { checkPdfSignature } from './verify-pdf.js';
import { recomputeBundle } from './verify-recompute.js';
import {
  checkRestedDays,
  parseRollupReport,
  recomputeRollup,
  rollupSectionProblems,
  type RestedBundles,
  type RestedDay,
} from './verify-rollup.js';
import type { Period } from '../config/period.js';

export interface BundleLocation {
  /** Folder of the bundle, relative to the archive root. */
  bundle: string;
  kind: 'daily' | 'adhoc' | 'rollup';
  /** The calendar day of a daily bundle, from its folder; null for ad-hoc and rollup bundles. */
  date: string | null;
  /** Names of the files in the folder that can be read (regular files with a version), relative to it. */
  files: string[];
  /** Every entry in the folder by name, whatever it is: what `files` were chosen from, and what is reported. */
  entries: ReadonlyMap<string, ArchiveEntry>;
  /** The bundle's own path, when it is not a folder (a symbolic link, a device): nothing in it is read. */
  folder?: ArchiveEntry;
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
  /** Re-perform each report from its evidence file (verify --recompute). */
  recompute: boolean;
  /** The check of a key file, made once however many bundles it signed. */
  keyFile(path: string): Promise<KeyFileState>;
  /** Every daily bundle the archive's listing found, by folder: what a rollup rests on is read only from these. */
  dailyBundles: ReadonlyMap<string, BundleLocation>;
}

export interface BundleCheck {
  problems: string[];
  notes: string[];
  link: ChainLink;
  /** A rollup's: the days it counted, whose own verification it depends on (verify.ts checks them). */
  restsOn?: RestedDay[];
}

/** Only a regular file with a version to read is ever read: the listing decides, not the path. */
export function isReadable(entry: ArchiveEntry): boolean {
  return entry.kind === 'file' && entry.versions !== 0;
}

/** The exact version the listing found (S3), for a read or a lock check of that object and no other. */
export function versionOf(entry: ArchiveEntry | undefined): VersionOptions {
  return entry?.versionId ? { versionId: entry.versionId } : {};
}

/**
 * What is wrong with an entry as stored, whatever its content: not a regular file, or (S3) more than the one
 * version the archive wrote, or a delete marker. `name` starts every message.
 */
export function storageProblems(name: string, entry: ArchiveEntry): string[] {
  if (entry.kind !== 'file') return [`${name}: ${describeEntry(entry)}`];
  const problems: string[] = [];
  const { versions, deleteMarkers } = entry;
  if (versions === 0) problems.push(`${name}: no version left in the bucket, only delete markers`);
  if (versions !== undefined && versions > 1) {
    problems.push(`${name}: ${versions} versions in the bucket (a newer one was written over the archived object)`);
  }
  if (deleteMarkers) {
    problems.push(
      `${name}: ${plural(deleteMarkers, 'delete marker')} in the bucket ` +
        '(someone deleted the object; its versions remain)',
    );
  }
  return problems;
}

/**
 * Reads a file of a bundle that the listing found, the version it found, within its cap: a problem (never an
 * exception, never an unbounded read) when it cannot be. Null when there is nothing to read.
 */
async function readBundleFile(
  archive: ArchivePort,
  location: BundleLocation,
  name: string,
  limit: number,
  problems: string[],
) {
  const entry = location.entries.get(name);
  if (!entry || !isReadable(entry)) return null;
  if (entry.bytes !== undefined && entry.bytes > limit) {
    problems.push(tooLargeProblem(name, entry.bytes, limit));
    return null;
  }
  try {
    const bytes = await archive.read(`${location.bundle}/${name}`, { maxBytes: limit, ...versionOf(entry) });
    if (bytes === null) problems.push(`${name}: listed in the folder, then gone when it was read`);
    return bytes;
  } catch (err) {
    problems.push(`${name}: cannot be read (${errorMessage(err)})`);
    return null;
  }
}

/** Reads a bundle's manifest and signature, the two files the next bundle's link names. */
export async function loadChainLink(
  archive: ArchivePort,
  location: BundleLocation,
): Promise<ChainLink & { problems: string[] }> {
  const problems: string[] = [];
  const readCapped = (name: string) => readBundleFile(archive, location, name, readLimitOf(name)!, problems);
  const [manifestBytes, signature] = await Promise.all([readCapped(MANIFEST), readCapped(MANIFEST_SIG)]);
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
  if (location.folder) {
    const link = { bundle, date: location.date, manifestBytes: null, signature: null, manifest: null };
    return {
      problems: [`the bundle folder ${describeEntry(location.folder, 'folder')}; nothing in it was read`],
      notes: [],
      link,
    };
  }
  const stored = [...location.entries].flatMap(([name, entry]) => storageProblems(name, entry));
  const loaded = await loadChainLink(archive, location);
  const { problems: readProblems, ...link } = loaded;
  const problems = [...stored, ...(await modeProblems(archive, location)), ...readProblems];
  const notes: string[] = [];
  let restsOn: RestedDay[] | undefined;
  // The hash of every file read, so an S3 checksum can be compared without reading anything twice.
  const readHashes = new Map<string, string>();
  if (link.manifestBytes) readHashes.set(MANIFEST, sha256(link.manifestBytes));
  if (link.signature) readHashes.set(MANIFEST_SIG, sha256(link.signature));

  const { manifest } = link;
  if (link.manifestBytes === null) {
    // A manifest that is there but not readable is already named, with why.
    const why = location.entries.has(MANIFEST) ? 'cannot be used' : 'missing';
    problems.push(`${MANIFEST}: ${why}, so nothing in the bundle can be checked`);
  }
  if (manifest && link.manifestBytes) {
    append(problems, checkPlacement(manifest, location));
    const signature = await checkManifestSignature(
      context,
      manifest,
      link.manifestBytes,
      link.signature,
      location.entries.has(MANIFEST_SIG),
    );
    append(problems, signature.problems);
    const documents = await checkArtifacts(archive, manifest, location, readHashes);
    append(problems, documents.problems);
    if (documents.report) append(problems, checkReportJson(documents.report, manifest));
    if (documents.pdf) append(problems, checkPdfSignature(REPORT_PDF, documents.pdf, manifest.signer.publicKeySha256));
    if (location.kind === 'rollup') {
      // What the rollup says it rests on is read only when its own signature vouches for what it says.
      const listed = manifest.artifacts.find((a) => a.path === REPORT_JSON);
      const vouched = signature.holds && documents.report !== null && listed?.sha256 === readHashes.get(REPORT_JSON);
      const rollup = documents.report ? await checkRollup(context, manifest, bundle, documents.report, vouched) : null;
      if (rollup) {
        append(problems, rollup.problems);
        append(notes, rollup.notes);
        restsOn = rollup.restsOn;
      }
    } else if (context.recompute) {
      const recomputed = await recomputeBundle(
        archive,
        bundle,
        manifest,
        documents.report,
        (name) => location.entries.get(name)?.versionId,
      );
      append(problems, recomputed.problems);
      append(notes, recomputed.notes);
    }
    if (manifest.series === 'daily' && manifest.firstOfSeries) notes.push('first bundle of the daily series');
  }
  if (archive.lockState) append(problems, await checkLocks(context, location, files, readHashes));
  return { problems, notes, link, ...(restsOn ? { restsOn } : {}) };
}

/**
 * A rollup's own checks (verify-rollup.ts): the shape of its report.json and its days against its folder; when its
 * signature vouches for them, the daily manifests it rests on, and with --recompute the rollup re-performed.
 */
async function checkRollup(
  context: VerifyContext,
  manifest: Manifest,
  bundle: string,
  reportBytes: Uint8Array,
  vouched: boolean,
): Promise<{ problems: string[]; notes: string[]; restsOn?: RestedDay[] }> {
  const parsed = parseRollupReport(reportBytes);
  if ('problems' in parsed) return { problems: parsed.problems, notes: [] };
  const section = rollupSectionProblems(bundle, parsed.report.rollup);
  if (!section.usable) return { problems: section.problems, notes: [] };
  if (!vouched) {
    const note = 'the daily bundles it rests on were not read: its signature does not vouch for its report.json';
    return { problems: section.problems, notes: [note] };
  }
  const bundles = restedBundles(context);
  const rested = await checkRestedDays(parsed.report.rollup, bundles);
  const problems = [...section.problems];
  append(problems, rested.problems);
  const notes = [...rested.notes];
  if (context.recompute) {
    const recomputed = await recomputeRollup(context.archive, manifest, bundle, parsed.report, bundles);
    append(problems, recomputed.problems);
    append(notes, recomputed.notes);
  }
  return { problems, notes, restsOn: rested.restsOn };
}

/** The daily bundles a rollup names, as the archive's listing found them: nothing else is read. */
function restedBundles(context: VerifyContext): RestedBundles {
  return {
    async manifest(bundle) {
      const location = context.dailyBundles.get(bundle);
      if (!location) return null;
      if (location.folder) return `the bundle folder ${describeEntry(location.folder, 'folder')}`;
      const entry = location.entries.get(MANIFEST);
      if (!entry) return null;
      if (!isReadable(entry)) return storageProblems(MANIFEST, entry)[0] ?? `${MANIFEST}: cannot be read`;
      const problems: string[] = [];
      const bytes = await readBundleFile(context.archive, location, MANIFEST, readLimitOf(MANIFEST)!, problems);
      return bytes ?? problems[0] ?? null;
    },
    versionOf(bundle, name) {
      return context.dailyBundles.get(bundle)?.entries.get(name)?.versionId;
    },
  };
}

/**
 * A local bundle's folder is 0555 and its files 0444, readable by everyone (an auditor's account included). One
 * that others cannot read is named: a run that died between renaming the bundle into place and making it
 * read-only leaves the folder 0700, and the next run of the period sets it. A writable mode is not named: copies
 * (`aws s3 cp`, `cp -r`) are writable, and a mode stops mistakes, not someone with write access.
 */
async function modeProblems(archive: ArchivePort, location: BundleLocation): Promise<string[]> {
  if (!archive.modeOf) return [];
  const problems: string[] = [];
  const folderMode = await archive.modeOf(location.bundle).catch(() => null);
  if (folderMode !== null && (folderMode & 0o055) !== 0o055) {
    problems.push(
      `the bundle folder is mode ${octal(folderMode)}: others cannot read it (the archive makes it 0555; ` +
        'a run that stopped right after archiving it leaves 0700, and the next run of the period sets 0555)',
    );
  }
  for (const [name, entry] of location.entries) {
    if (entry.kind !== 'file') continue;
    const mode = await archive.modeOf(`${location.bundle}/${name}`).catch(() => null);
    if (mode !== null && (mode & 0o044) !== 0o044)
      problems.push(`${name}: mode ${octal(mode)}: others cannot read it (the archive makes its files 0444)`);
  }
  return problems;
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

/** A bundle belongs where its manifest says and holds the period its folder names: catches moves and swaps. */
function checkPlacement(manifest: Manifest, location: BundleLocation): string[] {
  const problems: string[] = [];
  const { bundle, kind, date } = location;
  if (manifest.bundle !== bundle) {
    problems.push(
      `${MANIFEST}: says the bundle belongs at ${manifest.bundle}, but it is at ${bundle} ` +
        '(moved, or swapped with another)',
    );
  }
  const { period } = manifest;
  if (manifest.series !== kind || period.kind !== kind) {
    problems.push(
      `${MANIFEST}: series ${manifest.series}, period kind ${period.kind}, in the ${kind} folder ${bundle}`,
    );
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
      problems.push(
        `${MANIFEST}: the period is the day ${period.date ?? '(none)'}, but the bundle is the folder of ${date}`,
      );
      return problems;
    }
    let expected: Period;
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
  } else if (kind === 'rollup') {
    problems.push(...checkRollupPlacement(manifest, bundle, from, to));
  } else {
    const expected = adhocBundlePath(from, to);
    if (expected !== bundle)
      problems.push(`${MANIFEST}: the period [${period.from}, ${period.to}) belongs at ${expected}, not at ${bundle}`);
    if (manifest.previous !== null || manifest.firstOfSeries) {
      problems.push(`${MANIFEST}: an ad-hoc manifest must have previous null and firstOfSeries false`);
    }
  }
  return problems;
}

/** A rollup's period is exactly the days its folder names, from the first's midnight to the last's end. */
function checkRollupPlacement(manifest: Manifest, bundle: string, from: bigint, to: bigint): string[] {
  const { period } = manifest;
  const days = daysOfRollupBundle(bundle);
  if (!days) return [`${MANIFEST}: ${bundle} is not a rollup folder (rollup/<first day>_<last day>)`];
  const problems: string[] = [];
  try {
    const expected = rollupPeriod({ from: days.first, to: days.last }, period.timezone);
    if (from !== expected.from || to !== expected.to) {
      problems.push(
        `${MANIFEST}: period [${period.from}, ${period.to}) is not the days ${days.first} to ${days.last} in ` +
          `${period.timezone} ([${formatInstant(expected.from)}, ${formatInstant(expected.to)}))`,
      );
    }
  } catch (err) {
    problems.push(`${MANIFEST}: ${bundle}: ${errorMessage(err)}`);
  }
  if (manifest.previous !== null || manifest.firstOfSeries) {
    problems.push(`${MANIFEST}: a rollup manifest must have previous null and firstOfSeries false`);
  }
  return problems;
}

async function checkManifestSignature(
  context: VerifyContext,
  manifest: Manifest,
  manifestBytes: Uint8Array,
  signature: Uint8Array | null,
  signatureListed: boolean,
): Promise<{ problems: string[]; holds: boolean }> {
  const problems: string[] = [];
  let holds = false;
  const { publicKeySha256, certificateSha256, algorithm } = manifest.signer;
  // Only ever keys/<key hex>-<certificate hex>.pem: the manifest's own `key` field is a claim to compare, not a
  // path to follow. The key file's check then ties its content to both names.
  const keyPath = keyPathOfManifest(manifest);
  if (manifest.signer.key !== keyPath) {
    problems.push(
      `${MANIFEST}: signer.key is ${manifest.signer.key}, but the key with SHA-256 ${publicKeySha256} and ` +
        `certificate ${certificateSha256} is ${keyPath}`,
    );
  }
  if (manifest.signer.keyId.startsWith('local:') && manifest.signer.keyId !== `local:${publicKeySha256}`) {
    problems.push(`${MANIFEST}: signer.keyId ${manifest.signer.keyId} does not name the key ${publicKeySha256}`);
  }
  const keyFile = await context.keyFile(keyPath);
  problems.push(...keyFile.problems, ...keyFile.lockProblems);
  // A v1 key file's name does not say which certificate it holds: the manifest does.
  if (
    manifest.schema === MANIFEST_SCHEMA_V1 &&
    keyFile.certificateSha256 &&
    keyFile.certificateSha256 !== certificateSha256
  ) {
    problems.push(
      `${keyPath}: holds certificate ${shortKey(keyFile.certificateSha256)}, ` +
        `but the manifest was sealed with certificate ${shortKey(certificateSha256)}`,
    );
  }
  // A key file whose content is another key must not vouch for anything; a pinned key with the same hash may.
  const fileKey = keyFile.key && spkiSha256(keyFile.key) === publicKeySha256 ? keyFile.key : null;
  const key = fileKey ?? context.trusted?.get(publicKeySha256) ?? null;

  const untrusted = context.trusted !== null && !context.trusted.has(publicKeySha256);
  if (untrusted) problems.push(`signed by a key that is not trusted (${keyPath})`);
  if (signature === null) {
    // One that is there but unreadable is already named, with why.
    if (!signatureListed) problems.push(`${MANIFEST_SIG}: missing, so the manifest is not signed`);
  } else if (key) {
    const wrongAlgorithm = algorithmMismatch(algorithm, key);
    if (wrongAlgorithm) problems.push(`${MANIFEST}: ${wrongAlgorithm}`);
    if (verifies(manifestBytes, key, signature)) holds = !untrusted && !wrongAlgorithm;
    else {
      problems.push(
        `${MANIFEST_SIG}: does not verify over ${MANIFEST} with key ${shortKey(publicKeySha256)} ` +
          '(the manifest was changed after it was signed, or signed by another key)',
      );
    }
  }
  return { problems, holds };
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
    const entry = location.entries.get(name);
    if (!entry) {
      problems.push(`${name}: missing (the manifest lists it with ${artifact.bytes} bytes)`);
      continue;
    }
    if (!isReadable(entry)) continue; // named by its storage problems
    const limit = readLimitOf(name);
    const found =
      limit === null
        ? await hashStreamed(archive, location, name, entry, problems)
        : await readWhole(archive, location, name, limit, problems);
    if (found === null) continue;
    readHashes.set(name, found.sha256);
    if (found.bytes !== artifact.bytes) {
      problems.push(
        `${name}: ${found.bytes} bytes with SHA-256 ${found.sha256}, ` +
          `the manifest says ${artifact.bytes} bytes with SHA-256 ${artifact.sha256}`,
      );
    } else if (found.sha256 !== artifact.sha256) {
      problems.push(`${name}: SHA-256 is ${found.sha256}, the manifest says ${artifact.sha256}`);
    }
    if (name === REPORT_JSON) documents.report = found.content;
    if (name === REPORT_PDF) documents.pdf = found.content;
  }
  for (const [name, entry] of location.entries) {
    const isSeal = name === MANIFEST || name === MANIFEST_SIG;
    if (!listed.has(name) && !isSeal && entry.kind === 'file') problems.push(`${name}: not listed in the manifest`);
  }
  return documents;
}

interface ReadDocument {
  bytes: number;
  sha256: string;
  /** The bytes, when they were held (never for a streamed file). */
  content: Uint8Array | null;
}

async function readWhole(
  archive: ArchivePort,
  location: BundleLocation,
  name: string,
  limit: number,
  problems: string[],
): Promise<ReadDocument | null> {
  const bytes = await readBundleFile(archive, location, name, limit, problems);
  if (bytes === null) return null;
  return { bytes: bytes.length, sha256: sha256(bytes), content: bytes };
}

/** The size and SHA-256 of a file too large to hold (gigabytes of evidence), a chunk at a time. */
async function hashStreamed(
  archive: ArchivePort,
  location: BundleLocation,
  name: string,
  entry: ArchiveEntry,
  problems: string[],
): Promise<ReadDocument | null> {
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of archive.readStream(`${location.bundle}/${name}`, versionOf(entry))) {
      hash.update(chunk);
      bytes += chunk.length;
    }
  } catch (err) {
    problems.push(`${name}: cannot be read (${errorMessage(err)})`);
    return null;
  }
  return { bytes, sha256: hash.digest('hex'), content: null };
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
  if (fields.schema !== 'sox-report/v1')
    problems.push(`report.json: schema is ${JSON.stringify(fields.schema)}, not "sox-report/v1"`);
  const period = fields.period;
  if (typeof period !== 'object' || period === null) return [...problems, 'report.json: has no period'];
  for (const field of PERIOD_FIELDS) {
    if (period[field] !== manifest.period[field]) {
      problems.push(
        `report.json: period.${field} is ${JSON.stringify(period[field])}, ` +
          `the manifest says ${JSON.stringify(manifest.period[field])}`,
      );
    }
  }
  return problems;
}

async function checkLocks(
  context: VerifyContext,
  location: BundleLocation,
  files: string[],
  readHashes: Map<string, string>,
): Promise<string[]> {
  const states = await Promise.all(
    files.map((name) => lockStateOf(context, `${location.bundle}/${name}`, location.entries.get(name))),
  );
  return files.flatMap((name, i) => lockProblems(name, states[i]!, context.now, readHashes.get(name)));
}

/** A lock state (of the version the listing found), or the reason there is none, for an archive that has locks. */
export async function lockStateOf(
  context: VerifyContext,
  path: string,
  entry: ArchiveEntry | undefined,
): Promise<LockState | Error> {
  try {
    return await context.archive.lockState!(path, versionOf(entry));
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

export function lockProblems(name: string, state: LockState | Error, now: Date, readSha256?: string): string[] {
  if (state instanceof Error) return [`${name}: its Object Lock state cannot be read (${state.message})`];
  const problems: string[] = [];
  if (state.mode !== 'COMPLIANCE')
    problems.push(`${name}: Object Lock mode is ${state.mode ?? 'none'}, not COMPLIANCE`);
  if (state.retainUntil === null) {
    problems.push(`${name}: has no Object Lock retain-until date`);
  } else if (state.retainUntil.getTime() <= now.getTime()) {
    problems.push(
      `${name}: retained only until ${state.retainUntil.toISOString()}, which has passed (it can be deleted)`,
    );
  }
  if (state.sha256 !== null && readSha256 !== undefined && state.sha256 !== readSha256) {
    problems.push(`${name}: the stored checksum is SHA-256 ${state.sha256}, but the bytes read have ${readSha256}`);
  }
  return problems;
}
