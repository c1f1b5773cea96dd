import type { Detection, Severity } from '../../incidents/model.js';
import type { AccessChange } from '../../access/model.js';
import type { ReportV1 } from '../report-model.js';
import { detection } from './common.js';

export const ACCESS_CHANGE = 'access-change';

/** Widening who may reach what is the change auditors ask about first; a restart or upgrade is noted, not alarming. */
const SEVERITY: Record<AccessChange['kind'], Severity> = {
  'export-added': 'high',
  'export-removed': 'medium',
  'import-added': 'high',
  'import-removed': 'medium',
  'permissions-changed': 'high',
  'configuration-reloaded': 'medium',
  'server-restarted': 'low',
  'server-upgraded': 'medium',
  'stream-settings-changed': 'high',
  'revocation-added': 'medium',
  'mapping-changed': 'high',
  // A lifted revocation lets a credential back in; another issuer is another key able to rewrite the account.
  'revocation-removed': 'high',
  'jetstream-limits-changed': 'medium',
  'account-expiry-changed': 'medium',
  'account-issuer-changed': 'high',
};

/**
 * Every difference from the previous daily report's access (access/changes.ts) opens an incident: what changed,
 * when where the server says (a reload's load time, a restart), else when the report saw it, and on which server,
 * account, user or stream. Its evidence is the servers' answers recorded in report.json, not a message.
 */
export function accessChange(report: ReportV1): Detection[] {
  return (report.access?.changes ?? []).map((c) =>
    detection(report, {
      rule: ACCESS_CHANGE,
      severity: SEVERITY[c.kind],
      subject: `${c.kind}: ${c.subject}${c.after !== null && c.kind.endsWith('-added') ? `: ${c.after}` : ''}${
        c.before !== null && c.kind.endsWith('-removed') ? `: ${c.before}` : ''
      }`,
      summary:
        `${c.detail}` +
        (c.before !== null && c.after !== null ? ` (before: ${c.before}; now: ${c.after})` : '') +
        (c.at !== null ? ` at ${c.at}` : ''),
      at: report.access!.collectedAt,
      evidence: [],
    }),
  );
}
