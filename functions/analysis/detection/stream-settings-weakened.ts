import type { Detection } from '../../incidents/model.js';
import type { ReportV1 } from '../report-model.js';
import { detection, shownName, someOf } from './common.js';
import type { DetectionContext } from './context.js';

export const STREAM_SETTINGS_WEAKENED = 'stream-settings-weakened';

/**
 * A stream whose current settings are weaker than provision's tamper-resistant spec (deny_delete off, limits
 * that drop events, …) in a way the previous report did not already find: a weakening opens one incident, and a
 * stream that stays weak is the capture-tamper-resistant control's daily finding, not a new incident each day.
 * Observed when the report ran, so dated then; the stream's info is the evidence, not a message.
 */
export function streamSettingsWeakened(report: ReportV1, context: DetectionContext): Detection[] {
  const audit = new Set(context.auditStreams);
  const known = (stream: string) =>
    new Set(context.previous?.streamSettings?.find((s) => s.stream === stream)?.findings ?? []);
  return (context.driftFindings ?? [])
    .map((d) => ({ ...d, findings: d.findings.filter((f) => !known(d.stream).has(f)) }))
    .filter((d) => d.findings.length > 0)
    .map((d) =>
      detection(report, {
        rule: STREAM_SETTINGS_WEAKENED,
        severity: audit.has(d.stream) ? 'critical' : 'high',
        subject: d.stream,
        summary:
          `${audit.has(d.stream) ? 'audit stream' : 'stream'} ${shownName(d.stream)} is weaker than its ` +
          `tamper-resistant settings: ${someOf(
            d.findings.map((f) => shownName(f, 200)),
            6,
          )}`,
        at: report.generatedAt,
        evidence: [],
      }),
    );
}
