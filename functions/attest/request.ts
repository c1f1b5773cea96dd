/**
 * What a reviewer asks to record, checked before anything is read or connected (pure): the bundle's path, the
 * decision, a note for an exception, and who they say they are.
 */
import { dailyBundlePath, rollupBundlePath } from '../archive/layout.js';
import { InputError } from '../errors.js';
import type { AttestationDecision, AttestationRequest } from './model.js';

export const DECISIONS: readonly AttestationDecision[] = ['approved', 'exception'];
export const MAX_BY = 200;
export const MAX_NOTE = 4000;

const DAILY = /^daily\/\d{4}\/\d{2}\/\d{2}$/;
const ADHOC = /^adhoc\/\d{8}T\d{2,6}(?:\.\d{1,9})?Z_\d{8}T\d{2,6}(?:\.\d{1,9})?Z$/;
const ROLLUP = /^rollup\/(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})$/;

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

/** The rollup bundle of FROM_TO (`2026-11-01_2026-11-30` → `rollup/2026-11-01_2026-11-30`), as `rollup` names it. */
export function bundleOfRollup(fromTo: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})$/.exec(fromTo);
  if (!m || !isCalendarDate(m[1]!) || !isCalendarDate(m[2]!) || m[1]! > m[2]!) {
    throw new InputError({
      field: 'rollup',
      problem:
        `"${fromTo}" is not a rollup's FROM_TO (two calendar days YYYY-MM-DD_YYYY-MM-DD, the first not after ` +
        'the last, as in rollup/<from>_<to>)',
    });
  }
  return rollupBundlePath(m[1]!, m[2]!);
}

/** The day a daily bundle is for, the days of a rollup, or the bundle itself: how a message names it to a person. */
export function describeBundle(bundle: string): string {
  const m = /^daily\/(\d{4})\/(\d{2})\/(\d{2})$/.exec(bundle);
  if (m) return `the daily bundle of ${m[1]}-${m[2]}-${m[3]} (${bundle})`;
  const r = ROLLUP.exec(bundle);
  return r ? `the rollup of ${r[1]} to ${r[2]} (${bundle})` : `bundle ${bundle}`;
}

/** The request as it is recorded (trimmed, note null when empty), or an InputError naming what to fix. */
export function checkAttestationRequest(request: AttestationRequest): AttestationRequest {
  const bundle = request.bundle.replace(/\/+$/, '');
  if (!DAILY.test(bundle) && !ADHOC.test(bundle) && !ROLLUP.test(bundle)) {
    throw new InputError({
      field: 'bundle',
      problem:
        `"${bundle}" is not a bundle path (daily/YYYY/MM/DD, adhoc/<from>_<to> or rollup/<first>_<last>, ` +
        'as in the archive)',
    });
  }
  const rollup = ROLLUP.exec(bundle);
  if (rollup && (!isCalendarDate(rollup[1]!) || !isCalendarDate(rollup[2]!) || rollup[1]! > rollup[2]!))
    throw new InputError({ field: 'bundle', problem: `"${bundle}" does not name two calendar days, first to last` });
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
