import type { PreviousReport, ReportV1 } from './report-model.js';

/** What a report takes from the one before it (and records in its inputs): nothing more. */
export function carriedOver(report: ReportV1): PreviousReport {
  return {
    streams: report.streams,
    ...(report.baseline ? { baseline: report.baseline } : {}),
    ...(report.streamSettings ? { streamSettings: report.streamSettings } : {}),
    controls: report.controls,
    ...(report.access ? { access: report.access } : {}),
  };
}
