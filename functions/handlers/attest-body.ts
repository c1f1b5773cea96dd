import { z } from 'zod';
import type { AttestationDecision } from '../attest/model.js';
import { bundleOfDate, MAX_BY, MAX_NOTE } from '../attest/request.js';
import { InputError } from '../errors.js';
import { issueText } from '../text/zod-issue.js';
import { payloadKeyName, type Parsed } from './on-demand-payload.js';

/**
 * The body a reviewer POSTs to the attest function's URL: the bundle by its calendar day (`date`, the daily bundle)
 * or by its archive path (`bundle`: `daily/2026/11/24`, `adhoc/…`), the decision, a note (required for an exception,
 * which the core checks, as it checks the bundle path) and optionally the name they give. Who they are is not in
 * here: it is the IAM principal that signed the request.
 */
export const attestBody = z.strictObject({
  date: z.string().max(40).optional(),
  bundle: z.string().min(1, 'must not be empty').max(200).optional(),
  decision: z.enum(['approved', 'exception'], 'must be "approved" or "exception"'),
  note: z.string().max(MAX_NOTE).optional(),
  by: z.string().min(1, 'must not be empty').max(MAX_BY).optional(),
});

export type AttestBody = z.output<typeof attestBody>;

/** What the body asks to record, the bundle resolved to its archive path; `by` is still the caller's to default. */
export interface AttestAsked {
  bundle: string;
  decision: AttestationDecision;
  note: string | null;
  by: string | null;
}

/**
 * Checks the body (JSON text, as the function URL hands it over). Messages name the key (`"date": …`, as the
 * on-demand function words them) and never echo a value but a date.
 */
export function parseAttestBody(text: string | undefined): Parsed<AttestAsked> {
  if (text === undefined || text.trim() === '') {
    return { ok: false, message: 'the request has no body: send {"date" or "bundle", "decision", "note"?, "by"?}' };
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return { ok: false, message: 'the body is not valid JSON' };
  }
  const parsed = attestBody.safeParse(document);
  if (!parsed.success) {
    const allowed = Object.keys(attestBody.shape).join(', ');
    const lines = parsed.error.issues.map((issue) => quoteKey(issueText(issue, '')));
    return { ok: false, message: `invalid body (allowed keys: ${allowed}): ${lines.join('; ')}` };
  }
  const { date, bundle, decision, note, by } = parsed.data;
  if (date !== undefined && bundle !== undefined)
    return { ok: false, message: 'use either "date" or "bundle", not both' };
  if (date === undefined && bundle === undefined) {
    return { ok: false, message: '"date" or "bundle" is required: the bundle to attest' };
  }
  let path = bundle;
  if (date !== undefined) {
    try {
      // The CLI's rule: the calendar day's daily bundle, whatever the time zone.
      path = bundleOfDate(date);
    } catch (err) {
      if (err instanceof InputError) return { ok: false, message: err.worded(payloadKeyName) };
      throw err;
    }
  }
  return { ok: true, value: { bundle: path!, decision, note: note ?? null, by: by ?? null } };
}

/** `decision: must be …` → `"decision": must be …`: the body's keys as JSON, as `payloadKeyName` words them. */
function quoteKey(line: string): string {
  return line.replace(/^([A-Za-z]+): /, (_, key: string) => `${JSON.stringify(key)}: `);
}
