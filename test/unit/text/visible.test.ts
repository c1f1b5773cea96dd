import { describe, expect, it } from 'vitest';
import { terminalJson, visible, visibleDeep, visibleLines } from '../../../functions/text/visible.js';

describe('visible', () => {
  it('leaves ordinary text alone, non-Latin and emoji included', () => {
    for (const text of ['payments-svc <script> & "x"', 'Σωκράτης Παπαδόπουλος', 'Дмитрий', '王 😀', '10:00\u202FAM'])
      expect(visible(text)).toBe(text);
  });

  it('escapes C0 and C1 controls and DEL, with \\t, \\n, \\r for the everyday ones', () => {
    expect(visible('a\tb\nc\rd\u0000e\u001b[2Jf\u007fg\u0085h\u009bi')).toBe(
      'a\\tb\\nc\\rd\\u0000e\\u001B[2Jf\\u007Fg\\u0085h\\u009Bi',
    );
  });

  it('escapes every bidi override, embedding, isolate and mark', () => {
    const bidi = [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f];
    for (const cp of bidi) {
      const ch = String.fromCodePoint(cp);
      expect(visible(`x${ch}y`)).toBe(`x\\u${cp.toString(16).toUpperCase()}y`);
    }
    expect(visible('\u202Enimda')).toBe('\\u202Enimda');
  });

  it('escapes zero-width and tag characters, astral ones as \\u{…}', () => {
    expect(visible('a\u200Bb\uFEFFc')).toBe('a\\u200Bb\\uFEFFc');
    expect(visible('ok\u{E0041}\u{E0042}')).toBe('ok\\u{E0041}\\u{E0042}');
  });

  it('escapes what the output cannot draw, when told', () => {
    expect(visible('王 ok 😀', (cp) => cp < 0x250)).toBe('\\u738B ok \\u{1F600}');
  });

  it('is idempotent: an escape is plain ASCII', () => {
    const once = visible('\u202Enimda\r\n');
    expect(visible(once)).toBe(once);
  });

  it('keeps the line breaks of several lines of our own, and nothing else', () => {
    expect(visibleLines('invalid configuration:\n  key: \u202Ebad\r')).toBe(
      'invalid configuration:\n  key: \\u202Ebad\\r',
    );
  });
});

describe('visibleDeep', () => {
  it('escapes every string of plain objects and arrays, copying only what changes', () => {
    const untouched = { rows: [{ cells: ['a', 1, null] }] };
    const input = {
      title: 'Report',
      user: '\u202Enimda',
      untouched,
      list: ['ok', 'x\u0007'],
      logo: new Uint8Array([1]),
    };
    const shown = visibleDeep(input);
    expect(shown).toEqual({
      title: 'Report',
      user: '\\u202Enimda',
      untouched,
      list: ['ok', 'x\\u0007'],
      logo: new Uint8Array([1]),
    });
    expect(shown.untouched).toBe(untouched);
    expect(shown.logo).toBe(input.logo);
    expect(input.user).toBe('\u202Enimda');
  });
});

describe('terminalJson', () => {
  it('writes the characters JSON leaves raw as \\u escapes, and parses back to the same values', () => {
    const value = {
      by: '\u202Enimda',
      note: 'x\u2066y\u2069\u200F\u007F\u0085\u{E0041}',
      plain: 'Σ 😀',
      ctl: '\u001b',
    };
    const json = terminalJson(value);
    expect(json).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]|\u{E0041}/u);
    expect(json).toContain('"by":"\\u202E');
    expect(json).toContain('Σ 😀');
    expect(JSON.parse(json)).toEqual(value);
  });
});
