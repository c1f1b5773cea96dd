import { z } from 'zod';
import { assertReportable, requestedPeriod, type Period } from '../config/period.js';
import type { Config } from '../config/schema.js';
import type { InputNamer } from '../errors.js';
import { MAX_SLICES } from '../slices/plan.js';
import { issueText } from '../text/zod-issue.js';
import { nanosFromMillis } from '../time/nanos.js';

/** SES sends one message to at most 50 recipients. */
export const MAX_RECIPIENTS = 50;

/**
 * The on-demand payload. Without `date`, `from` and `to` it reports the previous day, as the CLI does.
 * The values are checked by the CLI's own rules (requestedPeriod, assertReportable), so both say the same.
 */
export const onDemandPayload = z.strictObject({
  /** A calendar day in the configured time zone. */
  date: z.string().max(40).optional(),
  /** ISO 8601 instants with a zone; `[from, to)`. */
  from: z.string().max(64).optional(),
  to: z.string().max(64).optional(),
  /** Send to these addresses instead of the configured ones. */
  recipients: z
    .array(z.email('must be an email address'))
    .min(1, 'must name at least one address (leave it out for the configured recipients)')
    .max(MAX_RECIPIENTS, `must name at most ${MAX_RECIPIENTS} addresses (one SES message)`)
    .optional(),
  /** Read each stream in this many time slices at once (slices/plan.ts); default 1. */
  slices: z
    .number()
    .int(`must be a whole number from 1 to ${MAX_SLICES}`)
    .min(1, `must be a whole number from 1 to ${MAX_SLICES}`)
    .max(MAX_SLICES, `must be a whole number from 1 to ${MAX_SLICES}`)
    .optional(),
});

export type OnDemandPayload = z.output<typeof onDemandPayload>;

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** Checks the payload's shape; an empty invocation (no payload) means `{}`. Messages never echo a value. */
export function parseOnDemandPayload(event: unknown): Parsed<OnDemandPayload> {
  const parsed = onDemandPayload.safeParse(event ?? {});
  if (parsed.success) return { ok: true, value: parsed.data };
  // An issue of the payload as a whole (an unknown key) is said without a key of its own.
  const lines = parsed.error.issues.map((issue) => issueText(issue, ''));
  const allowed = Object.keys(onDemandPayload.shape).join(', ');
  return { ok: false, message: `invalid payload (allowed keys: ${allowed}): ${lines.join('; ')}` };
}

/** The payload's word for an input the core names: its key, as JSON (`"date"` where the CLI says `--date`). */
export const payloadKeyName: InputNamer = (field) => JSON.stringify(field);

/** The period the payload asks for, by the CLI's rules, and no longer than `maxDays`. Throws InputError. */
export function periodOfPayload(payload: OnDemandPayload, config: Config, nowMs: number, maxDays: number): Period {
  const period = requestedPeriod(payload, config.timezone, nowMs);
  assertReportable(period, nanosFromMillis(nowMs), maxDays);
  return period;
}

/**
 * The first of `recipients` that the configuration does not allow, or null when all are allowed. An entry
 * `@example.com` allows every address at that domain (not its subdomains); any other entry allows that one
 * address. Domains compare without regard to case, as DNS does; the part before the `@` compares exactly, since a
 * mail server may tell `Ann@` from `ann@`. Without `allowedRecipients`, only the configured `to` addresses are
 * allowed: an on-demand run must not be a way to mail the evidence anywhere.
 */
export function recipientNotAllowed(
  recipients: readonly string[],
  email: { to: readonly string[]; allowedRecipients?: readonly string[] | undefined },
): string | null {
  const allowed = (email.allowedRecipients ?? email.to).map(splitAddress);
  const isAllowed = (recipient: string) => {
    const { local, domain } = splitAddress(recipient);
    return allowed.some((entry) => entry.domain === domain && (entry.local === '' || entry.local === local));
  };
  return recipients.find((recipient) => !isAllowed(recipient)) ?? null;
}

/**
 * Why these recipients may not be sent to by this configuration (the message names the first one refused), or null
 * when they may: the on-demand report and rollup functions check them alike.
 */
export function recipientsRefusal(
  recipients: readonly string[],
  email: { to: readonly string[]; allowedRecipients?: readonly string[] | undefined } | undefined,
): string | null {
  if (!email) return 'recipients: the configuration has no "email" (sender), so this deployment sends no email';
  const refused = recipientNotAllowed(recipients, email);
  if (refused === null) return null;
  const rule = email.allowedRecipients
    ? 'email.allowedRecipients names neither it nor its "@domain"'
    : 'without email.allowedRecipients only the configured email.to addresses may receive reports';
  return `recipients: ${refused} is not allowed (${rule})`;
}

/** `Ann@Example.com` → `{ local: 'Ann', domain: 'example.com' }`; `@example.com` has an empty local part. */
function splitAddress(address: string): { local: string; domain: string } {
  const at = address.lastIndexOf('@');
  return { local: address.slice(0, at), domain: address.slice(at + 1).toLowerCase() };
}
