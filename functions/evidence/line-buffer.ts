/**
 * Builds evidence lines as bytes. Escaping a payload straight from its bytes into the output is what makes the
 * evidence file cheap to write: decoding every payload to a string and JSON.stringify-ing it cost more CPU than
 * parsing it. The escaping is JSON's: `"` and `\` get a backslash, bytes below 0x20 become `\u00XX`, everything
 * else (valid UTF-8: the caller checks) is copied as it is.
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
  /** Buffers handed out by `take` and given back by their reader, to be filled again. */
  private readonly spare: Buffer[] = [];

  constructor(private readonly size = 512 * 1024) {
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

  /** The bytes of valid UTF-8 text, escaped for a JSON string (without the quotes around it); room for 6 per byte reserved. */
  escaped(bytes: Uint8Array): void {
    const out = this.buf;
    let at = this.length;
    const n = bytes.length;
    for (let i = 0; i < n; i++) {
      const b = bytes[i]!;
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
    }
    this.length = at;
  }

  /** Hands out what was built (no copy) and goes on in a spare buffer; `giveBack` returns it once it is read. */
  take(): Buffer {
    const filled = this.buf.subarray(0, this.length);
    this.buf = this.spare.pop() ?? Buffer.allocUnsafe(this.size);
    this.length = 0;
    return filled;
  }

  giveBack(taken: Buffer): void {
    if (taken.byteOffset === 0 && taken.buffer.byteLength === this.size && this.spare.length < 16) this.spare.push(Buffer.from(taken.buffer, 0, this.size));
  }
}
