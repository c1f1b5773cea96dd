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
  const dir =
    fontsDir ?? path.join(path.dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  const files = {} as FontFiles;
  for (const [name, file] of Object.entries(FILES) as [FontName, string][]) {
    const full = path.join(dir, file);
    if (!existsSync(full)) throw new Error(`PDF font ${file} not found in ${dir}`);
    files[name] = full;
  }
  return files;
}

/** fontkit's view of a font, which pdfkit keeps on its font objects but does not declare. */
interface FontkitFace {
  hasGlyphForCodePoint(codePoint: number): boolean;
  glyphForCodePoint(codePoint: number): FontkitGlyph;
  layout(text: string): unknown;
}

interface FontkitGlyph {
  id: number;
  advanceWidth: number;
  codePoints: number[];
}

/**
 * Fonts read and parsed once per process, by file: that was most of the time of a small report (two passes, four
 * fonts). Each document still makes its own subset, so sharing the parsed face shares no output.
 */
const parsedFaces = new Map<string, FontkitFace>();

function currentFace(doc: PDFKit.PDFDocument): FontkitFace | null {
  const face = (doc as unknown as { _font?: { font?: Partial<FontkitFace> } })._font?.font;
  return face && typeof face.hasGlyphForCodePoint === 'function' && typeof face.layout === 'function'
    ? (face as FontkitFace)
    : null;
}

/**
 * The `font` option of `new PDFDocument`: none. pdfkit would otherwise load Helvetica as the default, and a font
 * registered under a name of ours that is also the default is re-opened on every `doc.font()` call (pdfkit only
 * caches it under its first key). With no default, text drawn before a report font is chosen fails loudly instead
 * of silently using a standard font.
 */
export const NO_DEFAULT_FONT = { font: '' } as const;

export function registerReportFonts(doc: PDFKit.PDFDocument, files: FontFiles): void {
  for (const [name, file] of Object.entries(files)) {
    const parsed = parsedFaces.get(file);
    doc.registerFont(name, (parsed ?? file) as unknown as string);
    if (parsed) continue;
    doc.font(name);
    const face = currentFace(doc);
    if (face) parsedFaces.set(file, face);
  }
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
    const known = this.#known.get(font) ?? new Map<number, boolean>();
    this.#known.set(font, known);
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
    const face = currentFace(this.doc);
    this.#faces.set(font, face);
    return face;
  }
}

interface GlyphPosition {
  xAdvance: number;
  yAdvance: number;
  xOffset: number;
  yOffset: number;
  advanceWidth: number;
}

interface GlyphRun {
  glyphs: FontkitGlyph[] | null;
  positions: GlyphPosition[] | null;
  advanceWidth: number;
}

/** The parts of pdfkit's EmbeddedFont that direct layout replaces. */
interface PdfkitEmbeddedFont {
  font: FontkitFace;
  scale: number;
  layout(text: string, features?: unknown, onlyWidth?: boolean): GlyphRun;
}

interface DirectGlyph {
  glyph: FontkitGlyph;
  /** Shared by every occurrence: pdfkit copies a position before changing it (word spacing), never edits it. */
  position: GlyphPosition;
}

const directGlyphs = new WeakMap<FontkitFace, Map<number, DirectGlyph>>();

/**
 * Lays text out one glyph per code point with the font's advance widths, instead of fontkit's OpenType shaping.
 * Shaping costs tens of microseconds per distinct word and pdfkit caches every word it has seen, forever: a heavy
 * day (timestamps, sequence numbers, client ids: almost every word distinct) took seconds and hundreds of MB.
 * What is lost is kerning and ligatures, which tables of identifiers do not need; Latin, Greek and Cyrillic use
 * precomposed characters, and scripts that need shaping (Arabic, Indic) pdfkit does not lay out right to left
 * anyway. Measuring and drawing both go through this, so measured lines are the lines drawn.
 * Returns false (and changes nothing) when pdfkit's font object is not the shape this expects.
 */
export function useDirectLayout(doc: PDFKit.PDFDocument, names: readonly FontName[]): boolean {
  let installed = true;
  for (const name of names) {
    doc.font(name);
    const font = (doc as unknown as { _font?: Partial<PdfkitEmbeddedFont> })._font;
    const face = font?.font;
    if (
      !font ||
      !face ||
      typeof font.scale !== 'number' ||
      typeof font.layout !== 'function' ||
      typeof face.glyphForCodePoint !== 'function'
    ) {
      installed = false;
      continue;
    }
    const shaped = font.layout.bind(font);
    const scale = font.scale;
    const glyphs = directGlyphs.get(face) ?? new Map<number, DirectGlyph>();
    directGlyphs.set(face, glyphs);
    const lookup = (cp: number): DirectGlyph => {
      let entry = glyphs.get(cp);
      if (!entry) {
        const glyph = face.glyphForCodePoint(cp);
        const advance = glyph.advanceWidth * scale;
        entry = {
          glyph,
          position: Object.freeze({ xAdvance: advance, yAdvance: 0, xOffset: 0, yOffset: 0, advanceWidth: advance }),
        };
        glyphs.set(cp, entry);
      }
      return entry;
    };
    font.layout = (text: string, features?: unknown, onlyWidth?: boolean): GlyphRun => {
      // Explicit OpenType features are a deliberate request for shaping: honour it.
      if (features) return shaped(text, features, onlyWidth);
      const runGlyphs: FontkitGlyph[] | null = onlyWidth ? null : [];
      const positions: GlyphPosition[] | null = onlyWidth ? null : [];
      let advanceWidth = 0;
      for (let i = 0; i < text.length; ) {
        const cp = text.codePointAt(i)!;
        i += cp > 0xffff ? 2 : 1;
        const entry = lookup(cp);
        advanceWidth += entry.position.xAdvance;
        runGlyphs?.push(entry.glyph);
        positions?.push(entry.position);
      }
      return { glyphs: runGlyphs, positions, advanceWidth };
    };
  }
  return installed;
}
