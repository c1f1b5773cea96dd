/**
 * The signed intent a run writes into a bundle's place before anything else: which run it is and the SHA-256 of
 * every document it is about to archive there. Objects under a bundle's path that no manifest seals yet are only
 * ever taken as an interrupted run's work (and completed, never replaced: they may be locked for years) when an
 * intent signed with the run's own key names them with those exact bytes. Anything else in the bundle's place
 * was not written by this software, and nothing is signed over it.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { errorMessage } from '../errors.js';
import { firstIssueText } from '../text/zod-issue.js';
import { formatInstant, type Nanos } from '../time/nanos.js';
import { sha256 } from './manifest.js';
import { producerSchema } from './producer.js';
import { verifies } from './signature.js';
import type { Signer } from './signer.js';

export const INTENT_SCHEMA = 'sox-report-intent/v1';

/** A run's id: when it started and a random part, so two runs of one period never share one. */
export function newRunId(startedAt: Nanos): string {
  const compact = formatInstant(startedAt)
    .replace(/[-:]/g, '')
    .replace(/\.(\d{3})\d*Z$/, '$1Z');
  return `${compact}-${randomBytes(4).toString('hex')}`;
}

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

const intentSchema = z.strictObject({
  schema: z.literal(INTENT_SCHEMA),
  bundle: z.string(),
  run: z.string(),
  signer: z.strictObject({ publicKeySha256: sha256Hex, certificateSha256: sha256Hex }),
  /** Every object the run writes under the bundle after this one, but the manifest and its signature. */
  artifacts: z.array(z.strictObject({ path: z.string(), bytes: z.number().int().nonnegative(), sha256: sha256Hex })),
  /** What produced the documents: a run that completes this one seals them with it. */
  producer: producerSchema,
  signature: z.string().min(1),
});

export type Intent = Omit<z.output<typeof intentSchema>, 'signature'>;

/** The intent's file: its statement and, inside, the signature over the statement's exact bytes. */
export async function signIntent(intent: Omit<Intent, 'schema'>, signer: Signer): Promise<Uint8Array> {
  const statement: Intent = { schema: INTENT_SCHEMA, ...intent };
  const signature = await signer.signDigest(Buffer.from(sha256(statementBytes(statement)), 'hex'));
  return new TextEncoder().encode(
    `${JSON.stringify({ ...statement, signature: Buffer.from(signature).toString('base64') }, null, 2)}\n`,
  );
}

/** The intent a file holds, if the file is one and `publicKeyPem` signed it; otherwise why not. */
export function readIntent(bytes: Uint8Array, publicKeyPem: string): { intent: Intent } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    return { problem: `not a JSON intent (${errorMessage(err)})` };
  }
  const parsed = intentSchema.safeParse(value);
  if (!parsed.success) return { problem: `not a ${INTENT_SCHEMA} intent (${firstIssueText(parsed.error)})` };
  const { signature, ...statement } = parsed.data;
  // Verified over the statement as the file holds it (its own key order), so nothing depends on how it is parsed.
  const { signature: _signature, ...asWritten } = value as Record<string, unknown>;
  const signed = verifies(statementBytes(asWritten), publicKeyPem, Buffer.from(signature, 'base64'));
  return signed ? { intent: statement } : { problem: "its signature does not verify with this run's signing key" };
}

function statementBytes(statement: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(statement, null, 2));
}
