import { isAuditKind, type DetectionConfig, type StreamKind } from '../../config/schema.js';
import type { Detection } from '../../incidents/model.js';
import type { PreviousReport, ReportV1 } from '../report-model.js';

/** What the rules read besides the report itself; everything is gathered by the pipeline, the rules stay pure. */
export interface DetectionContext {
  /** The report of the period before (null on the first day): its baseline says who and which hosts are known. */
  previous: PreviousReport | null;
  /** The configuration's `detection` block. */
  thresholds: DetectionConfig;
  /** The configured streams of kind system-events and advisories: the audit record itself. */
  auditStreams: string[];
  /** The configured IANA time zone: business hours are wall-clock hours there. */
  timezone: string;
  /** Capture streams whose current settings are weaker than provision's spec (planStream's drift findings). */
  driftFindings?: { stream: string; findings: string[] }[];
}

/**
 * What a rule watches, for the documents and controls to pick incidents by: logins (suspicious logins, login
 * incidents), JetStream changes, removals of records, and the integrity of the record itself.
 */
export type DetectionCategory = 'login' | 'change' | 'removal' | 'integrity';

/** One detection rule: a pure function of the report and its context. */
export interface DetectionRule {
  id: string;
  category: DetectionCategory;
  detect(report: ReportV1, context: DetectionContext): Detection[];
}

/** The context the report's parameters give: its time zone, thresholds and audit streams. */
export function detectionContext(
  parameters: { timezone: string; detection: DetectionConfig; streams: { stream: string; kind: StreamKind }[] },
  previous: PreviousReport | null,
  driftFindings?: { stream: string; findings: string[] }[],
): DetectionContext {
  const auditStreams = parameters.streams.filter((r) => isAuditKind(r.kind)).map((r) => r.stream);
  return {
    previous,
    thresholds: parameters.detection,
    auditStreams,
    timezone: parameters.timezone,
    ...(driftFindings ? { driftFindings } : {}),
  };
}
