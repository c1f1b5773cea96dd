/**
 * JetStream stores message times in nanoseconds since the epoch. A JS number holds only ~15 significant
 * digits, so every instant in the product is a bigint of nanoseconds and crosses text as RFC 3339 with
 * nine fractional digits.
 */
export type Nanos = bigint;

const NS_PER_MS = 1_000_000n;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

export function nanosFromMillis(ms: number): Nanos {
  return BigInt(Math.trunc(ms)) * NS_PER_MS;
}

export function millisFromNanos(ns: Nanos): number {
  return Number(ns / NS_PER_MS);
}

/** Parses an RFC 3339 instant, keeping every fractional digit; returns null when the text is not one. */
export function parseInstant(text: string): Nanos | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac = '', zone] = m;
  const wholeSecondsUtc = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${zone === 'Z' ? 'Z' : zone}`);
  if (Number.isNaN(wholeSecondsUtc)) return null;
  // Date.parse accepts 2026-02-31 by rolling over; an instant that does not round-trip is not a real one.
  const check = new Date(Date.parse(`${y}-${mo}-${d}T00:00:00Z`));
  if (check.getUTCDate() !== Number(d) || check.getUTCMonth() + 1 !== Number(mo)) return null;
  return nanosFromMillis(wholeSecondsUtc) + BigInt(frac.padEnd(9, '0') || '0');
}

/** Formats as RFC 3339 in UTC with exactly nine fractional digits (the form nats-server accepts). */
export function formatInstant(ns: Nanos): string {
  const wholeMs = ns >= 0n ? ns / NS_PER_MS : (ns - NS_PER_MS + 1n) / NS_PER_MS;
  const secondsMs = wholeMs - (((wholeMs % 1000n) + 1000n) % 1000n);
  const fraction = ns - secondsMs * NS_PER_MS;
  const base = new Date(Number(secondsMs)).toISOString().slice(0, 19);
  return `${base}.${fraction.toString().padStart(9, '0')}Z`;
}

export function nowNanos(): Nanos {
  return nanosFromMillis(Date.now());
}
