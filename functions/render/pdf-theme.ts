import { FONT, type FontName } from './pdf-fonts.js';
import type { Status } from './view-model-types.js';

/** A4 in points, with the page furniture the layout reserves. */
export const PAGE = {
  size: 'A4',
  width: 595.28,
  height: 841.89,
  margin: 40,
  /** Kept free above the bottom margin for the footer, so body text never runs into it. */
  footerHeight: 24,
} as const;

export const CONTENT = {
  left: PAGE.margin,
  width: PAGE.width - 2 * PAGE.margin,
  top: PAGE.margin,
  bottom: PAGE.height - PAGE.margin - PAGE.footerHeight,
} as const;

export interface TextStyle {
  font: FontName;
  size: number;
  color: string;
  /** Extra points between wrapped lines. */
  lineGap?: number;
}

export const INK = {
  text: '#1d2939',
  muted: '#475467',
  faint: '#667085',
  rule: '#d0d5dd',
  zebra: '#f4f6f8',
  panel: '#f2f4f7',
  white: '#ffffff',
} as const;

export const STYLE = {
  company: { font: FONT.bold, size: 10, color: INK.muted },
  title: { font: FONT.bold, size: 18, color: INK.text },
  periodHeading: { font: FONT.regular, size: 11, color: INK.text },
  label: { font: FONT.bold, size: 8, color: INK.muted },
  value: { font: FONT.regular, size: 8.5, color: INK.text },
  valueMono: { font: FONT.mono, size: 8, color: INK.muted },
  sentence: { font: FONT.bold, size: 10, color: INK.text },
  notice: { font: FONT.italic, size: 8, color: INK.muted },
  figureValue: { font: FONT.bold, size: 14, color: INK.text },
  figureLabel: { font: FONT.regular, size: 7.5, color: INK.muted },
  h2: { font: FONT.bold, size: 13, color: INK.text },
  objective: { font: FONT.italic, size: 8.5, color: INK.faint },
  paragraph: { font: FONT.regular, size: 9, color: INK.text, lineGap: 1 },
  caption: { font: FONT.bold, size: 9, color: INK.text },
  captionContinued: { font: FONT.bold, size: 8, color: INK.muted },
  tableHeader: { font: FONT.bold, size: 7, color: INK.white },
  cell: { font: FONT.regular, size: 7, color: INK.text },
  cellMono: { font: FONT.mono, size: 6.5, color: INK.text },
  cellMissing: { font: FONT.regular, size: 7, color: INK.faint },
  badge: { font: FONT.bold, size: 6.5, color: INK.white },
  note: { font: FONT.italic, size: 7.5, color: INK.muted },
  footer: { font: FONT.regular, size: 7, color: INK.faint },
  footerStrong: { font: FONT.bold, size: 7, color: INK.muted },
} satisfies Record<string, TextStyle>;

/**
 * Dark enough for white text on a filled box (contrast ≥ 4.5:1), and every badge also carries its word, so a
 * black-and-white print of the report still reads.
 */
export const STATUS_COLOR: Record<Status, string> = {
  pass: '#067647',
  ok: '#067647',
  resolved: '#067647',
  fail: '#b42318',
  refused: '#b42318',
  open: '#b42318',
  warn: '#b54708',
  'not-applicable': '#475467',
  admin: '#b54708',
  'read-only': '#067647',
  'not-read-only': '#b42318',
};

/** Accent colours come from configuration: anything but `#rrggbb` falls back rather than failing the report. */
export function safeAccent(accent: string): string {
  return /^#[0-9a-fA-F]{6}$/.test(accent) ? accent : '#1f5f8b';
}
