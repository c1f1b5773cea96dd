/// <reference types="pdfkit" />
import PDFDocument from 'pdfkit';
import { millisFromNanos, parseInstant } from '../time/nanos.js';
import { statusLabel } from './format.js';
import { Canvas } from './pdf-canvas.js';
import { PageFlow, type FooterText } from './pdf-flow.js';
import {
  FONT,
  GlyphCoverage,
  NO_DEFAULT_FONT,
  registerReportFonts,
  resolveFontFiles,
  useDirectLayout,
  type FontFiles,
} from './pdf-fonts.js';
import { drawSections } from './pdf-sections.js';
import type { TableContext } from './pdf-table.js';
import { PAGE, safeAccent } from './pdf-theme.js';
import { drawTitleBlock } from './pdf-title.js';
import type { ViewModel } from './view-model-types.js';

export interface RenderPdfOptions {
  /** Called in the real pass just before `doc.end()` (the sealing code adds its signature placeholder here). */
  beforeEnd?: (doc: PDFKit.PDFDocument) => void;
  /** A folder holding DejaVuSans.ttf, DejaVuSans-Bold.ttf, DejaVuSans-Oblique.ttf and DejaVuSansMono.ttf. */
  fontsDir?: string;
  /** Merged over the document information the report sets (Title, Author, Subject, Creator, dates). */
  info?: Partial<PDFKit.DocumentInfo>;
}

/**
 * The report as a PDF. Laid out twice by the same code: a counting pass that measures everything and paints
 * nothing (its output is discarded by never being made), then the real pass, which knows the page total for
 * "Page X of Y" while writing. pdfkit therefore never holds more than the page being written (no `bufferPages`),
 * however many pages a heavy day takes, and the bytes stream out of it as pages are finished. The real pass reuses
 * the counting pass's cell texts and row heights, and must come to the same page count (checked).
 *
 * The same view model renders to the same bytes: the dates in the document information come from the report, and
 * pdfkit derives the file /ID from that information.
 */
export async function renderReportPdf(vm: ViewModel, options: RenderPdfOptions = {}): Promise<Uint8Array> {
  const fonts = resolveFontFiles(options.fontsDir);
  const measured: TableContext['measured'] = new WeakMap();
  const counted = await renderPass(vm, fonts, options, measured, null);
  const written = await renderPass(vm, fonts, options, measured, counted.pages);
  if (written.pages !== counted.pages) {
    throw new Error(
      `PDF layout is not deterministic: the counting pass made ${counted.pages} pages, the real pass ${written.pages}`,
    );
  }
  return written.bytes;
}

interface PassResult {
  pages: number;
  bytes: Uint8Array;
}

/**
 * One pass of the layout. `totalPages` null is the counting pass: the document is only a font measurer there (no
 * page is added, nothing painted or written, no `beforeEnd`), and the pass yields its page count.
 */
async function renderPass(
  vm: ViewModel,
  fonts: FontFiles,
  options: RenderPdfOptions,
  measured: TableContext['measured'],
  totalPages: number | null,
): Promise<PassResult> {
  const painting = totalPages !== null;
  const doc = new PDFDocument({
    autoFirstPage: false,
    size: PAGE.size,
    margin: PAGE.margin,
    info: documentInfo(vm, options.info),
    // pdfkit would cache the shaped form of every word it ever measured; direct layout needs no cache.
    fontLayoutCache: false,
    ...NO_DEFAULT_FONT,
  });
  const sink = new ByteSink();
  const finished = painting ? collect(doc, sink) : null;
  // A 'data' listener only receives chunks as they are pushed once the stream flows, which Node starts on the
  // next tick; before that, every page would pile up in the stream's buffer while the layout runs synchronously.
  if (painting) await new Promise<void>((resolve) => setImmediate(resolve));

  registerReportFonts(doc, fonts);
  useDirectLayout(doc, Object.values(FONT));
  const canvas = new Canvas(doc, new GlyphCoverage(doc), painting);
  const flow = new PageFlow(canvas, footerText(vm), totalPages);
  const ctx: TableContext = { accent: safeAccent(vm.branding.accent), timezone: vm.timezone, measured };
  flow.newPage();
  drawTitleBlock(flow, vm, ctx);
  drawSections(flow, vm.sections, ctx);
  flow.finish();
  const pages = flow.pageNumber;
  if (!finished) return { pages, bytes: new Uint8Array(0) };

  options.beforeEnd?.(doc);
  doc.end();
  await finished;
  return { pages, bytes: sink.bytes() };
}

function collect(doc: PDFKit.PDFDocument, sink: ByteSink): Promise<void> {
  doc.on('data', (chunk: Uint8Array) => sink.write(chunk));
  return new Promise<void>((resolve, reject) => {
    doc.once('end', resolve);
    doc.once('error', reject);
  });
}

/**
 * Collects what pdfkit streams out, copied into blocks and joined once at the end (the caller signs the whole
 * file). Copied, not kept: a deflated page arrives as a view on zlib's 16 KB output buffer, so keeping the chunks
 * would hold 16 KB per page for a few KB of content.
 */
class ByteSink {
  static readonly BLOCK = 256 * 1024;
  readonly #full: Uint8Array[] = [];
  #block = new Uint8Array(ByteSink.BLOCK);
  #used = 0;
  #length = 0;

  write(chunk: Uint8Array): void {
    this.#length += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(chunk.length - offset, this.#block.length - this.#used);
      this.#block.set(chunk.subarray(offset, offset + n), this.#used);
      this.#used += n;
      offset += n;
      if (this.#used === this.#block.length) {
        this.#full.push(this.#block);
        this.#block = new Uint8Array(ByteSink.BLOCK);
        this.#used = 0;
      }
    }
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let offset = 0;
    for (const block of this.#full) {
      out.set(block, offset);
      offset += block.length;
    }
    out.set(this.#block.subarray(0, this.#used), offset);
    this.#full.length = 0;
    return out;
  }
}

function footerText(vm: ViewModel): FooterText {
  return {
    left: vm.branding.company ? `${vm.branding.company} · ${vm.title}` : vm.title,
    period: `${vm.period.fromLocal} – ${vm.period.toLocal}`,
  };
}

function documentInfo(vm: ViewModel, extra: Partial<PDFKit.DocumentInfo> | undefined): PDFKit.DocumentInfo {
  const generated = parseInstant(vm.generatedAtUtc);
  if (generated === null) throw new Error(`view model generatedAtUtc is not an RFC 3339 instant: ${vm.generatedAtUtc}`);
  const created = new Date(millisFromNanos(generated));
  return {
    Title: `${vm.title}: ${vm.period.heading}`,
    ...(vm.branding.company ? { Author: vm.branding.company } : {}),
    Subject:
      `${vm.period.heading}: ${vm.period.fromLocal} – ${vm.period.toLocal} ` +
      `(${vm.period.fromUtc} – ${vm.period.toUtc})`,
    Keywords: `SOX, NATS, overall status ${statusLabel(vm.status)}`,
    Creator: 'nats-sox-reports',
    CreationDate: created,
    ModDate: created,
    // pdfkit would write an undefined entry as the word "undefined".
    ...Object.fromEntries(Object.entries(extra ?? {}).filter(([, value]) => value !== undefined)),
  };
}
