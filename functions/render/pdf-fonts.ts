/// <reference types="pdfkit" />
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * The PDF embeds DejaVu (Latin, Greek, Cyrillic and much more) instead of pdfkit's default Helvetica: the standard
 * 14 fonts are not embedded and only cover WinAnsi, so a user called Дмитрий would print as garbage and an auditor's
 * copy would depend on the reader's fonts.
 */
export const FONT = {
  regular: 'Report-Sans',
  bold: 'Report-Sans-Bold',
  italic: 'Report-Sans-Oblique',
  mono: 'Report-Mono',
} as const;

export type FontName = (typeof FONT)[keyof typeof FONT];

const FILES: Record<FontName, string> = {
  [FONT.regular]: 'DejaVuSans.ttf',
  [FONT.bold]: 'DejaVuSans-Bold.ttf',
  [FONT.italic]: 'DejaVuSans-Oblique.ttf',
  [FONT.mono]: 'DejaVuSansMono.ttf',
};

export type FontFiles = Record<FontName, string>;

/** Where the TTF files are: `fontsDir` when given (a Lambda layer, a test), else the dejavu-fonts-ttf package. */
export function resolveFontFiles(fontsDir?: string): FontFiles {
  const dir = fontsDir ?? path.join(path.dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  const files = {} as FontFiles;
  for (const [name, file] of Object.entries(FILES) as [FontName, string][]) {
    const full = path.join(dir, file);
    if (!existsSync(full)) throw new Error(`PDF font ${file} not found in ${dir}`);
    files[name] = full;
  }
  return files;
}

/** Options for `new PDFDocument`: the default font is DejaVu, so pdfkit never loads Helvetica at all. */
export function defaultFontOption(files: FontFiles): { font: string } {
  return { font: files[FONT.regular] };
}

export function registerReportFonts(doc: PDFKit.PDFDocument, files: FontFiles): void {
  for (const [name, file] of Object.entries(files)) doc.registerFont(name, file);
}

/** fontkit's view of a font, which pdfkit keeps on the current font but does not declare. */
interface FontkitFace {
  hasGlyphForCodePoint(codePoint: number): boolean;
}

/**
 * Answers "does this font draw this character?", so text can show a character the font lacks as an escape
 * (`\u5F20`) instead of an empty box that pdftotext cannot read back. Cached per font: a report uses a few hundred
 * distinct characters at most.
 */
export class GlyphCoverage {
  readonly #faces = new Map<FontName, FontkitFace | null>();
  readonly #known = new Map<FontName, Map<number, boolean>>();

  constructor(private readonly doc: PDFKit.PDFDocument) {}

  covers(font: FontName, codePoint: number): boolean {
    let known = this.#known.get(font);
    if (!known) this.#known.set(font, (known = new Map()));
    const cached = known.get(codePoint);
    if (cached !== undefined) return cached;
    const face = this.#face(font);
    // Without fontkit's face (a pdfkit change), trust the font rather than escape everything.
    const answer = face === null ? true : face.hasGlyphForCodePoint(codePoint);
    known.set(codePoint, answer);
    return answer;
  }

  #face(font: FontName): FontkitFace | null {
    if (this.#faces.has(font)) return this.#faces.get(font) ?? null;
    this.doc.font(font);
    const face = (this.doc as unknown as { _font?: { font?: Partial<FontkitFace> } })._font?.font;
    const usable = face && typeof face.hasGlyphForCodePoint === 'function' ? (face as FontkitFace) : null;
    this.#faces.set(font, usable);
    return usable;
  }
}
