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
