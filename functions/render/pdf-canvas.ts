/// <reference types="pdfkit" />
import type { GlyphCoverage } from './pdf-fonts.js';
import { visible } from '../text/visible.js';
import type { Align } from './pdf-text.js';
import type { TextStyle } from './pdf-theme.js';

/** The parts of pdfkit's current (embedded) font that a direct text line uses. */
interface PdfkitFontForText {
  id: string;
  ascender: number;
  /** Hex glyph ids (adding the glyphs to the subset) and their positions. */
  encode(text: string): [string[], unknown];
  ref(): unknown;
}

/** Operators are handed to pdfkit in batches of about this many: each hand-over costs an allocation. */
const BATCH = 64;
/** Bézier control distance for a quarter circle. */
const KAPPA = (4 * (Math.SQRT2 - 1)) / 3;

/** Numbers in content streams: three decimals are far below a printer's resolution. */
function pdfNumber(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}

const rgbCache = new Map<string, string>();

/** `#rrggbb` as the three operands of `rg` / `RG`. */
function rgb(color: string): string {
  let operands = rgbCache.get(color);
  if (operands === undefined) {
    const value = /^#[0-9a-fA-F]{6}$/.test(color) ? parseInt(color.slice(1), 16) : 0;
    operands = [(value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff].map((c) => pdfNumber(c / 255)).join(' ');
    rgbCache.set(color, operands);
  }
  return operands;
}

/**
 * Measuring and painting at explicit positions. Measuring is the layout; painting is switched off in the counting
 * pass, so both passes take the same decisions from the same measurements and only the real pass pays for output.
 *
 * Painting writes content-stream operators itself, in batches, for what a heavy day repeats thousands of times
 * (one-line text, rectangles, rules, colours): pdfkit's drawing calls cost an allocation and a save/flip/restore
 * per call, which made up most of the render time and the content size. The page coordinates are pdfkit's (origin
 * top left, y down, set by pdfkit on every page); text goes through pdfkit's own font object (subset, widths,
 * ToUnicode), so embedding and text extraction are pdfkit's. Text that wraps is left to pdfkit's `text()`, with a
 * width and a height so that its own pagination never triggers: page breaks belong to the layout alone.
 */
export class Canvas {
  #ops: string[] = [];
  #fill: string | null = null;
  #stroke: string | null = null;
  #lineWidth: number | null = null;

  constructor(
    readonly doc: PDFKit.PDFDocument,
    private readonly coverage: GlyphCoverage,
    /** False in the counting pass: nothing is written to the document. */
    readonly painting: boolean,
  ) {}

  /**
   * What will be drawn for `text` in `style`'s font: invisible characters and characters the font lacks as
   * escapes (`\u202E`), so a bidi override cannot reverse what an auditor reads. Measure and draw this string.
   */
  prepare(text: string, style: TextStyle): string {
    return visible(text, (cp) => this.coverage.covers(style.font, cp));
  }

  lineHeight(style: TextStyle): number {
    this.#useFont(style);
    return this.doc.currentLineHeight(true) + (style.lineGap ?? 0);
  }

  width(text: string, style: TextStyle): number {
    this.#useFont(style);
    return this.doc.widthOfString(text);
  }

  /** Height of prepared text wrapped at `width`; a word longer than the width breaks between characters. */
  height(text: string, style: TextStyle, width: number): number {
    this.#useFont(style);
    const line = this.doc.currentLineHeight(true) + (style.lineGap ?? 0);
    if (text.length === 0 || this.doc.widthOfString(text) <= width) return line;
    const wrapped = this.doc.heightOfString(text, { width, lineGap: style.lineGap ?? 0 });
    return Math.max(line, wrapped);
  }

  /**
   * Prepared text cut so that it fits `maxHeight` at `width`, saying how much was left out. Only a value longer
   * than a whole page gets here (a name is chosen by whoever connects); the full value stays in report.json.
   */
  fit(text: string, style: TextStyle, width: number, maxHeight: number): string {
    if (this.height(text, style, width) <= maxHeight) return text;
    const chars = Array.from(text);
    const withMarker = (n: number) =>
      `${chars.slice(0, n).join('')} … [${chars.length - n} more characters not shown; see report.json]`;
    let low = 0;
    let high = chars.length;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (this.height(withMarker(mid), style, width) <= maxHeight) low = mid;
      else high = mid - 1;
    }
    return withMarker(low);
  }

  /** Starts a page; its content stream begins from the default graphics state. */
  addPage(options: PDFKit.PDFDocumentOptions): void {
    if (!this.painting) return;
    this.flush();
    this.doc.addPage(options);
    this.#fill = null;
    this.#stroke = null;
    this.#lineWidth = null;
  }

  /** Hands the batched operators to pdfkit; before anything pdfkit draws itself, and before the document ends. */
  flush(): void {
    if (this.#ops.length === 0) return;
    this.doc.addContent(this.#ops.join('\n'));
    this.#ops = [];
  }

  /** Draws prepared text; `height` is its measured height, which bounds pdfkit's line wrapper. */
  text(
    text: string,
    style: TextStyle,
    x: number,
    y: number,
    width: number,
    height: number,
    align: Align = 'left',
  ): void {
    if (!this.painting || text.length === 0) return;
    this.#useFont(style);
    this.#setFill(style.color);
    const singleLine = this.doc.widthOfString(text);
    if (singleLine <= width) {
      const dx = align === 'right' ? width - singleLine : align === 'center' ? (width - singleLine) / 2 : 0;
      if (this.#line(text, style, x + dx, y)) return;
      this.flush();
      this.doc.text(text, x + dx, y, { lineBreak: false });
      return;
    }
    this.flush();
    const line = this.doc.currentLineHeight(true) + (style.lineGap ?? 0);
    this.doc.text(text, x, y, { width, height: height + line / 2, align, lineGap: style.lineGap ?? 0 });
  }

  rect(x: number, y: number, width: number, height: number, color: string, radius = 0): void {
    if (!this.painting) return;
    this.#setFill(color);
    if (radius <= 0) {
      this.#emit(`${pdfNumber(x)} ${pdfNumber(y)} ${pdfNumber(width)} ${pdfNumber(height)} re\nf`);
      return;
    }
    const r = Math.min(radius, width / 2, height / 2);
    const c = r * (1 - KAPPA);
    const [x2, y2] = [x + width, y + height];
    const n = pdfNumber;
    this.#emit(
      [
        `${n(x + r)} ${n(y)} m`,
        `${n(x2 - r)} ${n(y)} l`,
        `${n(x2 - c)} ${n(y)} ${n(x2)} ${n(y + c)} ${n(x2)} ${n(y + r)} c`,
        `${n(x2)} ${n(y2 - r)} l`,
        `${n(x2)} ${n(y2 - c)} ${n(x2 - c)} ${n(y2)} ${n(x2 - r)} ${n(y2)} c`,
        `${n(x + r)} ${n(y2)} l`,
        `${n(x + c)} ${n(y2)} ${n(x)} ${n(y2 - c)} ${n(x)} ${n(y2 - r)} c`,
        `${n(x)} ${n(y + r)} l`,
        `${n(x)} ${n(y + c)} ${n(x + c)} ${n(y)} ${n(x + r)} ${n(y)} c`,
        'f',
      ].join('\n'),
    );
  }

  hline(x1: number, x2: number, y: number, color: string, lineWidth: number): void {
    if (!this.painting) return;
    if (this.#stroke !== color) {
      this.#emit(`${rgb(color)} RG`);
      this.#stroke = color;
    }
    if (this.#lineWidth !== lineWidth) {
      this.#emit(`${pdfNumber(lineWidth)} w`);
      this.#lineWidth = lineWidth;
    }
    this.#emit(`${pdfNumber(x1)} ${pdfNumber(y)} m\n${pdfNumber(x2)} ${pdfNumber(y)} l\nS`);
  }

  /** A PNG scaled to fit the box, keeping its proportions. */
  image(png: Uint8Array, x: number, y: number, width: number, height: number): void {
    if (!this.painting) return;
    this.flush();
    this.doc.image(Buffer.from(png.buffer, png.byteOffset, png.byteLength), x, y, { fit: [width, height] });
  }

  /**
   * One line of text as a text object; the text matrix flips y back so that glyphs stand upright on pdfkit's
   * y-down page. Returns false, writing nothing, when pdfkit's internals are not the shape this expects.
   */
  #line(text: string, style: TextStyle, x: number, y: number): boolean {
    const font = (this.doc as unknown as { _font?: Partial<PdfkitFontForText> })._font;
    const fonts = (this.doc as unknown as { page?: { fonts?: Record<string, unknown> } }).page?.fonts;
    if (
      !font ||
      !fonts ||
      typeof font.encode !== 'function' ||
      typeof font.ref !== 'function' ||
      typeof font.id !== 'string' ||
      typeof font.ascender !== 'number'
    ) {
      return false;
    }
    const [glyphs] = font.encode(text);
    if (fonts[font.id] == null) fonts[font.id] = font.ref();
    const baseline = y + (font.ascender / 1000) * style.size;
    this.#emit(
      `BT\n/${font.id} ${pdfNumber(style.size)} Tf\n` +
        `1 0 0 -1 ${pdfNumber(x)} ${pdfNumber(baseline)} Tm\n<${glyphs.join('')}> Tj\nET`,
    );
    return true;
  }

  #emit(op: string): void {
    this.#ops.push(op);
    if (this.#ops.length >= BATCH) this.flush();
  }

  /** Fill colour as an operator of ours; pdfkit's own drawing here (wrapped text, images) sets none. */
  #setFill(color: string): void {
    if (this.#fill === color) return;
    this.#emit(`${rgb(color)} rg`);
    this.#fill = color;
  }

  #useFont(style: TextStyle): void {
    this.doc.font(style.font, style.size);
  }
}
