/** An attestation as stored in the record: JSON, checked when it is read back (pure). */
import { z } from 'zod';
import { firstIssueText } from '../text/zod-issue.js';
import { ATTESTATION_SCHEMA, type Attestation } from './model.js';

const nullableText = z.string().nullable();

export const attestationSchema = z.strictObject({
  schema: z.literal(ATTESTATION_SCHEMA),
  bundle: z.string().min(1),
  decision: z.enum(['approved', 'exception']),
  note: nullableText,
  by: z.string().min(1),
  manifestSha256: z.string().regex(/^[0-9a-f]{64}$/),
  at: z.string().min(1),
  identity: z.strictObject({
    nats: z
      .strictObject({
        account: nullableText,
        user: nullableText,
        accountName: z.string().optional(),
        userName: z.string().optional(),
      })
      .nullable(),
    iamPrincipal: nullableText,
  }),
});

/** One message of the attestation record: the attestation, or why it is not one. */
export type DecodedAttestation = { seq: number; attestation: Attestation } | { seq: number; problem: string };

export function decodeAttestation(seq: number, data: Uint8Array): DecodedAttestation {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch {
    return { seq, problem: `message ${seq} of the attestation record is not JSON` };
  }
  const parsed = attestationSchema.safeParse(value);
  if (!parsed.success)
    return {
      seq,
      problem: `message ${seq} of the attestation record is no attestation (${firstIssueText(parsed.error)})`,
    };
  return { seq, attestation: parsed.data };
}
