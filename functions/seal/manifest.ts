/**
 * manifest.json (docs/architecture.md, "manifest.json"): what a bundle holds, byte for byte, and which manifest came
 * before it, after CloudTrail's digest files. Nothing in it depends on the clock of the run that seals it, so an
 * interrupted run that is resumed writes the same bytes again.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { z } from 'zod';
import type { ReportV1 } from '../analysis/report-model.js';
import { keyPathOf, MANIFEST_SCHEMA, MANIFEST_SCHEMA_V1 } from '../archive/layout.js';
import { firstIssueText } from '../text/zod-issue.js';
import { producerSchema, type Producer } from './producer.js';
import type { Signer } from './signer.js';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lower-case hex SHA-256');
const rangeSchema = z.tuple([z.number().int(), z.number().int()]);

const manifestV1Schema = z.strictObject({
  schema: z.literal(MANIFEST_SCHEMA_V1),
  /** Where the bundle belongs in the archive; a bundle found anywhere else has been moved. */
  bundle: z.string().min(1),
  series: z.enum(['daily', 'adhoc', 'rollup']),
  period: z.strictObject({
    from: z.string(),
    to: z.string(),
    timezone: z.string(),
    kind: z.enum(['daily', 'adhoc', 'rollup']),
    date: z.string().optional(),
  }),
  generatedAt: z.string(),
  streams: z.array(
    z.strictObject({
      source: z.string(),
      stream: z.string(),
      kind: z.string(),
      account: z.string().optional(),
      firstSeq: z.number().int().nullable(),
      lastSeq: z.number().int().nullable(),
      messages: z.number().int(),
      gaps: z.array(rangeSchema),
    }),
  ),
  artifacts: z
    .array(z.strictObject({ path: z.string(), bytes: z.number().int().nonnegative(), sha256: sha256Hex }))
    .min(1),
  signer: z.strictObject({
    algorithm: z.enum(['ECDSA_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_256']),
    keyId: z.string(),
    publicKeySha256: sha256Hex,
    /** SHA-256 of the certificate's DER: the key file's certificate cannot be swapped for another of the same key. */
    certificateSha256: sha256Hex,
    /** The public key and certificate, relative to the archive root. */
    key: z.string(),
  }),
  /** The previous manifest of the daily series; null for the first of the series and for ad-hoc reports. */
  previous: z.strictObject({ path: z.string(), sha256: sha256Hex, signature: z.string().min(1) }).nullable(),
  /** Says in so many words that no earlier daily manifest existed when this one was sealed. */
  firstOfSeries: z.boolean(),
});

export const manifestSchema = z.discriminatedUnion('schema', [
  manifestV1Schema,
  manifestV1Schema.extend({
    schema: z.literal(MANIFEST_SCHEMA),
    /** What produced the bundle: software, Node, nats-server, configuration and the parameters of the figures. */
    producer: producerSchema,
  }),
]);

export type Manifest = z.output<typeof manifestSchema>;

/** A document of a bundle as the manifest lists it. */
export interface ArtifactDigest {
  path: string;
  bytes: number;
  sha256: string;
}

export function digestOf(path: string, data: Uint8Array): ArtifactDigest {
  return { path, bytes: data.length, sha256: sha256(data) };
}

export interface PreviousManifest {
  /** Archive path of the previous manifest.json. */
  path: string;
  manifest: Uint8Array;
  signature: Uint8Array;
}

export interface ManifestInput {
  bundle: string;
  report: ReportV1;
  artifacts: ArtifactDigest[];
  signer: Pick<Signer, 'algorithm' | 'keyId' | 'publicKeySha256' | 'certificatePem'>;
  previous: PreviousManifest | null;
  producer: Producer;
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function certificateSha256(pem: string): string {
  return sha256(new X509Certificate(pem).raw);
}

export function buildManifest(input: ManifestInput): Manifest {
  const { report, previous } = input;
  const series = report.period.kind;
  return {
    schema: MANIFEST_SCHEMA,
    bundle: input.bundle,
    series,
    period: { ...report.period },
    generatedAt: report.generatedAt,
    streams: report.streams.map((s) => ({
      source: s.source,
      stream: s.stream,
      kind: s.kind,
      ...(s.account ? { account: s.account } : {}),
      firstSeq: s.firstSeq,
      lastSeq: s.lastSeq,
      messages: s.messages,
      gaps: s.gaps,
    })),
    artifacts: input.artifacts.map(({ path, bytes, sha256 }) => ({ path, bytes, sha256 })),
    signer: {
      algorithm: input.signer.algorithm,
      keyId: input.signer.keyId,
      publicKeySha256: input.signer.publicKeySha256,
      certificateSha256: certificateSha256(input.signer.certificatePem),
      key: keyPathOf(input.signer.publicKeySha256, certificateSha256(input.signer.certificatePem)),
    },
    previous:
      series === 'daily' && previous
        ? {
            path: previous.path,
            sha256: sha256(previous.manifest),
            signature: Buffer.from(previous.signature).toString('base64'),
          }
        : null,
    firstOfSeries: series === 'daily' && previous === null,
    producer: input.producer,
  };
}

/** The exact bytes that are signed and archived. */
export function manifestBytes(manifest: Manifest): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
}

/** Parses archived manifest bytes; throws with what is wrong. */
export function parseManifest(bytes: Uint8Array): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new Error(`manifest.json is not valid JSON (${(err as Error).message})`);
  }
  const result = manifestSchema.safeParse(value);
  if (!result.success) {
    throw new Error(`manifest.json is not a ${MANIFEST_SCHEMA} manifest: ${firstIssueText(result.error)}`);
  }
  return result.data;
}

/** The public key, then the certificate: `openssl dgst -verify` reads the first, PDF tools the second. */
export function keyFile(signer: Pick<Signer, 'publicKeyPem' | 'certificatePem'>): string {
  return `${signer.publicKeyPem.trim()}\n${signer.certificatePem.trim()}\n`;
}
