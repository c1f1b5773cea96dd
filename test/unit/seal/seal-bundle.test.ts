import { createPrivateKey, createPublicKey, verify } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyPathOf } from '../../../functions/archive/layout.js';
import { localArchive } from '../../../functions/archive/local.js';
import { verifyArchive } from '../../../functions/archive/verify.js';
import { loadOrCreateLocalSigner, selfSignedCertificate } from '../../../functions/seal/local-signer.js';
import {
  certificateSha256,
  digestOf,
  parseManifest,
  sha256,
  type PreviousManifest,
} from '../../../functions/seal/manifest.js';
import { sealBundle } from '../../../functions/seal/seal-bundle.js';
import type { Signer } from '../../../functions/seal/signer.js';
import { sampleReport } from '../../support/sample-report.js';
import { buildDailyArchive, TEST_PRODUCER, writableCopy } from '../../support/verify-archive.js';

let scratch: string;
let signer: Signer;
let other: Signer;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'sox-seal-'));
  signer = await loadOrCreateLocalSigner({ dir: path.join(scratch, 'signer') });
  other = await loadOrCreateLocalSigner({ dir: path.join(scratch, 'other') });
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const documents = [
  { path: 'report.json', data: new TextEncoder().encode('{"schema":"sox-report/v1"}\n') },
  { path: 'report.html', data: new TextEncoder().encode('<!doctype html><p>ok</p>') },
  { path: 'report.pdf', data: new Uint8Array([0x25, 0x50, 0x44, 0x46]) },
];
const artifacts = documents.map((d) => digestOf(d.path, d.data));
const producer = TEST_PRODUCER;

describe('sealBundle', () => {
  it(
    'lists every document with its size and SHA-256, ' + 'names what produced it, and signs the exact manifest bytes',
    async () => {
      const { manifest, bytes, signature } = await sealBundle({
        bundle: 'daily/2026/11/24',
        report: sampleReport(),
        artifacts,
        signer,
        previous: null,
        producer,
      });
      expect(manifest.artifacts).toEqual(
        documents.map((a) => ({ path: a.path, bytes: a.data.length, sha256: sha256(a.data) })),
      );
      expect(manifest.schema).toBe('sox-report-manifest/v2');
      expect(manifest.schema === 'sox-report-manifest/v2' && manifest.producer).toEqual(producer);
      expect(manifest.signer).toEqual({
        algorithm: 'ECDSA_SHA_256',
        keyId: signer.keyId,
        publicKeySha256: signer.publicKeySha256,
        certificateSha256: certificateSha256(signer.certificatePem),
        key: keyPathOf(signer.publicKeySha256, certificateSha256(signer.certificatePem)),
      });
      expect([manifest.previous, manifest.firstOfSeries, manifest.series]).toEqual([null, true, 'daily']);
      expect(parseManifest(bytes)).toEqual(manifest);
      expect(verify('sha256', bytes, createPublicKey(signer.publicKeyPem), signature)).toBe(true);
    },
  );

  it('links to the previous manifest by path, hash and signature', async () => {
    const previous: PreviousManifest = {
      path: 'daily/2026/11/23/manifest.json',
      manifest: new TextEncoder().encode('{}'),
      signature: new Uint8Array([1, 2, 3]),
    };
    const { manifest } = await sealBundle({
      bundle: 'daily/2026/11/24',
      report: sampleReport(),
      artifacts,
      signer,
      previous,
      producer,
    });
    expect(manifest.previous).toEqual({ path: previous.path, sha256: sha256(previous.manifest), signature: 'AQID' });
    expect(manifest.firstOfSeries).toBe(false);
  });

  it('seals the same documents to the same manifest bytes (a resumed run writes what the first one did)', async () => {
    const a = await sealBundle({
      bundle: 'daily/2026/11/24',
      report: sampleReport(),
      artifacts,
      signer,
      previous: null,
      producer,
    });
    const b = await sealBundle({
      bundle: 'daily/2026/11/24',
      report: sampleReport(),
      artifacts,
      signer,
      previous: null,
      producer,
    });
    expect(Buffer.from(b.bytes).equals(Buffer.from(a.bytes))).toBe(true);
  });

  it('refuses a signer whose signature does not verify with the key it names, before anything is written', async () => {
    const liar: Signer = { ...signer, signDigest: (digest) => other.signDigest(digest) };
    await expect(
      sealBundle({
        bundle: 'daily/2026/11/24',
        report: sampleReport(),
        artifacts,
        signer: liar,
        previous: null,
        producer,
      }),
    ).rejects.toThrow(/the manifest signature does not verify with its own public key; nothing was archived/);
    const swapped: Signer = { ...signer, certificatePem: other.certificatePem };
    await expect(
      sealBundle({
        bundle: 'daily/2026/11/24',
        report: sampleReport(),
        artifacts,
        signer: swapped,
        previous: null,
        producer,
      }),
    ).rejects.toThrow(/its certificate is for another key/);
  });
});

describe('verify and the certificate a manifest was sealed with', () => {
  it('catches a key file whose certificate was swapped for another one of the same key', async () => {
    const root = path.join(scratch, 'archive');
    await buildDailyArchive(root, ['2026-11-23', '2026-11-24'], signer);
    const copy = await writableCopy(root, path.join(scratch, 'swapped'));
    const privateKey = createPrivateKey(await readFile(path.join(scratch, 'signer', 'signing-key.pem'), 'utf8'));
    const forged = await selfSignedCertificate(
      { privateKey, publicKey: createPublicKey(privateKey) },
      'Someone Else Ltd',
      new Date(),
    );
    await writeFile(
      path.join(copy, keyPathOf(signer.publicKeySha256, certificateSha256(signer.certificatePem))),
      `${signer.publicKeyPem.trim()}\n${forged.trim()}\n`,
    );
    const report = await verifyArchive(localArchive(copy));
    expect(report.ok).toBe(false);
    for (const entry of report.entries) {
      expect(entry.problems.join('\n')).toMatch(
        new RegExp(
          /^keys\/[0-9a-f]{64}-[0-9a-f]{64}\.pem: the certificate in it has SHA-256 [0-9a-f]{64}, not the /.source +
            /one its name says$/.source,
          'm',
        ),
      );
    }
    expect((await verifyArchive(localArchive(root))).ok).toBe(true);
  });
});
