import type { ControlResult } from '../report-model.js';
import { authFailuresInvestigated, changesAttributed, eventsUnderstood, noTamperingAttempts } from './access.js';
import { captureConfigured, captureTamperResistant } from './capture.js';
import type { ControlInputs } from './inputs.js';
import { notificationsDelivered } from './notifications.js';
import { reportingUserReadOnly } from './reporting-user.js';
import { reportsReviewed } from './reviews.js';
import { auditCompleteness, eventsFlowing, financialRecordsComplete } from './records.js';
import { archiveLockInForce, noIncidentPastDeadline, previousReportInChain, remoteMirrorInSync } from './safeguards.js';
import type { Verdict } from './verdict.js';

/** The objectives of the seed's SOX checklist a control gives evidence for. */
export type SoxObjective =
  | 'Prevent data tampering'
  | 'Record timelines'
  | 'Track access'
  | 'Safeguards'
  | 'Security incidents';

/** One control: what it proves, from what, and when it passes, fails or warns (docs/controls.md is made from these). */
export interface ControlDefinition {
  id: string;
  title: string;
  objective: SoxObjective;
  evidence: string;
  passes: string;
  fails: string;
  warns: string | null;
  evaluate(inputs: ControlInputs): Verdict;
}

export const CONTROLS: readonly ControlDefinition[] = [
  {
    id: 'capture-configured',
    title: 'Every required event is captured',
    objective: 'Track access',
    evidence:
      'each configured capture stream as the server describes it, against the subjects its kind requires for ' +
      'every account named',
    passes: 'every stream exists and captures every required subject',
    fails: 'a stream is missing, or does not capture a required subject',
    warns: 'the streams could not be inspected in this run',
    evaluate: captureConfigured,
  },
  {
    id: 'capture-tamper-resistant',
    title: 'Capture streams are tamper-resistant',
    objective: 'Prevent data tampering',
    evidence:
      'the settings of each capture stream (storage, deny_delete, deny_purge, roll-ups, discard, limits, ' +
      "max_age) against the provision spec; the previous report's result",
    passes: 'every stream keeps the provision settings',
    fails: 'a setting is weaker than the spec (and says whether it weakened since the previous report)',
    warns: 'the streams could not be inspected in this run',
    evaluate: captureTamperResistant,
  },
  {
    id: 'audit-completeness',
    title: 'The audit record is complete',
    objective: 'Prevent data tampering',
    evidence:
      'the sequence numbers of every message of the audit streams in the period, ' +
      'and the last sequence of the previous report',
    passes: 'no sequence is missing and each stream continues where the previous report ended',
    fails: 'a sequence is missing in the period, or between the previous report and this one',
    warns: 'the period overlaps the previous one',
    evaluate: auditCompleteness,
  },
  {
    id: 'financial-records-complete',
    title: 'Financial records are complete',
    objective: 'Record timelines',
    evidence: 'the sequence numbers of every message of the transaction streams in the period',
    passes: 'no record is missing',
    fails: 'records were deleted or purged; their sequences are named',
    warns: null,
    evaluate: financialRecordsComplete,
  },
  {
    id: 'events-flowing',
    title: 'Events are flowing',
    objective: 'Safeguards',
    evidence: 'the number of messages each stream recorded in the period, and the streams configured as quiet',
    passes: 'every stream recorded events, or is configured as quiet',
    fails: 'a stream not configured as quiet recorded nothing all period',
    warns: null,
    evaluate: eventsFlowing,
  },
  {
    id: 'remote-mirror',
    title: 'A remote mirror is present and in sync',
    objective: 'Safeguards',
    evidence: 'the mirror streams the configuration names, their last sequence against the source',
    passes: 'every mirror exists and has caught up',
    fails: 'a mirror is missing or behind',
    warns: null,
    evaluate: remoteMirrorInSync,
  },
  {
    id: 'auth-failures-investigated',
    title: 'Authentication failures are investigated',
    objective: 'Security incidents',
    evidence: 'the failed logins of the period and the login incidents of the incident record',
    passes: 'no login failed, or every login incident is acknowledged or resolved',
    fails: 'a login incident stayed unacknowledged past the deadline',
    warns: 'a login incident is not yet acknowledged, or the incident record could not be read',
    evaluate: authFailuresInvestigated,
  },
  {
    id: 'changes-attributed',
    title: 'Changes are attributed to a person',
    objective: 'Track access',
    evidence: 'the user named by the JetStream API audit record of each change',
    passes: 'every change names the user who made it',
    fails: 'never: a server that names only the account warns',
    warns: 'a change names only the account (nats-server before 2.10.10)',
    evaluate: changesAttributed,
  },
  {
    id: 'reporting-user-read-only',
    title: 'The reporting user can only read',
    objective: 'Prevent data tampering',
    evidence:
      "the reporting user's own permissions as the server states them ($SYS.REQ.USER.INFO, nats-server 2.10+), " +
      'or in operator mode as the JWT its connection logged in with grants them',
    passes: "it may publish only the README's read-only subjects (JetStream reads, information requests, its records)",
    fails: 'it is unrestricted, or may publish beyond the read-only list (named)',
    warns:
      'its permissions could not be read (a configuration file on nats-server 2.9, or the access evidence was not ' +
      'collected)',
    evaluate: reportingUserReadOnly,
  },
  {
    id: 'no-tampering-attempts',
    title: 'Nobody tried to alter the audit record',
    objective: 'Prevent data tampering',
    evidence: 'every JetStream API call against an audit stream, refused ones included',
    passes: 'no delete, purge, update or removal was asked for on an audit stream',
    fails: 'one was asked for, whether the server refused it or not',
    warns: null,
    evaluate: noTamperingAttempts,
  },
  {
    id: 'previous-report-in-chain',
    title: 'The previous report is present and valid in the chain',
    objective: 'Safeguards',
    evidence: "the previous daily bundle: its manifest, the manifest's signature and the link this report makes to it",
    passes:
      "the previous day's bundle is there and its manifest signature verifies, or this is the first of the series",
    fails: 'the previous day is missing, or its manifest does not verify',
    warns: null,
    evaluate: previousReportInChain,
  },
  {
    id: 'archive-lock',
    title: 'The archive lock is in force',
    objective: 'Prevent data tampering',
    evidence: 'the Object Lock mode and retain-until date S3 reports for what this run archived',
    passes: 'COMPLIANCE mode with a retain-until date in the future',
    fails: 'another mode, or a date that has passed',
    warns: null,
    evaluate: archiveLockInForce,
  },
  {
    id: 'incident-deadline',
    title: 'No incident is open past its deadline',
    objective: 'Security incidents',
    evidence: 'the incident record: every incident, its status and age',
    passes: 'every open incident is younger than the deadline',
    fails: 'an incident is open longer than the deadline',
    warns: 'the incident record could not be read',
    evaluate: noIncidentPastDeadline,
  },
  {
    id: 'events-understood',
    title: 'Every event was understood and genuine',
    objective: 'Safeguards',
    evidence: 'the events that could not be parsed, or that claim another account than the one they were published in',
    passes: 'every event was understood',
    fails: 'an event claims to come from where it cannot (forged)',
    warns: 'an event could not be understood',
    evaluate: eventsUnderstood,
  },
  {
    id: 'reports-reviewed',
    title: 'Earlier reports were reviewed and signed off',
    objective: 'Safeguards',
    evidence:
      'the daily bundles of the last review.lookbackDays days in the archive, the SHA-256 of each manifest, and ' +
      'the attestations of the attestation record (sox-report attest)',
    passes: 'every bundle older than review.deadlineDays has an attestation of its archived manifest',
    fails:
      'a bundle was not reviewed within review.deadlineDays, or an attestation names another manifest SHA-256 ' +
      'than the archived one',
    warns: 'the archived manifests or the attestation record could not be read',
    evaluate: reportsReviewed,
  },
  {
    id: 'incident-notifications-delivered',
    title: 'Incidents reached the incident management tools',
    objective: 'Security incidents',
    evidence:
      'the notifications the incident record queued for each configured integration (incidents.integrations), ' +
      'their tries and deliveries',
    passes: 'every notification was delivered, or none is configured to be',
    fails: 'a notification has been undelivered for more than a day',
    warns: 'a notification is awaiting a retry, or the queue could not be read',
    evaluate: notificationsDelivered,
  },
];

/** Evaluates every control of the catalogue, in catalogue order; a control that throws fails, it never vanishes. */
export function evaluateControls(inputs: ControlInputs): ControlResult[] {
  return CONTROLS.map((control) => {
    let verdict: Verdict;
    try {
      verdict = control.evaluate(inputs);
    } catch (err) {
      verdict = {
        status: 'fail',
        detail: `the control could not be evaluated: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
    return { id: control.id, title: control.title, status: verdict.status, detail: verdict.detail };
  });
}

/** The catalogue as a Markdown table (docs/controls.md is this, checked by a test). */
export function catalogueMarkdown(): string {
  const rows = CONTROLS.map(
    (c) =>
      `| \`${c.id}\` | ${c.title} | ${c.objective} | ${c.evidence} | ${c.passes} | ${c.fails} | ${c.warns ?? '—'} |`,
  );
  return [
    '# Control catalogue',
    '',
    'Every report evaluates each of these controls for its period (`functions/analysis/controls/catalogue.ts`; this',
    'file is generated from it and a test keeps the two equal). Each result in `report.json` `controls[]` carries its',
    'status (`pass`, `fail`, `warn`, `not-applicable`) and the evidence it found.',
    '',
    '| id | control | SOX objective | evidence it reads | passes when | fails when | warns when |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
