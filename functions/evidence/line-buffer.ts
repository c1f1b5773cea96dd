/**
 * Builds evidence lines as bytes. Escaping a payload straight from its bytes into the output is what makes the
 * evidence file cheap to write: decoding every payload to a string and JSON.stringify-ing it cost more CPU than
 * parsing it. The escaping is JSON's: `"` and `\` get a backslash, bytes below 0x20 become `\u00XX`, everything
 * else (valid UTF-8, checked on the way) is copied as it is.
 */
const BACKSLASH = 0x5c;
const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** 1 for the bytes a JSON string must escape. */
const ESCAPED = new Uint8Array(256);
for (let b = 0; b < 0x20; b++) ESCAPED[b] = 1;
ESCAPED[0x22] = 1;
ESCAPED[BACKSLASH] = 1;

export class LineBuffer {
  buf: Buffer;
  length = 0;
  constructor(size = 512 * 1024) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Makes room for `bytes` more. */
  reserve(bytes: number): void {
    if (this.length + bytes <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + bytes));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }

  /** ASCII text of our own (keys, digits): no escaping needed. The caller reserved the room. */
  ascii(text: string): void {
    this.length += this.buf.write(text, this.length, 'latin1');
  }

  /** The caller reserved the room. */
  raw(bytes: Uint8Array): void {
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  /**
   * `src[start, end)` escaped for a JSON string (without the quotes around it), if it is valid UTF-8: true. If it
   * is not, false, and nothing is written. One pass: ASCII by a table, anything above by UTF-8's rules. The caller
   * reserved room for 6 bytes per byte.
   */
  escapedUtf8(src: Uint8Array, start: number, end: number): boolean {
    const out = this.buf;
    let at = this.length;
    for (let i = start; i < end; i++) {
      const b = src[i]!;
      if (b < 0x80) {
        if (ESCAPED[b] === 0) {
          out[at++] = b;
          continue;
        }
        out[at++] = BACKSLASH;
        if (b >= 0x20) {
          out[at++] = b; // `"` or `\`
        } else {
          out[at++] = 0x75; // u
          out[at++] = 0x30;
          out[at++] = 0x30;
          out[at++] = HEX[b >> 4]!;
          out[at++] = HEX[b & 15]!;
        }
        continue;
      }
      const length = utf8SequenceLength(src, i, end);
      if (length === 0) return false;
      for (let k = 0; k < length; k++) out[at++] = src[i + k]!;
      i += length - 1;
    }
    this.length = at;
    return true;
  }

  /** What was built, until `clear`. */
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  clear(): void {
    this.length = 0;
  }
}

/** The length of the valid UTF-8 sequence that starts with the byte at `i` (not ASCII), or 0 if it is not one. */
function utf8SequenceLength(src: Uint8Array, i: number, end: number): number {
  const b = src[i]!;
  const cont = (k: number, low = 0x80, high = 0xbf) => i + k < end && src[i + k]! >= low && src[i + k]! <= high;
  if (b >= 0xc2 && b <= 0xdf) return cont(1) ? 2 : 0;
  if (b === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b >= 0xf1 && b <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}
