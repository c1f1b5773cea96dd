import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatNumber } from '../../../functions/render/format.js';
import { renderReportPdf } from '../../../functions/render/pdf.js';
import { displayText } from '../../../functions/render/pdf-table.js';
import { visible } from '../../../functions/text/visible.js';
import { buildViewModel } from '../../../functions/render/view-model.js';
import type { ViewModel } from '../../../functions/render/view-model-types.js';
import { HOSTILE, heavyReport, NON_LATIN, sampleReport, SAMPLE_BRANDING } from '../../support/sample-report.js';

const ARTIFACTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

let work: string;
let sampleVm: ViewModel;
let samplePdf: Uint8Array;
let samplePath: string;
let heavyVm: ViewModel;
let heavyPath: string;
let beforeEndCalls = 0;
let pageAtBeforeEnd = false;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'pdf-report-'));
  mkdirSync(ARTIFACTS, { recursive: true });

  sampleVm = buildViewModel(sampleReport(), { branding: SAMPLE_BRANDING, maxRows: 1000, signed: true });
  samplePdf = await renderReportPdf(sampleVm, {
    beforeEnd: (doc) => {
      beforeEndCalls += 1;
      pageAtBeforeEnd = Boolean((doc as unknown as { page?: unknown }).page);
    },
  });
  samplePath = path.join(ARTIFACTS, 'report.pdf');
  writeFileSync(samplePath, samplePdf);
  // -singlefile: pdftoppm writes report-page1.png instead of adding the page number to the name.
  execFileSync('pdftoppm', [
    '-png',
    '-r',
    '80',
    '-f',
    '1',
    '-l',
    '1',
    '-singlefile',
    samplePath,
    path.join(ARTIFACTS, 'report-page1'),
  ]);

  heavyVm = buildViewModel(heavyReport(3000), { branding: SAMPLE_BRANDING, maxRows: 1000, signed: true });
  heavyPath = path.join(ARTIFACTS, 'report-heavy.pdf');
  writeFileSync(heavyPath, await renderReportPdf(heavyVm));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function run(command: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function text(file: string, ...options: string[]): string {
  const result = run('pdftotext', [...options, file, '-']);
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

/** Extracted text with every run of whitespace as one space: lines wrap wherever the layout put them. */
const flat = (s: string) => s.replace(/\s+/g, ' ');

function pageCount(file: string): number {
  const info = run('pdfinfo', [file]);
  expect(info.status, info.stderr).toBe(0);
  const match = /^Pages:\s+(\d+)$/m.exec(info.stdout);
  expect(match).not.toBeNull();
  return Number(match![1]);
}

/** pdffonts' table as rows of named columns, cut at the positions of its dashed header rule. */
function fontTable(file: string): Record<string, string>[] {
  const result = run('pdffonts', [file]);
  expect(result.status, result.stderr).toBe(0);
  const lines = result.stdout.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0]!;
  const rule = lines[1]!;
  expect(rule).toMatch(/^-+( -+)+$/);
  const spans: [number, number][] = [];
  for (const m of rule.matchAll(/-+/g)) spans.push([m.index, m.index + m[0].length]);
  const names = spans.map(([a, _b], i) =>
    header.slice(a, i === spans.length - 1 ? undefined : spans[i + 1]![0]).trim(),
  );
  return lines.slice(2).map((line) => {
    const row: Record<string, string> = {};
    spans.forEach(([a], i) => {
      const end = i === spans.length - 1 ? undefined : spans[i + 1]![0];
      row[names[i]!] = line.slice(a, end).trim();
    });
    return row;
  });
}

describe('PDF report: the sample day', () => {
  it('is a well-formed PDF (qpdf --check: no errors, no warnings)', () => {
    const result = run('qpdf', ['--check', samplePath]);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('No syntax or stream encoding errors found');
    expect(result.stdout + result.stderr).not.toMatch(/warning|error:/i);
  });

  it('embeds every font it uses, all DejaVu, none of the standard 14', () => {
    const fonts = fontTable(samplePath);
    expect(fonts.length).toBeGreaterThanOrEqual(3);
    for (const font of fonts) {
      expect(font.emb, font.name).toBe('yes');
      expect(font.name).toMatch(/^[A-Z]{6}\+DejaVuSans/);
      expect(font.name).not.toMatch(/Helvetica|Times|Courier|Symbol|ZapfDingbats/);
    }
    expect(fonts.map((f) => f.name?.split('+')[1])).toEqual(
      expect.arrayContaining(['DejaVuSans', 'DejaVuSans-Bold', 'DejaVuSansMono']),
    );
  });

  it.each([
    ['-layout', ['-layout']],
    ['reading order', []],
    ['content order', ['-raw']],
  ])('says what the report says (pdftotext %s)', (_mode, options) => {
    const all = flat(text(samplePath, ...options));
    const expected = [
      'NATS SOX control report',
      'Acme Payments <Ltd> & Co',
      sampleVm.period.heading,
      sampleVm.period.fromLocal,
      sampleVm.period.toLocal,
      sampleVm.period.fromUtc,
      sampleVm.period.toUtc,
      'America/New_York',
      sampleVm.generatedAtLocal,
      'FAIL',
      sampleVm.statusSentence,
      '1,247',
      NON_LATIN.greek,
      NON_LATIN.cyrillic,
      NON_LATIN.latin,
      HOSTILE.script,
      HOSTILE.attribute,
      HOSTILE.template,
      // The header injection shows as the escapes report.json has, never as a line break (its cell wraps after
      // "Bcc:", so the whole value is checked in content order below).
      'evil\\r\\nBcc:',
      'INC-20261124-0001',
      'brute-force-login',
      // Wrapped cells interleave with their neighbours in -layout: whole cells are checked in content order.
      'Completeness of every captured stream in the period',
      'Changes attributed to a person',
      'Capture configured (capture)',
      'RESOLVED',
      'REFUSED',
      'WARNING',
    ];
    for (const phrase of expected) expect(all, phrase).toContain(flat(phrase));
    for (const section of sampleVm.sections) expect(all).toContain(section.title);
  });

  it('shows the key figures with their labels, and hostile values whole, in content order', () => {
    const raw = flat(text(samplePath, '-raw'));
    expect(raw).toContain('evil\\r\\nBcc: attacker@example.com');
    expect(raw).toContain('Completeness of every captured stream in the period (completeness)');
    expect(raw).toContain('messages were removed from the record: TRANSACTIONS: 3 messages missing (seq 2, 700-701)');
    expect(raw).toContain('42 Connections');
    expect(raw).toContain('1,247 Financial transactions');
    expect(raw).toContain('7 Authentication failures');
  });

  it('wraps a token without spaces instead of cutting it', () => {
    // In content order the wrapped lines of one cell follow each other.
    const joined = text(samplePath, '-raw').replace(/\s+/g, '');
    expect(joined).toContain(HOSTILE.longToken);
  });

  it('numbers every page "Page X of N", N being the page count', () => {
    const pages = pageCount(samplePath);
    expect(pages).toBeGreaterThanOrEqual(2);
    const perPage = text(samplePath, '-layout').split('\f');
    for (let page = 1; page <= pages; page += 1) expect(flat(perPage[page - 1]!)).toContain(`Page ${page} of ${pages}`);
  });

  it('carries the document information, dated by the report', () => {
    const info = run('pdfinfo', ['-isodates', samplePath]).stdout;
    expect(info).toMatch(/^Title:\s+NATS SOX control report/m);
    expect(info).toMatch(/^Author:\s+Acme Payments <Ltd> & Co$/m);
    expect(info).toMatch(new RegExp(`^Subject:.*${sampleVm.period.fromUtc}`, 'm'));
    expect(info).toMatch(/^Creator:\s+nats-sox-reports$/m);
    expect(info).toMatch(/^CreationDate:\s+2026-11-25T06:00:01/m);
  });

  it('renders the same view model to the same bytes', async () => {
    const again = await renderReportPdf(sampleVm, { beforeEnd: () => undefined });
    expect(Buffer.compare(Buffer.from(again), Buffer.from(samplePdf))).toBe(0);
  });

  it('calls beforeEnd once, in the real pass, with a page to hang a signature field on', () => {
    expect(beforeEndCalls).toBe(1);
    expect(pageAtBeforeEnd).toBe(true);
  });

  it('saved the artifacts to look at', () => {
    expect(run('pdfinfo', [path.join(ARTIFACTS, 'report.pdf')]).status).toBe(0);
    const png = readFileSync(path.join(ARTIFACTS, 'report-page1.png'));
    expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  });
});

describe('PDF report: a heavy day', () => {
  it('is a well-formed PDF with embedded fonts only', () => {
    const result = run('qpdf', ['--check', heavyPath]);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout + result.stderr).not.toMatch(/warning|error:/i);
    for (const font of fontTable(heavyPath)) expect(font.emb).toBe('yes');
  });

  it('says how many rows were left out of each bounded table', () => {
    const all = flat(text(heavyPath));
    const bounded = heavyVm.sections.flatMap((s) => s.tables).filter((t) => t.omitted > 0);
    expect(bounded.map((t) => t.id)).toEqual(
      expect.arrayContaining(['transactions', 'jetstream-changes', 'unparseable-events']),
    );
    for (const table of bounded) {
      expect(all).toContain(flat(table.omittedNote!));
      expect(all).toContain(`Showing ${formatNumber(table.rows.length)} of ${formatNumber(table.total)} rows.`);
    }
  });

  it('repeats the caption and header row of a table on every page it continues on', () => {
    const tables = heavyVm.sections.flatMap((s) => s.tables);
    const page = (n: number) => text(heavyPath, '-layout', '-f', String(n), '-l', String(n));
    const [page2, page3] = [page(2), page(3)];
    // Page 3 is the middle of the first long table, which starts on page 2 (or continues there).
    const continuing = tables.find((t) => page3.includes(`${t.caption} (continued)`));
    expect(continuing, 'page 3 continues a table').toBeDefined();
    expect(page2).toContain(continuing!.caption);
    for (const pageText of [page2, page3]) {
      // Header labels may wrap inside their cell; a label's first word is on the header's first line.
      for (const column of continuing!.columns) expect(pageText, column.label).toContain(column.label.split(' ')[0]!);
    }
    const headerLine = (pageText: string) =>
      pageText.split('\n').find((l) => l.trimStart().startsWith(continuing!.columns[0]!.label));
    expect(headerLine(page2)).toBeDefined();
    expect(headerLine(page3)).toBeDefined();
  });

  it('numbers every page "Page X of N"', () => {
    const pages = pageCount(heavyPath);
    expect(pages).toBeGreaterThan(20);
    const perPage = text(heavyPath, '-layout').split('\f');
    for (let page = 1; page <= pages; page += 1)
      expect(perPage[page - 1], `page ${page}`).toContain(`Page ${page} of ${pages}`);
  });
});

describe('PDF report: edge cases', () => {
  async function renderTo(name: string, vm: ViewModel): Promise<string> {
    const file = path.join(work, name);
    writeFileSync(file, await renderReportPdf(vm));
    const check = run('qpdf', ['--check', file]);
    expect(check.status, check.stdout + check.stderr).toBe(0);
    return file;
  }

  it('says so when a table has no rows', async () => {
    const report = { ...sampleReport(), incidents: [], unparseable: 0, unparseableEvents: [] };
    const vm = buildViewModel(report, { branding: SAMPLE_BRANDING, maxRows: 1000, signed: false });
    const file = await renderTo('empty.pdf', vm);
    const all = flat(text(file));
    const incidents = vm.sections.find((s) => s.id === 'incidents')!.tables[0]!;
    expect(incidents.rows).toHaveLength(0);
    expect(all).toContain(`${incidents.caption} ${incidents.emptyText}`);
    expect(all).toContain(vm.signatureNotice);
  });

  it('cuts a value longer than a page, saying how much is left out', async () => {
    const report = sampleReport();
    report.controls[0]!.detail = `${'evidence '.repeat(4000)}end`;
    const file = await renderTo(
      'giant.pdf',
      buildViewModel(report, { branding: SAMPLE_BRANDING, maxRows: 1000, signed: true }),
    );
    expect(flat(text(file))).toMatch(/… \[\d+ more characters not shown; see report\.json\]/);
    expect(pageCount(file)).toBeLessThan(12);
  });

  it(
    'draws bidi overrides, isolates and marks as escapes: ' + 'a user named "\\u202Enimda" never reads as "admin"',
    async () => {
      const report = sampleReport();
      report.connections.byUser[0]!.user = '\u202Enimda';
      report.jetstreamChanges[0]!.user = 'ops\u2066-admin\u2069\u200F';
      const file = await renderTo(
        'bidi.pdf',
        buildViewModel(report, { branding: SAMPLE_BRANDING, maxRows: 1000, signed: true }),
      );
      const extracted = text(file, '-raw');
      expect(extracted).not.toMatch(/[\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
      expect(extracted).toContain('\\u202Enimda');
      // A narrow column wraps the name at its hyphen.
      expect(extracted.replace(/\s+/g, '')).toContain('ops\\u2066-admin\\u2069\\u200F');
    },
  );

  it('draws a PNG logo, and does without a company name', async () => {
    const branding = { ...SAMPLE_BRANDING, company: null, accent: 'not-a-colour', logoPng: tinyPng() };
    const file = await renderTo('logo.pdf', buildViewModel(sampleReport(), { branding, maxRows: 1000, signed: true }));
    expect(run('pdfimages', ['-list', file]).stdout).toMatch(/image\s+4\s+2/);
    const info = run('pdfinfo', [file]).stdout;
    expect(info).not.toMatch(/^Author:/m);
    // The footer names the title alone.
    expect(text(file, '-raw')).toMatch(/^NATS SOX control report Page 1 of \d+$/m);
  });
});

/** A 4×2 RGBA PNG, built by hand so the test needs no image files. */
function tinyPng(): Uint8Array {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(4, 0);
  ihdr.writeUInt32BE(2, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const row = [0, ...Array.from({ length: 4 }, () => [31, 95, 139, 255]).flat()];
  const idat = deflateSync(Buffer.from([...row, ...row]));
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
      chunk('IHDR', ihdr),
      chunk('IDAT', idat),
      chunk('IEND', Buffer.alloc(0)),
    ]),
  );
}

describe('PDF text helpers', () => {
  const everything = () => true;

  it('leaves printable text alone', () => {
    expect(visible('payments-svc <script> & "x"', everything)).toBe('payments-svc <script> & "x"');
    expect(visible(NON_LATIN.greek, everything)).toBe(NON_LATIN.greek);
  });

  it('shows line breaks, bidi overrides and zero-width characters as escapes', () => {
    expect(visible(HOSTILE.header, everything)).toBe('evil\\r\\nBcc: attacker@example.com');
    expect(visible('admin\u202Egnp.exe', everything)).toBe('admin\\u202Egnp.exe');
    expect(visible('a\u200Bb\tc\u0000', everything)).toBe('a\\u200Bb\\tc\\u0000');
    expect(visible('\u2066x\u2069\u200E\u007F\u0085', everything)).toBe('\\u2066x\\u2069\\u200E\\u007F\\u0085');
  });

  it('shows characters the font lacks as escapes, astral ones too', () => {
    const latinOnly = (cp: number) => cp < 0x250;
    expect(visible('王 ok 😀', latinOnly)).toBe('\\u738B ok \\u{1F600}');
  });

  it('formats numbers exactly as format.ts does', () => {
    for (const n of [0, 7, 42, 999, 1000, 1247, 1_000_000, 12.3456, -5, 2 ** 40]) {
      expect(displayText({ kind: 'number', value: n }, 'UTC')).toBe(formatNumber(n));
    }
  });
});
