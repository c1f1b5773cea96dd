/**
 * What is already under a bundle's path when a run starts, decided before anything is read from NATS: nothing;
 * a sealed bundle (its manifest is there); the objects of an interrupted run of this software, which the run
 * completes; or something else, which stops the run, naming it: nothing is ever signed over what this run did
 * not make or prove.
 */
import { createHash } from 'node:crypto';
import { ARTIFACTS, isIntentFile, MANIFEST, MANIFEST_SIG } from '../archive/layout.js';
import { describeEntry, type ArchiveEntry, type ArchivePort } from '../archive/port.js';
import { ForeignObjectsError, errorMessage } from '../errors.js';
import { readIntent, type Intent } from './intent.js';
import type { Signer } from './signer.js';

export type BundlePlace = { state: 'empty' } | { state: 'sealed' } | { state: 'interrupted'; stored: StoredObjects };

/** The objects an interrupted run left, each vouched for by an intent signed with this run's key. */
export interface StoredObjects {
  /** By name within the bundle: its size, SHA-256 and (for small ones) its bytes. */
  files: Map<string, { bytes: number; sha256: string; data: Uint8Array | null }>;
  /** The manifest signature a run left after its documents, to be kept if it signs the manifest this run rebuilds. */
  signature: Uint8Array | null;
  intents: Intent[];
}

/** Files an interrupted run may have left whose bytes the run reuses (the rest are hashed by streaming). */
const REUSED = new Set<string>(ARTIFACTS);
const MAX_SMALL = 256 * 1024 * 1024;

export async function inspectBundlePlace(archive: ArchivePort, bundle: string, signer: Signer): Promise<BundlePlace> {
  const entries = await archive.entries(bundle);
  if (entries.length === 0) return { state: 'empty' };
  const at = (entry: ArchiveEntry) => entry.path.slice(bundle.length + 1);
  if (entries.some((e) => e.kind === 'file' && at(e) === MANIFEST)) return { state: 'sealed' };

  const foreign: string[] = [];
  for (const entry of entries.filter((e) => e.kind !== 'file'))
    foreign.push(`${archive.locate(entry.path)} ${describeEntry(entry)}`);
  if (!archive.resumable) {
    throw new ForeignObjectsError(
      `${archive.locate(bundle)} exists without a ${MANIFEST}: a bundle of this archive appears whole, ` +
        'by a rename, so this folder was not made by sox-report. Nothing was read or signed. ' +
        'Move it out of the archive (keep it if it is evidence of tampering) and run again.',
    );
  }

  const files = entries.filter((e) => e.kind === 'file');
  const intents: Intent[] = [];
  for (const entry of files.filter((e) => isIntentFile(at(e)))) {
    const read = readIntent(
      (await archive.read(entry.path, { maxBytes: 4 * 1024 * 1024, ...version(entry) })) ?? new Uint8Array(),
      signer.publicKeyPem,
    );
    if ('problem' in read) foreign.push(`${archive.locate(entry.path)}: ${read.problem}`);
    else if (read.intent.bundle !== bundle)
      foreign.push(`${archive.locate(entry.path)}: an intent for ${read.intent.bundle}, not for this bundle`);
    else intents.push(read.intent);
  }

  const stored: StoredObjects = { files: new Map(), signature: null, intents };
  for (const entry of files) {
    const name = at(entry);
    if (isIntentFile(name)) continue;
    if (name === MANIFEST_SIG) {
      stored.signature = await archive.read(entry.path, { maxBytes: 64 * 1024, ...version(entry) });
      continue;
    }
    // Only what an intent names is read at all: a planted object, however large, is named, never hashed.
    const named = intents.flatMap((i) => i.artifacts.filter((a) => a.path === name));
    if (named.length === 0 || (entry.bytes !== undefined && !named.some((a) => a.bytes === entry.bytes))) {
      const what = `no intent signed by this run's key names it with this size (${entry.bytes} bytes)`;
      foreign.push(`${archive.locate(entry.path)}: ${what}`);
      continue;
    }
    try {
      const { data, bytes, sha256 } = await digest(archive, entry, REUSED.has(name));
      const vouched = intents.some((i) =>
        i.artifacts.some((a) => a.path === name && a.sha256 === sha256 && a.bytes === bytes),
      );
      if (vouched) stored.files.set(name, { bytes, sha256, data });
      else
        foreign.push(
          `${archive.locate(entry.path)}: no intent signed by this run's key names it with these bytes ` +
            `(SHA-256 ${sha256})`,
        );
    } catch (err) {
      foreign.push(`${archive.locate(entry.path)}: cannot be read (${errorMessage(err)})`);
    }
  }
  if (foreign.length > 0) {
    throw new ForeignObjectsError(
      `the place of the bundle ${archive.locate(bundle)} holds what this software did not write there: ` +
        `${foreign.join('; ')}. Nothing was read or signed. Locked objects cannot be removed: ` +
        'find out who wrote them (CloudTrail data events for the bucket), ' +
        'and archive this period elsewhere (another archive prefix, or an ad-hoc run).',
    );
  }
  return { state: 'interrupted', stored };
}

function version(entry: ArchiveEntry): { versionId?: string } {
  return entry.versionId ? { versionId: entry.versionId } : {};
}

async function digest(
  archive: ArchivePort,
  entry: ArchiveEntry,
  keep: boolean,
): Promise<{ data: Uint8Array | null; bytes: number; sha256: string }> {
  if (keep) {
    const data = await archive.read(entry.path, { maxBytes: MAX_SMALL, ...version(entry) });
    if (data === null) throw new Error('gone while it was read');
    return { data, bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') };
  }
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of archive.readStream(entry.path, version(entry))) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { data: null, bytes, sha256: hash.digest('hex') };
}
