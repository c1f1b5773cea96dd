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
  const utc = parseUtcInstant(text);
  if (utc !== undefined) return utc;
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

/**
 * The form nats-server writes (UTC, `Z`, years 1000 and on), read digit by digit: events carry two or three instants
 * each, and the regular expression and Date.parse cost a microsecond apiece. undefined: not that form (the general
 * parse decides); null: that form, but a day the month does not have.
 */
function parseUtcInstant(text: string): Nanos | null | undefined {
  const n = text.length;
  if (n < 20 || n > 30 || text.charCodeAt(n - 1) !== 0x5a) return undefined;
  if (
    text.charCodeAt(4) !== 0x2d ||
    text.charCodeAt(7) !== 0x2d ||
    text.charCodeAt(10) !== 0x54 ||
    text.charCodeAt(13) !== 0x3a ||
    text.charCodeAt(16) !== 0x3a
  )
    return undefined; // not `-`, `-`, `T`, `:`, `:` where RFC 3339 puts them
  const y = digits(text, 0, 4);
  const mo = digits(text, 5, 2);
  const d = digits(text, 8, 2);
  const h = digits(text, 11, 2);
  const mi = digits(text, 14, 2);
  const s = digits(text, 17, 2);
  if (y < 1000 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59)
    return undefined;
  if (d > daysInMonth(y, mo)) return null;
  let fraction = 0;
  if (n > 20) {
    const length = n - 21;
    if (text.charCodeAt(19) !== 0x2e || length < 1 || length > 9) return undefined;
    fraction = digits(text, 20, length);
    if (fraction < 0) return undefined;
    fraction *= 10 ** (9 - length);
  }
  return BigInt(Date.UTC(y, mo - 1, d, h, mi, s)) * NS_PER_MS + BigInt(fraction);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/** The decimal number of `count` digits at `at`, or -1 if one of them is not a digit. */
function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * Formats as RFC 3339 in UTC with exactly nine fractional digits (the form nats-server accepts). RFC 3339 has years
 * 0000 to 9999 only; an instant outside them (a folder named for 9999-12-31 ends in the year 10000 in UTC) is
 * written as ISO 8601 writes an expanded year, a sign and at least six digits: `+010000-01-01T00:00:00.000000000Z`,
 * `-000001-12-31T15:00:00.000000000Z`. Every bigint is an instant: nothing is out of range.
 */
export function formatInstant(ns: Nanos): string {
  const wholeMs = ns >= 0n ? ns / NS_PER_MS : (ns - NS_PER_MS + 1n) / NS_PER_MS;
  const secondsMs = wholeMs - (((wholeMs % 1000n) + 1000n) % 1000n);
  const fraction = ns - secondsMs * NS_PER_MS;
  const base =
    secondsMs >= YEAR_0_MS && secondsMs < YEAR_10000_MS
      ? new Date(Number(secondsMs)).toISOString().slice(0, 19)
      : expandedYearInstant(secondsMs / 1000n);
  return `${base}.${fraction.toString().padStart(9, '0')}Z`;
}

/** 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z in milliseconds: Date writes the years between with four digits. */
const YEAR_0_MS = -62_167_219_200_000n;
const YEAR_10000_MS = 253_402_300_800_000n;

/** `±YYYYYY-MM-DDTHH:MM:SS` of whole seconds since the epoch, with the proleptic Gregorian calendar Date uses. */
function expandedYearInstant(seconds: bigint): string {
  const days = floorDiv(seconds, 86_400n);
  const ofDay = seconds - days * 86_400n;
  const { year, month, day } = civilDate(days);
  const sign = year < 0n ? '-' : '+';
  const yyyy = (year < 0n ? -year : year).toString().padStart(6, '0');
  const two = (n: bigint) => n.toString().padStart(2, '0');
  return (
    `${sign}${yyyy}-${two(month)}-${two(day)}` +
    `T${two(ofDay / 3600n)}:${two((ofDay / 60n) % 60n)}:${two(ofDay % 60n)}`
  );
}

/** The calendar date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`, in bigints). */
function civilDate(days: bigint): { year: bigint; month: bigint; day: bigint } {
  const z = days + 719_468n;
  const era = floorDiv(z, 146_097n);
  const dayOfEra = z - era * 146_097n;
  const yearOfEra = (dayOfEra - dayOfEra / 1_460n + dayOfEra / 36_524n - dayOfEra / 146_096n) / 365n;
  const dayOfYear = dayOfEra - (365n * yearOfEra + yearOfEra / 4n - yearOfEra / 100n);
  const shifted = (5n * dayOfYear + 2n) / 153n; // months from March
  const day = dayOfYear - (153n * shifted + 2n) / 5n + 1n;
  const month = shifted < 10n ? shifted + 3n : shifted - 9n;
  return { year: yearOfEra + era * 400n + (month <= 2n ? 1n : 0n), month, day };
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

export function nowNanos(): Nanos {
  return nanosFromMillis(Date.now());
}
