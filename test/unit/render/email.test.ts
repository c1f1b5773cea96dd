import { simpleParser } from 'mailparser';
import { beforeAll, describe, expect, it } from 'vitest';
import { composeReportEmail, reportSubject } from '../../../functions/render/email.js';
import { loadTemplates, type Templates } from '../../../functions/render/templates.js';
import { buildViewModel } from '../../../functions/render/view-model.js';
import type { Branding, ViewModel } from '../../../functions/render/view-model-types.js';
import { HOSTILE, NON_LATIN, SAMPLE_BRANDING, sampleReport } from '../../support/sample-report.js';
import { configFileAccess, sampleReportWithAccess } from '../../support/sample-access.js';

/** Every byte value, behind a PDF header: the attachment must survive MIME encoding unchanged. */
const PDF = new Uint8Array([
  ...new TextEncoder().encode('%PDF-1.7\n%\u00e2\u00e3\n'),
  ...Array.from({ length: 256 }, (_, i) => i),
  0x0d,
  0x0a,
  0x0d,
]);
const DATE = new Date('2026-11-25T06:00:05.000Z');
const ARCHIVE = 's3://evidence/sox/daily/2026/11/24/';

function viewModel(branding: Partial<Branding> = {}, report = sampleReport()): ViewModel {
  return buildViewModel(report, {
    branding: { ...SAMPLE_BRANDING, ...branding },
    maxRows: 100,
    signed: true,
    archiveLocation: ARCHIVE,
  });
}

let templates: Templates;
beforeAll(async () => {
  templates = await loadTemplates();
});

const compose = (vm = viewModel()) =>
  composeReportEmail(vm, templates, {
    from: 'reports@example.com',
    to: ['cfo@example.com', 'audit@example.com'],
    pdf: PDF,
    archiveLocation: ARCHIVE,
    date: DATE,
    messageId: '<report-2026-11-24@example.com>',
  });

const headerBlock = (raw: Uint8Array) => {
  const text = Buffer.from(raw).toString('latin1');
  return text.slice(0, text.indexOf('\r\n\r\n'));
};

describe('the report email', () => {
  it('has a subject with status, period and company, and the right sender and recipients', async () => {
    const email = await compose();
    const subject = '[FAIL] NATS SOX control report — 2026-11-24 (America/New_York) — Acme Payments <Ltd> & Co';
    expect(email.subject).toBe(subject);
    expect(email.from).toBe('reports@example.com');
    expect(email.to).toEqual(['cfo@example.com', 'audit@example.com']);

    const parsed = await simpleParser(Buffer.from(email.raw));
    expect(parsed.subject).toBe(subject);
    expect(parsed.from?.value.map((a) => a.address)).toEqual(['reports@example.com']);
    const to = Array.isArray(parsed.to) ? parsed.to.flatMap((t) => t.value) : (parsed.to?.value ?? []);
    expect(to.map((a) => a.address)).toEqual(['cfo@example.com', 'audit@example.com']);
    expect(parsed.date?.toISOString()).toBe(DATE.toISOString());
    expect(parsed.messageId).toBe('<report-2026-11-24@example.com>');
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
  });

  it('encodes a non-Latin company name in the subject and the sender name', async () => {
    const parsed = await simpleParser(Buffer.from((await compose(viewModel({ company: NON_LATIN.greek }))).raw));
    expect(parsed.subject).toBe(`[FAIL] NATS SOX control report — 2026-11-24 (America/New_York) — ${NON_LATIN.greek}`);
    expect(parsed.from?.value[0]?.name).toBe(NON_LATIN.greek);
  });

  it('names an ad-hoc period by its local boundaries', () => {
    const report = sampleReport();
    report.period = {
      ...report.period,
      kind: 'adhoc',
      date: undefined,
      from: '2026-11-24T13:00:00.000000000Z',
      to: '2026-11-24T17:30:00.000000000Z',
    };
    expect(reportSubject(viewModel({ company: null }, report))).toBe(
      '[FAIL] NATS SOX control report — ad hoc 2026-11-24 08:00 to 2026-11-24 12:30 (America/New_York)',
    );
  });

  it('says how many access changes there are, in both bodies, and nothing when there are none', async () => {
    const line = '4 access changes since the previous daily report: see Access review.';
    const parsed = await simpleParser(Buffer.from((await compose(viewModel({}, sampleReportWithAccess()))).raw));
    expect(parsed.text).toContain(`1 of 3 controls failed and 1 warned: see Safeguards.\n${line}\n`);
    expect(parsed.html).toContain(`<p style="margin:8px 0 0;font-size:15px;">${line}</p>`);
    for (const report of [sampleReportWithAccess(configFileAccess()), sampleReport()]) {
      const quiet = await simpleParser(Buffer.from((await compose(viewModel({}, report))).raw));
      for (const body of [quiet.text, quiet.html]) expect(body).not.toContain('access change');
    }
  });

  it('attaches the PDF once, as report.pdf, byte for byte', async () => {
    const parsed = await simpleParser(Buffer.from((await compose()).raw));
    expect(parsed.attachments).toHaveLength(1);
    const [pdf] = parsed.attachments;
    expect(pdf?.filename).toBe('report.pdf');
    expect(pdf?.contentType).toBe('application/pdf');
    expect(Buffer.compare(pdf!.content, Buffer.from(PDF))).toBe(0);
  });

  it('says the same in its text and HTML bodies: status, failed controls, open incidents, archive', async () => {
    const parsed = await simpleParser(Buffer.from((await compose()).raw));
    const text = parsed.text ?? '';
    const html = typeof parsed.html === 'string' ? parsed.html : '';
    for (const body of [text, html]) {
      expect(body).toContain('FAIL');
      expect(body).toContain('Completeness of every captured stream in the period');
      expect(body).toContain('INC-20261124-0001');
      expect(body).toContain(ARCHIVE);
      expect(body).toContain('Daily report for Tuesday, November 24, 2026');
      expect(body).toContain('Connections');
    }
    expect(text).not.toContain('INC-20261124-0002'); // resolved
    expect(text).toMatch(/Connections: 42/);
  });

  it('says how to sign the report off, with the exact command, and where the bundle is', async () => {
    const parsed = await simpleParser(Buffer.from((await compose()).raw));
    const command =
      'sox-report attest --date 2026-11-24 --by "<your name>" --decision approved|exception ' +
      '[--note "<what you found>"]';
    expect(parsed.text).toContain(
      `Archived at: ${ARCHIVE}\n\nTo sign this report off once you have reviewed it (an exception needs a note):\n` +
        `  ${command}\n`,
    );
    const html = typeof parsed.html === 'string' ? parsed.html : '';
    expect(html).toContain(
      '<code style="word-break:break-all;">sox-report attest --date 2026-11-24 --by &quot;&lt;your name&gt;&quot; ' +
        '--decision approved|exception [--note &quot;&lt;what you found&gt;&quot;]</code>',
    );
  });

  it('escapes hostile values in HTML and leaves the plain text unescaped', async () => {
    const parsed = await simpleParser(Buffer.from((await compose()).raw));
    const html = typeof parsed.html === 'string' ? parsed.html : '';
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/onerror=/i);
    expect(html).toContain('&quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
    expect(html).toContain('Acme Payments &lt;Ltd&gt; &amp; Co');
    expect(parsed.text).toContain(HOSTILE.attribute);
    expect(parsed.text).toContain('Acme Payments <Ltd> & Co');
    expect(parsed.text).not.toContain('&lt;');
  });

  it('cannot be given a header by a name: CR/LF in the company stays inside the subject', async () => {
    const email = await compose(viewModel({ company: `Acme${HOSTILE.header}` }));
    const parsed = await simpleParser(Buffer.from(email.raw));
    expect(parsed.bcc).toBeUndefined();
    expect(parsed.headers.has('bcc')).toBe(false);
    expect(headerBlock(email.raw)).not.toMatch(/^bcc:/im);
    // Shown as escapes, as everywhere else: the reader sees that the name held a line break.
    expect(parsed.subject).toContain('Acmeevil\\r\\nBcc: attacker@example.com');
    expect(email.subject).not.toMatch(/[\r\n]/);
  });

  it(
    'shows bidi overrides, isolates and control characters as escapes in the subject, ' +
      'the sender name and both bodies',
    async () => {
      const report = sampleReport();
      const open = report.incidents.find((i) => i.status === 'open')!;
      open.summary = '5 failed logins for \u202Enimda\u2066x\u2069\u200F\u001b[2J';
      const email = await compose(viewModel({ company: 'Acme\u202Egnp.exe' }, report));
      const parsed = await simpleParser(Buffer.from(email.raw));
      const text = parsed.text ?? '';
      const html = typeof parsed.html === 'string' ? parsed.html : '';
      // MIME bodies keep their own line breaks (CR LF); nothing else of the kind may reach the reader.
      const hidden = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
      expect(parsed.subject).toBe(
        '[FAIL] NATS SOX control report — 2026-11-24 (America/New_York) — Acme\\u202Egnp.exe',
      );
      expect(parsed.from?.value[0]?.name).toBe('Acme\\u202Egnp.exe');
      for (const body of [text, html]) {
        expect(body).not.toMatch(hidden);
        expect(body).toContain('5 failed logins for \\u202Enimda\\u2066x\\u2069\\u200F\\u001B[2J');
        expect(body).toContain('Acme\\u202Egnp.exe');
      }
    },
  );
});
