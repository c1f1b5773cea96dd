/**
 * Characters that change how text reads without being seen: control characters (a line break inside a name, a
 * terminal escape sequence), bidirectional overrides, embeddings, isolates and marks (with which "\u202Enimda"
 * reads as "admin"), zero-width and other invisible format characters. Whoever connects to NATS chooses user,
 * client and host names, so every place that shows such a value to a person (terminal, HTML, PDF, email) passes
 * it through `visible` first. report.json keeps the value as it was: it is evidence; only its display is escaped.
 *
 * The escape is the one JSON and JavaScript use, so the reader can look the character up: `\t`, `\n`, `\r` for
 * the three everyday controls, `\u202E` (four upper-case hex digits) for any other character of the Basic
 * Multilingual Plane, `\u{E0041}` above it. A name that itself contains a backslash and "u202E" reads the same;
 * report.json tells the two apart.
 */

/** Code points shown as escapes wherever a value reaches a person. */
function isInvisible(cp: number): boolean {
  return (
    cp < 0x20 || // C0 controls: NUL, ESC, CR, LF, TAB, …
    (cp >= 0x7f && cp <= 0x9f) || // DEL and the C1 controls
    cp === 0xad || // soft hyphen
    (cp >= 0x200b && cp <= 0x200f) || // zero-width space and joiners, LRM, RLM
    (cp >= 0x2028 && cp <= 0x202e) || // line and paragraph separators, LRE, RLE, PDF, LRO, RLO
    (cp >= 0x2060 && cp <= 0x206f) || // word joiner, invisible operators, LRI, RLI, FSI, PDI, deprecated format
    (cp >= 0xd800 && cp <= 0xdfff) || // a lone surrogate (a pair is one code point above U+FFFF)
    cp === 0xfeff || // zero-width no-break space (BOM)
    (cp >= 0xfff9 && cp <= 0xfffb) || // interlinear annotation
    (cp >= 0xe0000 && cp <= 0xe007f) // tag characters, which can spell hidden ASCII
  );
}

/** Printable ASCII never needs a second look; almost every value of a heavy day is that. */
const PLAIN_ASCII = /^[\x20-\x7e]*$/;

/**
 * Matches at least one character `isInvisible` accepts; the quick test that lets almost every value through untouched.
 */
const ANY_INVISIBLE =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb]/;

const NAMED_ESCAPES: Readonly<Record<number, string>> = { 9: '\\t', 10: '\\n', 13: '\\r' };

/** `\t`, `\u202E`, `\u{E0041}`. */
function escapeCodePoint(cp: number): string {
  const named = NAMED_ESCAPES[cp];
  if (named) return named;
  const hex = cp.toString(16).toUpperCase();
  return cp <= 0xffff ? `\\u${hex.padStart(4, '0')}` : `\\u{${hex}}`;
}

/**
 * `text` with every invisible character shown as its escape. `drawable` says which other characters the output
 * can show (a PDF font's glyphs); those it cannot become escapes too, rather than an empty box.
 */
export function visible(text: string, drawable?: (cp: number) => boolean): string {
  if (PLAIN_ASCII.test(text) || (!drawable && !ANY_INVISIBLE.test(text))) return text;
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    out += isInvisible(cp) || (cp > 0x7e && drawable && !drawable(cp)) ? escapeCodePoint(cp) : ch;
  }
  return out;
}

/**
 * `text` cut to its first `max` UTF-16 units (never inside a surrogate pair), saying how many more there were:
 * a value read from data (a name, a manifest field of megabytes) is shown in a bounded line.
 */
export function clipped(text: string, max: number): string {
  if (text.length <= max) return text;
  const high = text.charCodeAt(max - 1);
  const cut = high >= 0xd800 && high <= 0xdbff ? max - 1 : max;
  return `${text.slice(0, cut)}… (${(text.length - cut).toLocaleString('en-US')} more characters)`;
}

/** Like `visible`, but keeps the line breaks of a message made of several lines of our own (`\r` is still shown). */
export function visibleLines(text: string): string {
  return text
    .split('\n')
    .map((line) => visible(line))
    .join('\n');
}

/**
 * A copy of `value` with `visible` applied to every string in it (plain objects and arrays, to any depth), for a
 * document's whole view at once. Objects with nothing to escape are returned as they are, not copied.
 */
export function visibleDeep<T>(value: T): T {
  if (typeof value === 'string') return visible(value) as T;
  if (Array.isArray(value)) {
    // Copied only when something changed: most values of a day have nothing to escape.
    let copy: unknown[] | null = null;
    for (const [i, item] of value.entries()) {
      const shown = visibleDeep(item);
      if (shown === item) continue;
      copy ??= [...value];
      copy[i] = shown;
    }
    return (copy ?? value) as T;
  }
  if (isPlainObject(value)) {
    let copy: Record<string, unknown> | null = null;
    for (const [key, item] of Object.entries(value)) {
      const shown = visibleDeep(item);
      if (shown === item) continue;
      copy ??= { ...value };
      copy[key] = shown;
    }
    return (copy ?? value) as T;
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** What JSON.stringify leaves raw of the characters `isInvisible` names (it escapes C0 and lone surrogates itself). */
const JSON_RAW_INVISIBLE =
  /[\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\u{e0000}-\u{e007f}]/gu;

/**
 * JSON for a terminal: the same document (it parses to the same values), with the characters JSON.stringify
 * leaves raw (DEL, C1, bidi controls, separators, tags, …) written as `\uXXXX` escapes so they cannot act on the
 * screen. JSON.stringify itself escapes the C0 controls and lone surrogates.
 */
export function terminalJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(JSON_RAW_INVISIBLE, (c) =>
    Array.from(
      { length: c.length },
      (_, i) => `\\u${c.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0')}`,
    ).join(''),
  );
}
