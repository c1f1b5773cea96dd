/**
 * Account and user names come from JWTs, chosen by whoever holds a key: in the Access review (PDF, HTML), the email
 * and its incidents, and the demo's summary they are text, with control and bidi characters as escapes, markup as
 * characters, and a very long one whole. The access section is derived from real captured answers with such names.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser } from 'mailparser';
import { beforeAll, describe, expect, it } from 'vitest';
import { deriveAccess } from '../../../functions/access/derive.js';
import type { AccessSection } from '../../../functions/access/model.js';
import { accessChange } from '../../../functions/analysis/detection/access-change.js';
import type { ReportV1 } from '../../../functions/analysis/report-model.js';
import { summarizeAccess } from '../../../functions/cli/demo.js';
import { shown } from '../../../functions/cli/exit.js';
import { composeReportEmail } from '../../../functions/render/email.js';
import { renderReportHtml } from '../../../functions/render/html.js';
import { renderReportPdf } from '../../../functions/render/pdf.js';
import { loadTemplates, type Templates } from '../../../functions/render/templates.js';
import { buildViewModel } from '../../../functions/render/view-model.js';
import { AUDIT_READ_PERMISSIONS } from '../../../functions/local/operator-hub.js';
import { accessFixture, accountInfo, usersSeen } from '../../support/access-fixtures.js';
import { inputsWithPrevious } from '../../support/sample-access.js';
import { SAMPLE_BRANDING, sampleReport } from '../../support/sample-report.js';

const ARTIFACTS = fileURLToPath(new URL('../../artifacts/', import.meta.url));

/** An override, isolates, markup, a bell and a line break that would forge a line of its own, and a long tail. */
const TAIL = `${'N'.repeat(1500)}-end`;
const ACCOUNT_NAME = `\u202Egnp.exe\u2066<img src=x onerror=alert(1)>\u2069\u0007\nsox-report: ok ${TAIL}`;
const USER_NAME = '\u2067bob\u2069\u001b[2J</td><script>alert(1)</script>';
/** How every document writes them. */
const ACCOUNT_SHOWN = `\\u202Egnp.exe\\u2066<img src=x onerror=alert(1)>\\u2069\\u0007\\nsox-report: ok ${TAIL}`;
const USER_SHOWN = '\\u2067bob\\u2069\\u001B[2J</td><script>alert(1)</script>';
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/;

const f = accessFixture('operator', '2.10.27');
const APP = f.accounts!.APP;
const BOB = f.users!.bob;

/** The operator layout with APP and bob renamed, its previous day revoking bob: a change that names both. */
function hostileAccess(): AccessSection {
  const recorded = structuredClone(f.recorded);
  for (const a of recorded.answers)
    if (a.request === 'account-info' && (a.data as { account_name?: string }).account_name === APP)
      (a.data as Record<string, unknown>).name_tag = ACCOUNT_NAME;
  expect(accountInfo({ ...f, recorded }, APP).name_tag).toBe(ACCOUNT_NAME);
  const users = usersSeen(f).map((u) => (u.user === BOB ? { ...u, userName: USER_NAME } : u));
  const facts = { recorded, users, readOnly: AUDIT_READ_PERMISSIONS.pub.allow, previous: null };
  const previous = structuredClone(deriveAccess(facts));
  previous.accounts.find((a) => a.account === APP)!.revocations = [{ user: BOB, before: '2026-11-01T00:00:00Z' }];
  return deriveAccess({ ...facts, previous });
}

let report: ReportV1;
let pdf: string;
let html: string;
let templates: Templates;

beforeAll(async () => {
  const access = hostileAccess();
  report = { ...sampleReport(), access, inputs: inputsWithPrevious({ ...sampleReport(), access }) };
  // The incident the change opens, as the email lists it.
  const [detection] = accessChange(report);
  report.incidents = [
    {
      id: 'INC-20261124-access-change-1',
      rule: detection!.rule,
      severity: 'high',
      status: 'open',
      summary: detection!.summary,
    },
  ];
  templates = await loadTemplates();
  const vm = buildViewModel(report, { branding: SAMPLE_BRANDING, maxRows: 1000, signed: true });
  html = renderReportHtml(vm, templates);
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, 'report-access-hostile.pdf');
  writeFileSync(file, await renderReportPdf(vm));
  const result = spawnSync('pdftotext', ['-raw', file, '-'], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  pdf = result.stdout;
});

describe('hostile account and user names in the access evidence', () => {
  it('are derived as the JWTs and connect events gave them (report.json keeps the evidence as it was)', () => {
    const access = report.access!;
    expect(access.accounts.find((a) => a.account === APP)!.accountName).toBe(ACCOUNT_NAME);
    expect(access.users.find((u) => u.user === BOB)!.userName).toBe(USER_NAME);
    expect(access.changes.map((c) => [c.kind, c.detail])).toEqual([
      [
        'revocation-removed',
        `account ${ACCOUNT_NAME} (${APP.slice(0, 4)}…) lifted the revocation of user ${BOB} ` +
          '(issued before 2026-11-01T00:00:00Z)',
      ],
    ]);
  });

  it('reach the PDF as escapes and text, the long name whole', () => {
    // pdftotext ends each page with a form feed: the only control of its own.
    expect(pdf.replaceAll('\f', '')).not.toMatch(RAW);
    // Cells wrap where the layout puts them: compared without white space.
    const joined = pdf.replace(/\s+/g, '');
    const squeeze = (s: string) => s.replace(/\s+/g, '');
    expect(joined).toContain(squeeze(`revocation lifted account ${ACCOUNT_SHOWN} (${APP.slice(0, 4)}…)`));
    expect(joined).toContain(squeeze(`${USER_SHOWN} (${BOB.slice(0, 4)}…)`));
    expect(pdf).toContain('Access review');
  });

  it('reach the HTML as escapes, markup as characters: no tag, no raw control', () => {
    expect(html).not.toMatch(RAW);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script>');
    expect(html).toContain(
      '\\u202Egnp.exe\\u2066&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;\\u2069\\u0007\\nsox-report: ok',
    );
    expect(html).toContain('\\u2067bob\\u2069\\u001B[2J&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain(TAIL);
  });

  it('reach the email (its incidents) as escapes in both bodies', async () => {
    const vm = buildViewModel(report, { branding: SAMPLE_BRANDING, maxRows: 100, signed: true });
    const email = await composeReportEmail(vm, templates, {
      from: 'reports@example.com',
      to: ['audit@example.com'],
      pdf: new Uint8Array([0x25, 0x50, 0x44, 0x46]),
      archiveLocation: null,
      date: new Date('2026-11-25T06:00:00Z'),
      messageId: '<hostile@example.com>',
    });
    const parsed = await simpleParser(Buffer.from(email.raw));
    expect(parsed.text).toContain('1 access change since the previous daily report: see Access review.');
    expect(parsed.text).toContain(`[OPEN] INC-20261124-access-change-1 access-change, severity high`);
    expect(parsed.text).toContain(`lifted the revocation of user ${BOB}`);
    expect(parsed.text).toContain(`account ${ACCOUNT_SHOWN}`);
    for (const body of [parsed.text!, parsed.html as string]) expect(body).not.toMatch(RAW);
    expect(parsed.html).not.toContain('<img');
  });

  it("reach the demo's summary as escapes, one line each", () => {
    const lines: string[] = [];
    // As the demo prints: every line through `shown`, which keeps line breaks.
    summarizeAccess(report.access!, (line = '') => lines.push(shown(line)));
    expect(lines.filter((l) => l.includes('\n') || RAW.test(l))).toEqual([]);
    expect(lines).toContain(
      `    account ${ACCOUNT_SHOWN} (${APP.slice(0, 4)}…): exports stream $JS.EVENT.ADVISORY.>; 0 imports`,
    );
    expect(lines.find((l) => l.startsWith('    users seen: 5; administrators: '))).toContain(
      `${USER_SHOWN} (${BOB.slice(0, 4)}…)`,
    );
    expect(lines).toContain('    access changes since the previous daily report: 1');
  });
});
