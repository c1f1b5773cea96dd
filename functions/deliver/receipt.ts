import { z } from 'zod';
import { firstIssueText } from '../text/zod-issue.js';

/**
 * A delivery receipt, archived next to the bundle once the email went out. Scheduled runs are retried and events
 * may arrive twice: a receipt says the officers already have it; a missing one makes the next run send it.
 */
export const receiptSchema = z.strictObject({
  schema: z.literal('sox-report-delivery/v1'),
  bundle: z.string(),
  recipients: z.array(z.string()),
  subject: z.string(),
  /** The outbox file or the provider's message id. */
  location: z.string(),
  sentAt: z.string(),
});

export type DeliveryReceipt = z.output<typeof receiptSchema>;

export function receiptBytes(receipt: DeliveryReceipt): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(receipt, null, 2)}\n`);
}

/** The receipt `bytes` hold, or why they are none (not JSON, or not of this shape: the first issue, keyed). */
export function parseReceipt(bytes: Uint8Array): DeliveryReceipt | { notAReceipt: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return { notAReceipt: 'not JSON' };
  }
  const parsed = receiptSchema.safeParse(raw);
  return parsed.success ? parsed.data : { notAReceipt: firstIssueText(parsed.error) };
}
