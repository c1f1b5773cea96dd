import { simpleParser } from 'mailparser';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ReportV1, RollupDay } from '../../../functions/analysis/report-model.js';
import { composeReportEmail } from '../../../functions/render/email.js';
import { rollupName, rollupSummary } from '../../../functions/render/rollup-summary.js';
import { loadTemplates, type Templates } from '../../../functions/render/templates.js';
import { buildViewModel } from '../../../functions/render/view-model.js';
import { HOSTILE, SAMPLE_BRANDING, sampleReport } from '../../support/sample-report.js';

const PDF = new TextEncoder().encode('%PDF-1.7\n%%EOF\n');
const ARCHIVE = 's3://evidence/sox/rollup/2026-11-01_2026-11-30/';

const verified = (date: string): RollupDay => ({
  date,
  bundle: `daily/${date.replaceAll('-', '/')}`,
  status: 'verified',
  manifestSha256: 'a'.repeat(64),
  problems: [],
  figures: null,
});
const missing = (date: string): RollupDay => ({
  date,
  bundle: `daily/${date.replaceAll('-', '/')}`,
  status: 'missing',
  manifestSha256: null,
  problems: ['no daily bundle for the day'],
  figures: null,
});

/** November 2026 in New York: 1–3 missing, 4–28 verified, 29 failing, 30 missing. */
function novemberRollup(failure = 'report.json: SHA-256 differs from the manifest'): ReportV1 {
  const days = Array.from({ length: 30 }, (_, i) => `2026-11-${String(i + 1).padStart(2, '0')}`);
  const report = sampleReport();
  return {
    ...report,
    period: {
      from: '2026-11-01T04:00:00.000000000Z',
      to: '2026-12-01T05:00:00.000000000Z',
      timezone: 'America/New_York',
      kind: 'rollup',
    },
    rollup: {
      first: '2026-11-01',
      last: '2026-11-30',
      verified: 25,
      failed: 1,
      missing: 4,
      days: days.map((date) => {
        const day = Number(date.slice(-2));
        if (day <= 3 || day === 30) return missing(date);
        if (day === 29)
          return { ...verified(date), status: 'failed', problems: [failure, 'manifest.json.sig: does not verify'] };
        return verified(date);
      }),
    },
  };
}

let templates: Templates;
beforeAll(async () => {
  templates = await loadTemplates();
});

async function emailOf(report: ReportV1) {
  const vm = buildViewModel(report, {
    branding: SAMPLE_BRANDING,
    maxRows: 100,
    signed: true,
    archiveLocation: ARCHIVE,
  });
  const email = await composeReportEmail(vm, templates, {
    from: 'reports@example.com',
    to: ['cfo@example.com'],
    pdf: PDF,
    archiveLocation: ARCHIVE,
    date: new Date('2026-12-02T11:05:00Z'),
  });
  return { email, parsed: await simpleParser(Buffer.from(email.raw)) };
}

describe('the email of a rollup', () => {
  it('says in its subject that it is a rollup of the period', async () => {
    const { email, parsed } = await emailOf(novemberRollup());
    const subject =
      '[FAIL] NATS SOX control report — rollup of November 2026, 2026-11-01 to 2026-11-30 (America/New_York) — ' +
      'Acme Payments <Ltd> & Co';
    expect(email.subject).toBe(subject);
    expect(parsed.subject).toBe(subject);
  });

  it('lists the days missing or failing, consecutive days with the same finding once, in both bodies', async () => {
    const { parsed } = await emailOf(novemberRollup());
    const text = parsed.text ?? '';
    expect(text).toContain(
      'This is a rollup of November 2026, 2026-11-01 to 2026-11-30, built from the sealed daily bundles of its ' +
        '30 days:\n25 verified, 1 failed verification, 4 missing. Only verified days are counted.\n\n' +
        'DAYS MISSING OR FAILING VERIFICATION\n' +
        '  [missing] 2026-11-01 to 2026-11-03: no daily bundle for the day\n' +
        '  [failed] 2026-11-29: report.json: SHA-256 differs from the manifest; manifest.json.sig: does not verify\n' +
        '  [missing] 2026-11-30: no daily bundle for the day\n',
    );
    expect(text).toContain('sox-report attest --rollup 2026-11-01_2026-11-30 --by "<your name>"');
    const html = parsed.html || '';
    expect(html).toContain('This is a rollup of <strong>November 2026, 2026-11-01 to 2026-11-30</strong>');
    expect(html).toContain('<strong>2026-11-01 to 2026-11-03</strong> missing');
    expect(html).toContain('<strong>2026-11-29</strong> failed');
  });

  it('says so when every day verified, and a daily email has none of it', async () => {
    const all = novemberRollup();
    all.rollup = {
      ...all.rollup!,
      verified: 30,
      failed: 0,
      missing: 0,
      days: all.rollup!.days.map((d) => verified(d.date)),
    };
    const { parsed } = await emailOf(all);
    expect(parsed.text).toContain(
      'DAYS MISSING OR FAILING VERIFICATION\n  None: every day rests on a verified daily bundle.\n',
    );
    const daily = await emailOf(sampleReport());
    expect(daily.parsed.text).not.toContain('This is a rollup');
    expect(daily.parsed.text).not.toContain('DAYS MISSING OR FAILING VERIFICATION');
    expect(daily.email.subject).toContain('— 2026-11-24 (America/New_York) —');
  });

  it('escapes a hostile reason in the HTML and shows invisible characters as escapes', async () => {
    const { parsed } = await emailOf(novemberRollup(`${HOSTILE.script} \u202Etxt.exe`));
    expect(parsed.html).not.toContain('<script>');
    expect(parsed.html).toContain('&lt;script&gt;');
    expect(parsed.text).toContain('<script>alert("x")</script> \\u202Etxt.exe');
  });
});

describe('the name of a rollup period', () => {
  it('names whole months, quarters and years, and spells out any other span', () => {
    expect(rollupName('2026-02-01', '2026-02-28')).toBe('February 2026');
    expect(rollupName('2026-10-01', '2026-12-31')).toBe('2026-Q4');
    expect(rollupName('2026-01-01', '2026-12-31')).toBe('2026');
    expect(rollupName('2026-11-03', '2026-11-09')).toBe('2026-11-03 to 2026-11-09');
    expect(rollupName('2026-11-01', '2026-12-31')).toBe('2026-11-01 to 2026-12-31');
    expect(rollupName('2026-11-24', '2026-11-24')).toBe('2026-11-24');
  });

  it('groups only consecutive days with the same status and reasons', () => {
    const summary = rollupSummary(novemberRollup().rollup!);
    expect(summary.exceptions.map((e) => [e.days, e.status])).toEqual([
      ['2026-11-01 to 2026-11-03', 'missing'],
      ['2026-11-29', 'failed'],
      ['2026-11-30', 'missing'],
    ]);
  });
});
