import { describe, expect, it } from 'vitest';
import { clipped } from '../../../functions/text/visible.js';

describe('clipped', () => {
  it('leaves text of at most `max` units alone', () => {
    expect(clipped('', 3)).toBe('');
    expect(clipped('abc', 3)).toBe('abc');
  });

  it('keeps the first `max` units and says how many more there were', () => {
    expect(clipped('abcdef', 3)).toBe('abc… (3 more characters)');
    expect(clipped('x'.repeat(4_000_000), 4096)).toBe(`${'x'.repeat(4096)}… (3,995,904 more characters)`);
  });

  it('never cuts a surrogate pair in two', () => {
    expect(clipped('ab😀cd', 3)).toBe('ab… (4 more characters)');
    expect(clipped('ab😀cd', 4)).toBe('ab😀… (2 more characters)');
  });
});
