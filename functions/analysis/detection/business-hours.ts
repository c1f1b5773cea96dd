import { DateTime } from 'luxon';
import { WEEKDAYS, type DetectionConfig } from '../../config/schema.js';
import { parseInstant } from '../../time/nanos.js';

export type BusinessHours = DetectionConfig['businessHours'];

function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/**
 * Whether an instant falls inside business hours on the wall clock of `timezone` (so a DST day moves them
 * with the clocks). Start is inclusive, end exclusive: 07:00:00 is in hours, 19:00:00 is not.
 */
export function withinBusinessHours(iso: string, hours: BusinessHours, timezone: string): boolean {
  const ns = parseInstant(iso);
  if (ns === null) return false;
  const local = DateTime.fromMillis(Number(ns / 1_000_000n), { zone: timezone });
  const day = WEEKDAYS[local.weekday - 1]!;
  if (!hours.days.includes(day)) return false;
  const minute = local.hour * 60 + local.minute;
  return minute >= minutesOf(hours.start) && minute < minutesOf(hours.end);
}

/** "mon, tue, wed, thu, fri 07:00–19:00 America/New_York" */
export function describeBusinessHours(hours: BusinessHours, timezone: string): string {
  return `${hours.days.join(', ')} ${hours.start}–${hours.end} ${timezone}`;
}
