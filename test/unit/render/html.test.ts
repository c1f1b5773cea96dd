import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Handlebars from 'handlebars';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_ACCENT, renderReportHtml } from '../../../functions/render/html.js';
import { findBuiltinTemplatesDir, loadTemplates, type Templates } from '../../../functions/render/templates.js';
import { buildViewModel } from '../../../functions/render/view-model.js';
import type { Branding, ViewModel } from '../../../functions/render/view-model-types.js';
import { visible } from '../../../functions/text/visible.js';
import { HOSTILE, NON_LATIN, SAMPLE_BRANDING, heavyReport, sampleReport } from '../../support/sample-report.js';
import { sampleReportWithAccess } from '../../support/sample-access.js';

/** A 1×1 PNG. */
const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

const ENTITIES: Record<string, string> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  '#x27': "'",
  '#x60': '`',
  '#x3D': '=',
};

/** What a reader sees: markup and CSS removed, Handlebars' entities decoded (one pass, as a browser does). */
function visibleText(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>/g, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(lt|gt|amp|quot|#x27|#x60|#x3D);/g, (_, e: string) => ENTITIES[e] ?? '')
    .replace(/\s+/g, ' ');
}

function viewModel(branding: Partial<Branding> = {}, report = sampleReport(), maxRows = 100): ViewModel {
  return buildViewModel(report, {
    branding: { ...SAMPLE_BRANDING, ...branding },
    maxRows,
    signed: true,
    archiveLocation: 's3://evidence/sox/daily/2026/11/24/',
  });
}

let builtin: Templates;
beforeAll(async () => {
  builtin = await loadTemplates();
});

describe('the HTML report', () => {
  it('is a self-contained, script-free page with a strict Content-Security-Policy', () => {
    const html = renderReportHtml(viewModel(), builtin);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain(
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; " +
        "img-src data:; base-uri 'none'; form-action 'none'\">",
    );
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//i);
    expect(html).toContain('thead { display: table-header-group; }');
  });

  it('has one h1, an h2 for every section and accessible tables', () => {
    const vm = viewModel();
    const html = renderReportHtml(vm, builtin);
    expect(html.match(/<h1\b/g)).toHaveLength(1);
    for (const section of vm.sections) expect(html).toContain(`>${Handlebars.escapeExpression(section.title)}</h2>`);
    const tables = vm.sections.flatMap((s) => s.tables).length;
    expect(html.match(/<table>/g)).toHaveLength(tables);
    expect(html.match(/<caption>/g)).toHaveLength(tables);
    expect(html.match(/<thead>/g)).toHaveLength(tables);
    expect(html).not.toMatch(/<th\b(?![^>]*scope="col")[^>]*>/);
  });

  it('shows the key figures, the status, the period in local time and UTC, and the names as text', () => {
    const vm = viewModel();
    const text = visibleText(renderReportHtml(vm, builtin));
    expect(text).toContain('42 Connections');
    expect(text).toContain('1 Controls failed');
    expect(text).toContain('1,247 Financial transactions');
    expect(text).toContain('3 Missing messages');
    expect(text).toContain('Overall status FAIL');
    expect(text).toContain(SAMPLE_BRANDING.company!);
    expect(text).toContain(vm.period.fromLocal);
    expect(text).toContain(vm.period.toLocal);
    expect(text).toContain('2026-11-24T05:00:00.000000000Z UTC');
    expect(text).toContain('2026-11-25T05:00:00.000000000Z UTC');
    expect(text).toContain('Completeness of every captured stream in the period');
    expect(text).toContain('INC-20261124-0001');
    expect(text).toContain('payments-svc');
    expect(text).toContain('s3://evidence/sox/daily/2026/11/24/');
    expect(text).toContain(vm.signatureNotice);
    // A time cell is spelled out in the report's time zone, to the nanosecond.
    expect(text).toContain('2026-11-24 08:05:00.000000001 -05:00');
  });

  it('escapes every hostile value: it reads as text and never becomes markup or template code', () => {
    const html = renderReportHtml(viewModel(), builtin);
    const text = visibleText(html);
    for (const [name, value] of Object.entries(HOSTILE)) {
      // Line breaks inside a value are shown as \r\n, like every control character.
      expect(text, name).toContain(visible(value));
      if (/[<>"'=`&]/.test(value)) expect(html, name).not.toContain(value);
    }
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/onerror=/i);
    expect(html).toContain(Handlebars.escapeExpression(HOSTILE.template));
    expect(text).toContain('{{constructor.constructor "alert(1)"}}');
  });

  it(
    'shows bidi overrides, isolates, marks and control characters as escapes: ' +
      '"\\u202Enimda" never reads as "admin"',
    () => {
      const report = sampleReport();
      report.connections.byUser[0]!.user = '\u202Enimda';
      report.jetstreamChanges[0]!.user = 'ops\u2066-admin\u2069\u200F\u001b[2J\u0085';
      report.controls[0]!.detail = 'see \u202Dhere\u202C';
      const html = renderReportHtml(viewModel({ company: 'Acme\u202Egnp.exe' }, report), builtin);
      // The page keeps its own line breaks; no other control or bidi character reaches it.
      expect(html).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
      const text = visibleText(html);
      expect(text).toContain('\\u202Enimda');
      expect(text).toContain('ops\\u2066-admin\\u2069\\u200F\\u001B[2J\\u0085');
      expect(text).toContain('see \\u202Dhere\\u202C');
      expect(text).toContain('Acme\\u202Egnp.exe');
      // The report itself keeps the values as they were: only their display is escaped.
      expect(report.connections.byUser[0]!.user).toBe('\u202Enimda');
    },
  );

  it('writes non-Latin names as UTF-8 characters', () => {
    const html = renderReportHtml(viewModel(), builtin);
    for (const name of Object.values(NON_LATIN)) expect(html).toContain(name);
  });

  it('puts a valid accent colour into the CSS and never a malicious one', () => {
    expect(renderReportHtml(viewModel({ accent: '#AbC012' }), builtin)).toContain('--accent: #AbC012;');
    const hostile = renderReportHtml(viewModel({ accent: 'red;}</style><script>alert(1)</script>' }), builtin);
    expect(hostile).toContain(`--accent: ${DEFAULT_ACCENT};`);
    expect(hostile).not.toContain('red;}');
    expect(hostile).not.toMatch(/<script/i);
    expect(hostile.match(/<\/style>/g)).toHaveLength(1);
  });

  it('embeds a PNG logo as a data: URL and ignores bytes that are not a PNG', () => {
    const withLogo = renderReportHtml(viewModel({ logoPng: TINY_PNG }), builtin);
    expect(withLogo).toMatch(/<img class="logo" src="data:image\/png;base64,[A-Za-z0-9+/]+(&#x3D;)*" alt="[^"]*">/);
    expect(withLogo).toContain(Handlebars.escapeExpression(TINY_PNG.toString('base64')));
    const notPng = renderReportHtml(viewModel({ logoPng: new TextEncoder().encode('<svg onload=alert(1)>') }), builtin);
    expect(notPng).not.toMatch(/<img/i);
  });

  it('says how many rows a bounded table left out, and where they are', () => {
    const vm = viewModel({}, heavyReport(500), 100);
    const notes = vm.sections.flatMap((s) => s.tables).flatMap((t) => (t.omittedNote ? [t.omittedNote] : []));
    expect(notes.length).toBeGreaterThan(0);
    const text = visibleText(renderReportHtml(vm, builtin));
    for (const note of notes) expect(text).toContain(note);
    expect(text).toMatch(/\d+ more rows are not shown here; /);
  });
});

describe('the Access review in the HTML report', () => {
  it('is a section of its own with its marks as badges, hostile names escaped', () => {
    const html = renderReportHtml(viewModel({}, sampleReportWithAccess()), builtin);
    expect(html).toContain('<h2 id="section-access-review-title">Access review</h2>');
    expect(html).toContain('<li><a href="#section-access-review">Access review</a></li>');
    expect(html.match(/<span class="badge badge-admin">ADMIN<\/span>/g)).toHaveLength(2);
    expect(html.match(/<span class="badge badge-read-only">READ-ONLY<\/span>/g)).toHaveLength(1);
    expect(html).toContain('.badge-admin { color: #6b4500; background: #fff4d6; border-style: dashed; }');
    expect(html).toContain(`<td class="cell cell-text">${Handlebars.escapeExpression(HOSTILE.script)} (UYCS…)</td>`);
    expect(html).toContain('<td class="cell cell-text">\\u202Etoor (U2HT…)</td>');
    expect(html).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
  });

  it('is absent, with nothing else changed, from a report without access', () => {
    const html = renderReportHtml(viewModel(), builtin);
    expect(html).not.toContain('access-review');
    expect(html).not.toContain('Access review');
    const withAccess = renderReportHtml(viewModel({}, sampleReportWithAccess()), builtin);
    const cut = (page: string) => page.replace(/<section id="section-access-review"[\s\S]*?<\/section>\n/, '');
    // Only the section and its entry in the contents tell the two pages apart.
    expect(cut(withAccess).replace('<li><a href="#section-access-review">Access review</a></li>\n    ', '')).toBe(html);
  });
});

describe('the built-in templates folder', () => {
  it('is found from the sources and from the compiled module alike', () => {
    const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
    const expected = path.join(root, 'templates');
    expect(findBuiltinTemplatesDir()).toBe(expected);
    expect(findBuiltinTemplatesDir(path.join(root, 'functions', 'render'))).toBe(expected);
    expect(findBuiltinTemplatesDir(path.join(root, 'dist', 'render'))).toBe(expected);
  });
});

describe('operator templates', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'operator-templates-'));
    await mkdir(path.join(dir, 'partials'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('replace built-in partials of the same name, and the rest stay built in', async () => {
    await writeFile(
      path.join(dir, 'partials', 'header.hbs'),
      '<header class="operator-header"><h1>{{title}}</h1><p>Prepared for {{branding.company}} {{badge ' +
        'status}}</p></header>\n',
    );
    const templates = await loadTemplates({ operatorDir: dir });
    expect(templates.files.get('partials/header')).toBe(path.join(dir, 'partials', 'header.hbs'));
    const html = renderReportHtml(viewModel(), templates);
    expect(html).toContain('<header class="operator-header">');
    expect(html).toContain(
      'Prepared for Acme Payments &lt;Ltd&gt; &amp; Co <span class="badge badge-fail">FAIL</span>',
    );
    expect(html).not.toContain('class="masthead"');
    expect(visibleText(html)).toContain('42 Connections');
  });

  it('cannot reach prototypes', async () => {
    await writeFile(
      path.join(dir, 'partials', 'header.hbs'),
      '<header>[{{#with branding}}{{constructor}}{{/with}}][{{lookup branding "__proto__"}}][{{lookup ' +
        'branding "constructor"}}]</header>\n',
    );
    const html = renderReportHtml(viewModel(), await loadTemplates({ operatorDir: dir }));
    expect(html).toContain('<header>[][][]</header>');
  });

  it('that do not compile fail at load time, naming the file', async () => {
    const file = path.join(dir, 'partials', 'header.hbs');
    await writeFile(file, '<header>{{#if title}}unclosed</header>\n');
    await expect(loadTemplates({ operatorDir: dir })).rejects.toThrow(file);
  });

  it('that use a partial that exists nowhere fail at load time, naming the file and the partial', async () => {
    const file = path.join(dir, 'report.hbs');
    await writeFile(file, '<!doctype html>\n{{> headr}}\n');
    await expect(loadTemplates({ operatorDir: dir })).rejects.toThrow(/report\.hbs.*"headr"/);
  });

  it('with a misspelled field fail when rendering, naming the file', async () => {
    const file = path.join(dir, 'partials', 'footer.hbs');
    await writeFile(file, '<footer>{{signatureNotise}}</footer>\n');
    const templates = await loadTemplates({ operatorDir: dir });
    expect(() => renderReportHtml(viewModel(), templates)).toThrow(file);
  });

  it('that pass a misspelled field to a helper fail too, rather than print "undefined"', async () => {
    const file = path.join(dir, 'partials', 'footer.hbs');
    await writeFile(file, '<footer>{{time generatedAtUtcc}}</footer>\n');
    const templates = await loadTemplates({ operatorDir: dir });
    expect(() => renderReportHtml(viewModel(), templates)).toThrow(/footer\.hbs.*time.*undefined/);
  });

  it('must be a folder that exists', async () => {
    await expect(loadTemplates({ operatorDir: path.join(dir, 'nope') })).rejects.toThrow(/nope/);
  });
});
