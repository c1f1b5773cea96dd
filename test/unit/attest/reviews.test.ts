import { describe, expect, it } from 'vitest';
import { reportsReviewed } from '../../../functions/analysis/controls/reviews.js';
import type { ControlInputs } from '../../../functions/analysis/controls/inputs.js';
import type { RecordedReviews, ReviewAttestation } from '../../../functions/analysis/report-model.js';
import { earlierDays, judgeReviews } from '../../../functions/analysis/reviews.js';
import { bundleOfDate, checkAttestationRequest } from '../../../functions/attest/request.js';
import { InputError } from '../../../functions/errors.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const signOff = (manifestSha256: string): ReviewAttestation => ({
  by: 'Ann Auditor',
  decision: 'approved',
  note: null,
  at: '2026-11-23T09:00:00.000000000Z',
  manifestSha256,
  identity: { nats: { account: 'AUDIT', user: 'audit' }, iamPrincipal: null },
});
const recorded = (date: string, attestations: ReviewAttestation[]): RecordedReviews => ({
  deadlineDays: 3,
  lookbackDays: 14,
  recordError: null,
  bundles: [{ bundle: `daily/${date.replaceAll('-', '/')}`, date, manifestSha256: A, attestations }],
});
const verdict = (r: RecordedReviews) =>
  reportsReviewed({ reviews: judgeReviews(r, '2026-11-24') } as unknown as ControlInputs);
const inputError = (run: () => unknown) => {
  try {
    run();
  } catch (err) {
    return err instanceof InputError ? err.issue : err;
  }
  return null;
};

describe('reports-reviewed', () => {
  it('fails for a bundle older than the deadline that nobody reviewed', () => {
    expect(verdict(recorded('2026-11-20', []))).toEqual({
      status: 'fail',
      detail: 'daily/2026/11/20 was not reviewed within 3 days (4 days old)',
    });
  });

  it('passes for a reviewed bundle', () => {
    expect(verdict(recorded('2026-11-20', [signOff(A)]))).toEqual({
      status: 'pass',
      detail: '1 of 1 earlier daily bundle signed off',
    });
  });

  it('fails when an attestation names another manifest than the archived one', () => {
    expect(verdict(recorded('2026-11-23', [signOff(A), signOff(B)]))).toEqual({
      status: 'fail',
      detail:
        `daily/2026/11/23: an attestation by Ann Auditor names manifest SHA-256 ${B}, ` +
        `the archived manifest's is ${A}`,
    });
  });

  it('passes for a bundle not yet due, and names it', () => {
    expect(verdict(recorded('2026-11-21', []))).toEqual({
      status: 'pass',
      detail: '0 of 1 earlier daily bundle signed off; not yet due (deadline 3 days): daily/2026/11/21',
    });
    expect(judgeReviews(recorded('2026-11-21', []), '2026-11-24').bundles[0]).toMatchObject({
      ageDays: 3,
      status: 'not-yet-due',
    });
  });

  it('warns when the record could not be read, and does not apply outside daily reports', () => {
    const unread = 'the attestation record could not be read (timeout)';
    expect(verdict({ ...recorded('2026-11-20', []), recordError: unread })).toEqual({
      status: 'warn',
      detail: 'the sign-offs could not be judged: the attestation record could not be read (timeout)',
    });
    expect(reportsReviewed({ reviews: null } as unknown as ControlInputs).status).toBe('not-applicable');
  });

  it('looks back on the days before the report, newest first', () => {
    expect(earlierDays('2026-03-01', 3)).toEqual(['2026-02-28', '2026-02-27', '2026-02-26']);
  });
});

describe('attestation requests', () => {
  const ok = { bundle: 'daily/2026/11/24', decision: 'approved' as const, note: '  ', by: ' Ann ' };

  it('trims the name and drops an empty note', () => {
    expect(checkAttestationRequest(ok)).toEqual({
      bundle: 'daily/2026/11/24',
      decision: 'approved',
      note: null,
      by: 'Ann',
    });
  });

  it('refuses an exception without a note, a bad decision, no name and a bad bundle or date', () => {
    expect(inputError(() => checkAttestationRequest({ ...ok, decision: 'exception' }))).toEqual({
      field: 'note',
      problem: 'an exception needs a note saying what is wrong',
    });
    expect(inputError(() => checkAttestationRequest({ ...ok, decision: 'maybe' as never }))).toEqual({
      field: 'decision',
      problem: '"maybe" is not a decision: approved or exception',
    });
    expect(inputError(() => checkAttestationRequest({ ...ok, by: ' ' }))).toEqual({
      field: 'by',
      problem: 'must name the person signing off',
    });
    expect(inputError(() => checkAttestationRequest({ ...ok, bundle: 'daily/2026/02/30' }))).toEqual({
      field: 'bundle',
      problem: '"daily/2026/02/30" does not name a calendar day',
    });
    expect(inputError(() => bundleOfDate('2026-13-01'))).toEqual({
      field: 'date',
      problem: '"2026-13-01" is not a calendar date (YYYY-MM-DD)',
    });
    expect(bundleOfDate('2026-11-24')).toBe('daily/2026/11/24');
  });
});
