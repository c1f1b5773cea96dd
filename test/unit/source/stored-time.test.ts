import { describe, expect, it } from 'vitest';
import { storedNanos } from '../../../functions/source/replay.js';

describe('storedNanos reads the stored time off a delivery subject, to the nanosecond', () => {
  it('reads the 12-token form of current servers', () => {
    expect(storedNanos('$JS.ACK._.AHASH.SYS_EVENTS.sox-report_x.1.20012.5.1764000000123456789.17.Ab3')).toBe(
      1_764_000_000_123_456_789n,
    );
  });
  it('reads the 11-token form without the random suffix', () => {
    expect(storedNanos('$JS.ACK.dom.AHASH.S.C.1.2.3.1764000000000000001.0')).toBe(1_764_000_000_000_000_001n);
  });
  it('reads the old 9-token form', () => {
    expect(storedNanos('$JS.ACK.S.C.1.2.3.1764000000999999999.0')).toBe(1_764_000_000_999_999_999n);
  });
  it('refuses what is not a delivery subject', () => {
    expect(() => storedNanos('_INBOX.abc.def')).toThrow(/not a JetStream delivery subject/);
    expect(() => storedNanos('$JS.ACK.S.C.1.2.3.notanumber.0')).toThrow(/no stored time/);
  });
});
