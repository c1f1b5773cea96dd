/// <reference types="pdfkit" />
import type { FontName, GlyphCoverage } from './pdf-fonts.js';
import type { TextStyle } from './pdf-theme.js';

/** Printable ASCII never needs a second look; almost every cell of a heavy day is that. */
const PLAIN_ASCII = /^[\x20-\x7e]*$/;

/**
 * Characters that change how text reads without being seen (line breaks inside a name, bidi overrides, zero-width
 * joiners): evidence shows them as escapes, the way report.json does, so `evil\r\nBcc: …` cannot pass for two
 * table lines and a right-to-left override cannot reverse what an auditor reads.
 */
function isInvisible(cp: number): boolean {
  return (
    cp < 0x20 ||
    (cp >= 0x7f && cp <= 0x9f) ||
    cp === 0xad ||
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0x2028 && cp <= 0x202e) ||
    (cp >= 0x2060 && cp <= 0x206f) ||
    (cp >= 0xd800 && cp <= 0xdfff) ||
    cp === 0xfeff ||
    (cp >= 0xfff9 && cp <= 0xfffb)
  );
}

const NAMED_ESCAPES: Record<number, string> = { 0x09: '\\t', 0x0a: '\\n', 0x0d: '\\r' };

function escapeCodePoint(cp: number): string {
  const named = NAMED_ESCAPES[cp];
  if (named) return named;
  const hex = cp.toString(16).toUpperCase();
  return cp <= 0xffff ? `\\u${hex.padStart(4, '0')}` : `\\u{${hex}}`;
}

/** Text as the font can draw it: invisible characters and characters the font lacks become escapes. */
export function printable(text: string, covers: (cp: number) => boolean): string {
  if (PLAIN_ASCII.test(text)) return text;
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    out += isInvisible(cp) || !covers(cp) ? escapeCodePoint(cp) : ch;
  }
  return out;
}

export type Align = 'left' | 'right' | 'center';

/**
 * Measuring and drawing text at explicit positions. Every draw passes a width and a height, so pdfkit's own
 * pagination (which would add a page when text nears the bottom margin) never triggers: page breaks belong to the
 * layout alone, which is what lets the counting pass and the real pass paginate identically.
 */
export class TextKit {
  constructor(
    readonly doc: PDFKit.PDFDocument,
    private readonly coverage: GlyphCoverage,
  ) {}

  /** What will be drawn for `text` in `style`'s font. Measure and draw this string, not the raw one. */
  prepare(text: string, style: TextStyle): string {
    return printable(text, (cp) => this.coverage.covers(style.font, cp));
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
   * Draws prepared text. `height` is the measured height: it bounds pdfkit's wrapper so that it stops instead of
   * starting a page of its own.
   */
  draw(text: string, style: TextStyle, x: number, y: number, width: number, height: number, align: Align = 'left'): void {
    if (text.length === 0) return;
    this.#useFont(style);
    this.doc.fillColor(style.color);
    const singleLine = this.doc.widthOfString(text);
    if (singleLine <= width) {
      // One line: place it ourselves, skipping the line wrapper (most cells of a heavy day).
      const dx = align === 'right' ? width - singleLine : align === 'center' ? (width - singleLine) / 2 : 0;
      this.doc.text(text, x + dx, y, { lineBreak: false });
      return;
    }
    const line = this.doc.currentLineHeight(true) + (style.lineGap ?? 0);
    this.doc.text(text, x, y, { width, height: height + line / 2, align, lineGap: style.lineGap ?? 0 });
  }

  /**
   * Prepared text cut so that it fits `maxHeight` at `width`, saying how much was left out. Only a value longer
   * than a whole page gets here (a name is chosen by whoever connects); the full value stays in report.json.
   */
  fit(text: string, style: TextStyle, width: number, maxHeight: number): string {
    if (this.height(text, style, width) <= maxHeight) return text;
    const chars = Array.from(text);
    const withMarker = (n: number) => `${chars.slice(0, n).join('')} … [${chars.length - n} more characters not shown; see report.json]`;
    let low = 0;
    let high = chars.length;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (this.height(withMarker(mid), style, width) <= maxHeight) low = mid;
      else high = mid - 1;
    }
    return withMarker(low);
  }

  #useFont(style: TextStyle): void {
    this.doc.font(style.font as FontName, style.size);
  }
}
