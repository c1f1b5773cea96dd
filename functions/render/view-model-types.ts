/** The view model's contract: what every document (HTML, PDF, email) is rendered from. Types only. */
import type { ControlResult, ReportV1 } from '../analysis/report-model.js';

/**
 * What every document shows, derived from report.json alone (pure), so the HTML page, the PDF and the email
 * can never disagree. Values stay typed (Cell) so templates format them with helpers in the report's time zone.
 */
export interface ViewModel {
  schema: 'sox-report-view/v1';
  branding: Branding;
  title: string;
  timezone: string;
  period: {
    kind: 'daily' | 'adhoc' | 'rollup';
    /** `Daily report for Tuesday, 24 November 2026` or `Ad-hoc report`. */
    heading: string;
    fromLocal: string;
    toLocal: string;
    fromUtc: string;
    toUtc: string;
    hours: number;
    /** `24 hours`, `23 hours` (a DST day), `35 min 00 s`. */
    length: string;
    date: string | null;
  };
  generatedAtLocal: string;
  generatedAtUtc: string;
  status: Exclude<Status, 'ok' | 'refused' | 'open' | 'resolved' | AccessMark>;
  statusSentence: string;
  signatureNotice: string;
  archiveLocation: string | null;
  keyFigures: { label: string; value: Cell }[];
  /** `2 access changes since the previous daily report: see Access review.`; null when none or not collected. */
  accessChanges: string | null;
  failedControls: ControlResult[];
  warnedControls: ControlResult[];
  openIncidents: ReportV1['incidents'];
  sections: Section[];
  /** A rollup's period in words and its days missing or failing (for the email); absent for other reports. */
  rollup?: RollupSummary;
}

export interface Branding {
  /** Null when the configuration names none: the documents then carry the title only. */
  company: string | null;
  title: string;
  /** `#rrggbb`. */
  accent: string;
  /** PNG bytes of the company logo. */
  logoPng: Uint8Array | null;
}

export type Status = 'pass' | 'fail' | 'warn' | 'not-applicable' | 'ok' | 'refused' | 'open' | 'resolved' | AccessMark;

/** The Access review's marks: a user with administrative privileges; whether the report's own user only reads. */
export type AccessMark = 'admin' | 'read-only' | 'not-read-only';

export type Cell =
  | { kind: 'text'; value: string | null }
  /** Identifiers read character by character: subjects, stream names, sequence ranges. */
  | { kind: 'code'; value: string | null }
  | { kind: 'number'; value: number }
  | { kind: 'time'; value: string | null }
  | { kind: 'duration'; seconds: number }
  | { kind: 'status'; value: Status }
  | { kind: 'list'; values: string[]; more: boolean };

export interface Column {
  label: string;
  align: 'left' | 'right';
  /** Relative width, for layouts that need one (the PDF). */
  weight: number;
}

export interface Table {
  id: string;
  caption: string;
  columns: Column[];
  rows: Cell[][];
  /** Rows that exist (in report.json or, for bounded lists, in the period); `omitted` of them are not shown. */
  total: number;
  omitted: number;
  /** Says where the rows left out are, when some are. */
  omittedNote: string | null;
  emptyText: string;
}

export interface Section {
  id: string;
  title: string;
  /** The SOX objective of the checklist this section gives evidence for. */
  objective: string;
  paragraphs: string[];
  tables: Table[];
}

export interface ViewOptions {
  branding: Branding;
  /** Rows shown per detail table; the rest stay in report.json and the table says how many were left out. */
  maxRows: number;
  /** Where the archived bundle lives, when known. */
  archiveLocation?: string | null;
  /** Whether the PDF carries a digital signature (the notice says how to check it). */
  signed: boolean;
}

/** What the officers' email says of a rollup (render/rollup-summary.ts). */
export interface RollupSummary {
  first: string;
  last: string;
  /** `November 2026`, `2026-Q4`, `2026` for a whole month, quarter or year; else `2026-11-03 to 2026-11-09`. */
  name: string;
  days: number;
  verified: number;
  failed: number;
  missing: number;
  /** Runs of consecutive days missing or failing for the same reasons, in day order. */
  exceptions: { days: string; status: 'failed' | 'missing'; why: string }[];
}
