import { DateTime } from 'luxon';
import { parseInstant } from '../time/nanos.js';
import type { Cell, Status } from './view-model-types.js';

/**
 * How values read in every document (HTML, PDF, email). One place, so the PDF an auditor files and the page
 * an officer opens never disagree on a time or a number.
 */

// A heavy day formats tens of thousands of times and numbers: build each formatter once, not per value.
const NUMBER_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });
const zoneFormats = new Map<string, Intl.DateTimeFormat>();

function zoneFormat(timezone: string): Intl.DateTimeFormat {
  let format = zoneFormats.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    zoneFormats.set(timezone, format);
  }
  return format;
}

/**
 * An RFC 3339 instant in the report's time zone, keeping the stored nanoseconds:
 * `2026-11-24 09:13:05.123456789 -05:00`.
 */
export function formatTime(iso: string, timezone: string): string {
  const ns = parseInstant(iso);
  if (ns === null) return iso;
  const wholeSeconds = ns >= 0n ? ns / 1_000_000_000n : (ns - 999_999_999n) / 1_000_000_000n;
  const fraction = (ns - wholeSeconds * 1_000_000_000n).toString().padStart(9, '0');
  const ms = Number(wholeSeconds) * 1000;
  const parts: Record<string, string> = {};
  for (const p of zoneFormat(timezone).formatToParts(ms)) parts[p.type] = p.value;
  const wall = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  const offsetMinutes = Math.round((wall - ms) / 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  const time = `${parts.hour}:${parts.minute}:${parts.second}.${fraction}`;
  return `${parts.year}-${parts.month}-${parts.day} ${time} ${offset}`;
}

/** A period boundary, to the second: `Tue 24 Nov 2026 00:00:00 EST (-05:00)`. */
export function formatBoundary(iso: string, timezone: string): string {
  const ns = parseInstant(iso);
  if (ns === null) return iso;
  const local = DateTime.fromMillis(Number(ns / 1_000_000n), { zone: timezone, locale: 'en-US' });
  const text = `${local.toFormat('ccc d LLL yyyy HH:mm:ss')} ${local.offsetNameShort ?? ''} (${local.toFormat('ZZ')})`;
  return text.replace('  ', ' ');
}

export function formatNumber(n: number): string {
  return NUMBER_FORMAT.format(n);
}

/** Seconds as `2 h 03 min 07 s`, `4 min 05 s`, `12.5 s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${Number(seconds.toFixed(3))} s`;
  const total = Math.round(seconds);
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (x: number) => String(x).padStart(2, '0');
  if (d > 0) return `${d} d ${pad(h)} h ${pad(m)} min`;
  if (h > 0) return `${h} h ${pad(m)} min ${pad(s)} s`;
  return `${m} min ${pad(s)} s`;
}

const STATUS_LABELS: Record<Status, string> = {
  pass: 'PASS',
  fail: 'FAIL',
  warn: 'WARNING',
  'not-applicable': 'N/A',
  ok: 'OK',
  refused: 'REFUSED',
  open: 'OPEN',
  resolved: 'RESOLVED',
  admin: 'ADMIN',
  'read-only': 'READ-ONLY',
  'not-read-only': 'NOT READ-ONLY',
};

export function statusLabel(status: Status): string {
  return STATUS_LABELS[status];
}

/** Shown where an event does not say (a user on nats-server 2.9, a host of a failed login). */
export const NOT_RECORDED = '—';

/** A cell as plain text (PDF, plain-text email, tests). */
export function cellText(cell: Cell, timezone: string): string {
  switch (cell.kind) {
    case 'text':
    case 'code':
      return cell.value ?? NOT_RECORDED;
    case 'number':
      return formatNumber(cell.value);
    case 'time':
      return cell.value === null ? NOT_RECORDED : formatTime(cell.value, timezone);
    case 'duration':
      return formatDuration(cell.seconds);
    case 'status':
      return statusLabel(cell.value);
    case 'list':
      return cell.values.length === 0 ? NOT_RECORDED : cell.values.join(', ') + (cell.more ? ', …' : '');
  }
}
