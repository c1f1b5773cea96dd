import { describe, expect, it } from 'vitest';
import { progressDisplay, type DisplayStream } from '../../../functions/cli/progress-display.js';
import { tx } from '../../support/progress-updates.js';

/** A stream that keeps what is written to it, a terminal or not. */
function fakeStderr(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = {
    isTTY,
    columns: 120,
    write: (chunk: string | Uint8Array, ...rest: unknown[]) => {
      chunks.push(String(chunk));
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    },
  } as unknown as DisplayStream;
  return { stream, text: () => chunks.join('') };
}

/** ESC [ 0 J: clear from the cursor to the end of the screen, how cli-progress takes its bars away. */
const CLEAR_DOWN = '\u001b[0J';

describe('progress display on a terminal', () => {
  it.each([
    ['stderr is not a terminal', false, false],
    ['--quiet', true, true],
  ])('shows nothing when %s: no progress port, lines written as they are', (_case, isTTY, quiet) => {
    const stderr = fakeStderr(isTTY);
    const display = progressDisplay(stderr.stream, { quiet });
    expect(display.progress).toBeUndefined();
    display.write('app/TRANSACTIONS: 4500 messages, 0 missing\n');
    display.stop();
    expect(stderr.text()).toBe('app/TRANSACTIONS: 4500 messages, 0 missing\n');
  });

  it('draws a bar per stream under way with read/total, rate and time left, and clears it when all are done', () => {
    const stderr = fakeStderr(true);
    let now = 0;
    const display = progressDisplay(stderr.stream, { now: () => now });
    const progress = display.progress!;
    progress(tx(0, 4_000));
    now = 1_000;
    progress(tx(2_000, 4_000));
    // A line written meanwhile goes above the bar, which is drawn again beneath it.
    display.write('email: no outbox configured\n');
    const during = stderr.text();
    expect(during).toContain('email: no outbox configured\n');
    expect(during).toMatch(/app\/TRANSACTIONS \S+ 2000\/4000 {2}2000 msg\/s {2}1s left/);
    expect(during.indexOf('2000/4000')).toBeGreaterThan(during.indexOf('email: no outbox configured'));
    now = 2_000;
    progress(tx(4_000, 4_000, true));
    const after = stderr.text();
    expect(after).toMatch(/app\/TRANSACTIONS \S+ 4000\/4000 {2}2000 msg\/s {2}done/);
    expect(after.endsWith(CLEAR_DOWN)).toBe(true);
    expect(after.lastIndexOf('4000/4000')).toBeLessThan(after.lastIndexOf(CLEAR_DOWN));
    // Once cleared, lines are written as they are; stop is harmless twice.
    display.write('app/TRANSACTIONS: 4000 messages, 0 missing\n');
    display.stop();
    display.stop();
    expect(stderr.text()).toBe(`${after}app/TRANSACTIONS: 4000 messages, 0 missing\n`);
  });

  it('draws no bar for a stream that had nothing under way', () => {
    const stderr = fakeStderr(true);
    const display = progressDisplay(stderr.stream, { now: () => 0 });
    display.progress!({ source: 'audit', stream: 'SYS_EVENTS', read: 0, total: 0, done: true });
    display.stop();
    expect(stderr.text()).toBe('');
  });

  it('takes the bars away when the run stops early (an error)', () => {
    const stderr = fakeStderr(true);
    const display = progressDisplay(stderr.stream, { now: () => 0 });
    display.progress!(tx(0, 4_000));
    display.stop();
    expect(stderr.text().endsWith(CLEAR_DOWN)).toBe(true);
    display.write('sox-report: source "app": replay of stream TRANSACTIONS failed\n');
    expect(stderr.text().endsWith('failed\n')).toBe(true);
  });
});
