import { describe, expect, it } from 'vitest';
import { shownLine } from '../../../functions/cli/exit.js';

describe('a line of output that carries names from events', () => {
  it('keeps the blank lines put before it and escapes every other break, control and bidi override', () => {
    expect(shownLine('\n\nreport for alice:')).toBe('\n\nreport for alice:');
    expect(shownLine('  INC-1  HIGH  brute-force: eve\n  INC-2  LOW  forged: \u202enimda')).toBe(
      '  INC-1  HIGH  brute-force: eve\\n  INC-2  LOW  forged: \\u202Enimda',
    );
    expect(shownLine('\nconnect nats://audit:secret@host:4222 \u001b[2J')).toBe(
      '\nconnect nats://***@host:4222 \\u001B[2J',
    );
  });
});
