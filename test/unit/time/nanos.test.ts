import { describe, expect, it } from 'vitest';
import { formatInstant, parseInstant } from '../../../functions/time/nanos.js';

/** The general parse, as it was before the fast path for the server's form: the reference. */
function reference(text: string): bigint | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(
    text,
  );
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac = '', zone] = m;
  const whole = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${zone}`);
  if (Number.isNaN(whole)) return null;
  const check = new Date(Date.parse(`${y}-${mo}-${d}T00:00:00Z`));
  if (check.getUTCDate() !== Number(d) || check.getUTCMonth() + 1 !== Number(mo)) return null;
  return BigInt(whole) * 1_000_000n + BigInt(frac.padEnd(9, '0') || '0');
}

describe('parseInstant', () => {
  it('reads the instants nats-server writes to the nanosecond', () => {
    expect(parseInstant('2026-11-27T02:32:44.422612704Z')).toBe(1_795_746_764_422_612_704n);
    expect(parseInstant('2026-11-27T02:32:44Z')).toBe(1_795_746_764_000_000_000n);
    expect(parseInstant('2026-11-27T02:32:44.4Z')).toBe(1_795_746_764_400_000_000n);
    expect(parseInstant('2024-02-29T23:59:59.999999999Z')).toBe(1_709_251_199_999_999_999n);
  });

  it('refuses days a month does not have and what is not RFC 3339', () => {
    for (const text of [
      '2026-02-29T00:00:00Z',
      '2100-02-29T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-11-27T24:00:00Z',
      '2026-11-27T02:60:00Z',
      '2026-11-27T02:32:44.Z',
      '2026-11-27T02:32:44.1234567891Z',
      '2026-11-27 02:32:44Z',
      '2026-11-27T02:32:44z',
      '２026-11-27T02:32:44Z',
      '',
    ])
      expect(parseInstant(text), text).toBeNull();
    expect(parseInstant('2000-02-29T00:00:00Z')).toBe(951_782_400_000_000_000n);
  });

  it('agrees with the general parse on thousands of instants, offsets and odd forms included', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    for (let i = 0; i < 5000; i++) {
      const year = [1000, 1970, 1999, 2000, 2024, 2026, 2100, 9999][Math.floor(random() * 8)]!;
      const digits = Math.floor(random() * 11);
      const fraction = digits === 0 ? '' : `.${pad(Math.floor(random() * 10 ** Math.min(digits, 9)), digits)}`;
      const zone = random() < 0.8 ? 'Z' : `${random() < 0.5 ? '+' : '-'}0${Math.floor(random() * 10)}:30`;
      const text =
        `${pad(year, 4)}-${pad(1 + Math.floor(random() * 13), 2)}-${pad(1 + Math.floor(random() * 31), 2)}T` +
        `${pad(Math.floor(random() * 25), 2)}:${pad(Math.floor(random() * 61), 2)}:` +
        `${pad(Math.floor(random() * 61), 2)}${fraction}${zone}`;
      expect(parseInstant(text), text).toBe(reference(text));
    }
  });

  it('reads back what formatInstant writes', () => {
    for (const ns of [0n, 1n, 1_795_746_764_422_612_704n, 253_402_300_799_999_999_999n])
      expect(parseInstant(formatInstant(ns))).toBe(ns);
  });
});

describe('formatInstant', () => {
  const NS_PER_MS = 1_000_000n;
  /** What Date writes for whole milliseconds, with the nanoseconds below them added: the reference. */
  const byDate = (ms: number, belowMs: bigint) => {
    const iso = new Date(ms).toISOString();
    return `${iso.slice(0, -5)}.${iso.slice(-4, -1)}${belowMs.toString().padStart(6, '0')}Z`;
  };

  it('writes the seconds of a year past 9999 or before 0000, as ISO 8601 writes an expanded year', () => {
    // The end of a rollup folder named 1000-01-01_9999-12-31 in UTC: it was `+010000-01-01T00:00.000000000Z`.
    expect(formatInstant(253_402_300_800_000n * NS_PER_MS)).toBe('+010000-01-01T00:00:00.000000000Z');
    expect(formatInstant(253_402_300_800_000n * NS_PER_MS + 61_000_000_007n)).toBe('+010000-01-01T00:01:01.000000007Z');
    // The start of the day 0000-01-01 in Tokyo.
    expect(formatInstant(-62_167_251_600_000n * NS_PER_MS)).toBe('-000001-12-31T15:00:00.000000000Z');
    expect(formatInstant(-62_167_219_200_000n * NS_PER_MS)).toBe('0000-01-01T00:00:00.000000000Z');
    expect(formatInstant(-1n)).toBe('1969-12-31T23:59:59.999999999Z');
  });

  it('agrees with Date over its whole range, and goes on past it', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const edges = [
      -8.64e15, -62_167_219_200_001, -62_167_219_200_000, 0, 253_402_300_799_999, 253_402_300_800_000, 8.64e15,
    ];
    const samples = [...edges, ...Array.from({ length: 20_000 }, () => Math.floor((random() * 2 - 1) * 8.64e15))];
    for (const ms of samples) {
      const below = BigInt(Math.floor(random() * 1_000_000));
      expect(formatInstant(BigInt(ms) * NS_PER_MS + below), String(ms)).toBe(byDate(ms, below));
    }
    // Past what Date can hold (±8.64e15 ms): still a date, with as many digits as the year needs.
    expect(formatInstant(8_640_000_000_000_000n * NS_PER_MS + 86_400_000_000_000n)).toBe(
      '+275760-09-14T00:00:00.000000000Z',
    );
    expect(formatInstant(10n ** 30n)).toBe('+31688738508781-06-07T01:46:40.000000000Z');
  });
});
