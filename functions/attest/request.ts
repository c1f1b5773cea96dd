/**
 * What a reviewer asks to record, checked before anything is read or connected (pure): the bundle's path, the
 * decision, a note for an exception, and who they say they are.
 */
import { dailyBundlePath } from '../archive/layout.js';
import { InputError } from '../errors.js';
import type { AttestationDecision, AttestationRequest } from './model.js';

export const DECISIONS: readonly AttestationDecision[] = ['approved', 'exception'];
export const MAX_BY = 200;
export const MAX_NOTE = 4000;

const DAILY = /^daily\/\d{4}\/\d{2}\/\d{2}$/;
const ADHOC = /^adhoc\/\d{8}T\d{2,6}(?:\.\d{1,9})?Z_\d{8}T\d{2,6}(?:\.\d{1,9})?Z$/;

/** A calendar day (YYYY-MM-DD) that exists. */
function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const t = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === text;
}

/** The daily bundle of a calendar day (`2026-11-24` → `daily/2026/11/24`). */
export function bundleOfDate(date: string): string {
  if (!isCalendarDate(date))
    throw new InputError({ field: 'date', problem: `"${date}" is not a calendar date (YYYY-MM-DD)` });
  return dailyBundlePath(date);
}

/** The day a daily bundle is for, or the bundle itself: how a message names it to a person. */
export function describeBundle(bundle: string): string {
  const m = /^daily\/(\d{4})\/(\d{2})\/(\d{2})$/.exec(bundle);
  return m ? `the daily bundle of ${m[1]}-${m[2]}-${m[3]} (${bundle})` : `bundle ${bundle}`;
}

/** The request as it is recorded (trimmed, note null when empty), or an InputError naming what to fix. */
export function checkAttestationRequest(request: AttestationRequest): AttestationRequest {
  const bundle = request.bundle.replace(/\/+$/, '');
  if (!DAILY.test(bundle) && !ADHOC.test(bundle)) {
    throw new InputError({
      field: 'bundle',
      problem: `"${bundle}" is not a bundle path (daily/YYYY/MM/DD or adhoc/<from>_<to>, as in the archive)`,
    });
  }
  const day = /^daily\/(\d{4})\/(\d{2})\/(\d{2})$/.exec(bundle);
  if (day && !isCalendarDate(`${day[1]}-${day[2]}-${day[3]}`))
    throw new InputError({ field: 'bundle', problem: `"${bundle}" does not name a calendar day` });
  if (!DECISIONS.includes(request.decision)) {
    throw new InputError({
      field: 'decision',
      problem: `"${String(request.decision)}" is not a decision: approved or exception`,
    });
  }
  const by = request.by.trim();
  if (!by) throw new InputError({ field: 'by', problem: 'must name the person signing off' });
  if (by.length > MAX_BY) throw new InputError({ field: 'by', problem: `must be at most ${MAX_BY} characters` });
  const note = request.note?.trim() || null;
  if (note !== null && note.length > MAX_NOTE)
    throw new InputError({ field: 'note', problem: `must be at most ${MAX_NOTE} characters` });
  if (request.decision === 'exception' && note === null)
    throw new InputError({ field: 'note', problem: 'an exception needs a note saying what is wrong' });
  return { bundle, decision: request.decision, note, by };
}
