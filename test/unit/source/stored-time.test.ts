import { describe, expect, it } from 'vitest';
import { deliveryOf, storedNanos } from '../../../functions/source/replay.js';

describe('deliveryOf reads sequence, stored time (to the nanosecond) and pending off a delivery subject', () => {
  it('reads the 12-token form of current servers', () => {
    expect(deliveryOf('$JS.ACK._.AHASH.SYS_EVENTS.sox-report_x.1.20012.5.1764000000123456789.17.Ab3')).toEqual({
      seq: 20012,
      ts: 1_764_000_000_123_456_789n,
      pending: 17,
    });
  });
  it('reads the 11-token form without the random suffix', () => {
    expect(deliveryOf('$JS.ACK.dom.AHASH.S.C.1.2.3.1764000000000000001.0')).toEqual({
      seq: 2,
      ts: 1_764_000_000_000_000_001n,
      pending: 0,
    });
  });
  it('reads the old 9-token form', () => {
    expect(deliveryOf('$JS.ACK.S.C.1.9007199254740991.3.1764000000999999999.4')).toEqual({
      seq: 9007199254740991,
      ts: 1_764_000_000_999_999_999n,
      pending: 4,
    });
    expect(storedNanos('$JS.ACK.S.C.1.2.3.1764000000999999999.0')).toBe(1_764_000_000_999_999_999n);
  });
  it('refuses what is not a delivery subject', () => {
    expect(() => storedNanos('_INBOX.abc.def')).toThrow(/not a JetStream delivery subject/);
    expect(() => storedNanos('$JS.ACK.S.C.1.2.3.notanumber.0')).toThrow(/no stored time/);
    expect(() => deliveryOf('$JS.ACK.S.C.1.x.3.1764000000999999999.0')).toThrow(/no sequence/);
    expect(() => deliveryOf('$JS.ACK.S.C.1.2.3.1764000000999999999.')).toThrow(/no sequence/);
  });
});
