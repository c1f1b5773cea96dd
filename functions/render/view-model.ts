import { parseInstant } from '../time/nanos.js';
import { ruleCategory } from '../analysis/detection/detect.js';
import type { ControlResult, ReportV1 } from '../analysis/report-model.js';
import { formatBoundary, formatDuration, formatNumber, formatTime } from './format.js';
import type { Cell, Section, Status, Table, ViewModel, ViewOptions } from './view-model-types.js';
import { named } from '../text/named.js';
import { rollupSummary } from './rollup-summary.js';
import { accessChangesLine, accessReviewSection } from './view-model-access.js';
import {
  code,
  col,
  count,
  duration,
  list,
  num,
  numCol,
  status,
  type TableBuilder,
  text,
  time,
} from './view-model-cells.js';

export function overallStatus(controls: ControlResult[]): ViewModel['status'] {
  if (controls.some((c) => c.status === 'fail')) return 'fail';
  if (controls.some((c) => c.status === 'warn')) return 'warn';
  if (controls.length === 0 || controls.every((c) => c.status === 'not-applicable')) return 'not-applicable';
  return 'pass';
}

export function buildViewModel(report: ReportV1, options: ViewOptions): ViewModel {
  const tz = report.period.timezone;
  const from = parseInstant(report.period.from);
  const to = parseInstant(report.period.to);
  const hours = from !== null && to !== null ? Number((to - from) / 1_000_000n) / 3_600_000 : 0;
  const overall = overallStatus(report.controls);
  const failed = report.controls.filter((c) => c.status === 'fail');
  const warned = report.controls.filter((c) => c.status === 'warn');
  const openIncidents = report.incidents.filter((i) => i.status !== 'resolved');
  const table = tableBuilder(options.maxRows);

  return {
    schema: 'sox-report-view/v1',
    branding: options.branding,
    title: options.branding.title,
    timezone: tz,
    period: {
      kind: report.period.kind,
      heading: periodHeading(report, tz),
      fromLocal: formatBoundary(report.period.from, tz),
      toLocal: formatBoundary(report.period.to, tz),
      fromUtc: report.period.from,
      toUtc: report.period.to,
      hours: Math.round(hours * 1000) / 1000,
      length: Number.isInteger(hours) && hours > 0 ? count(hours, 'hour') : formatDuration(hours * 3600),
      date: report.period.date ?? null,
    },
    generatedAtLocal: formatTime(report.generatedAt, tz),
    generatedAtUtc: report.generatedAt,
    status: overall,
    statusSentence: statusSentence(overall, failed.length, warned.length, report.controls.length),
    signatureNotice: options.signed
      ? 'The PDF of this report carries a digital signature (PAdES): any PDF reader shows whether it is ' +
        'intact. The archive manifest, signed as well, records the SHA-256 of every file of this report.'
      : 'This report is not signed.',
    archiveLocation: options.archiveLocation ?? null,
    keyFigures: [
      { label: 'Controls failed', value: num(failed.length) },
      { label: 'Open incidents', value: num(openIncidents.length) },
      { label: 'Connections', value: num(report.connections.connects) },
      { label: 'Authentication failures', value: num(report.authFailures.total) },
      { label: 'JetStream changes', value: num(report.jetstreamSummary.changes) },
      { label: 'Refused changes', value: num(report.jetstreamSummary.refused) },
      { label: 'Financial transactions', value: num(report.transactions.total) },
      { label: 'Missing messages', value: num(report.streams.reduce((n, s) => n + s.missing, 0)) },
      { label: 'Events not understood', value: num(report.unparseable) },
    ],
    accessChanges: report.access ? accessChangesLine(report.access) : null,
    failedControls: failed,
    warnedControls: warned,
    openIncidents,
    ...(report.rollup ? { rollup: rollupSummary(report.rollup) } : {}),
    sections: [
      ...(report.rollup ? [rollupSection(report.rollup, table)] : []),
      tamperingSection(report, table),
      timelineSection(report, table),
      accessSection(report, table),
      // Only reports that carry access evidence get the section: older reports and rollups render as before.
      ...(report.access ? [accessReviewSection(report, report.access, table)] : []),
      safeguardsSection(report, table),
      incidentsSection(report, table),
      completenessSection(report, table),
      unparseableSection(report, table),
    ],
  };
}

/** Bounds a table to maxRows and says how many rows were left out, and where they are. */
function tableBuilder(maxRows: number): TableBuilder {
  return ({ rows, total = rows.length, where, ...spec }) => {
    const shown = rows.slice(0, maxRows);
    const omitted = Math.max(0, total - shown.length);
    const place = where ?? 'report.json';
    return {
      ...spec,
      rows: shown,
      total,
      omitted,
      omittedNote:
        omitted > 0
          ? `${formatNumber(omitted)} more ${omitted === 1 ? 'row is' : 'rows are'} not shown here; ${place}.`
          : null,
    };
  };
}

function periodHeading(report: ReportV1, tz: string): string {
  if (report.period.kind === 'daily' && report.period.date) {
    const [y, m, d] = report.period.date.split('-').map(Number);
    const day = new Date(Date.UTC(y!, m! - 1, d!)).toLocaleDateString('en-US', {
      weekday: 'long',
      year: 'numeric',
      month: 'long',
      day: 'numeric',
      timeZone: 'UTC',
    });
    return `Daily report for ${day} (${tz})`;
  }
  if (report.period.kind === 'rollup' && report.rollup) {
    return `Rollup report for ${report.rollup.first} to ${report.rollup.last} (${tz})`;
  }
  return `Ad-hoc report (${tz})`;
}

const ROLLUP_STATUS: Record<NonNullable<ReportV1['rollup']>['days'][number]['status'], Status> = {
  verified: 'ok',
  failed: 'fail',
  missing: 'fail',
};

/** A rollup's days: the trend of each day's figures, and the daily bundles it rests on with their manifests. */
function rollupSection(rollup: NonNullable<ReportV1['rollup']>, table: TableBuilder): Section {
  const n = (value: number | undefined) => (value === undefined ? text(null) : num(value));
  return {
    id: 'rollup',
    title: 'Rollup: the days and the daily bundles',
    objective: CHECKLIST.rollup,
    paragraphs: [
      `${count(rollup.days.length, 'day')} from ${rollup.first} to ${rollup.last}: ` +
        `${formatNumber(rollup.verified)} verified, ${formatNumber(rollup.failed)} failed verification, ` +
        `${formatNumber(rollup.missing)} missing. Only verified days are counted in the figures of this report.`,
    ],
    tables: [
      table({
        id: 'rollup-trend',
        caption: 'Per-day trend',
        columns: [
          col('Day', 1),
          col('Status', 0.8),
          numCol('Messages'),
          numCol('Failed logins'),
          numCol('Changes'),
          numCol('Incidents opened'),
          numCol('Incidents resolved'),
          col('Failing controls', 2),
        ],
        rows: rollup.days.map((d) => [
          text(d.date),
          status(ROLLUP_STATUS[d.status]),
          n(d.figures?.messages),
          n(d.figures?.authFailures),
          n(d.figures?.changes),
          n(d.figures?.incidentsOpened),
          n(d.figures?.incidentsResolved),
          list(d.figures?.failingControls ?? [], false),
        ]),
        emptyText: 'The rollup has no days.',
      }),
      table({
        id: 'rollup-bundles',
        caption: 'The daily bundles this rollup rests on',
        columns: [col('Day', 1), col('Bundle', 1.4), col('Status', 0.8), col('Manifest SHA-256', 3)],
        rows: rollup.days.map((d) => [text(d.date), code(d.bundle), text(d.status), code(d.manifestSha256)]),
        emptyText: 'The rollup has no days.',
      }),
      table({
        id: 'rollup-exceptions',
        caption: 'Days missing or failing verification',
        columns: [col('Day', 1), col('Status', 0.8), col('Why', 4)],
        rows: rollup.days
          .filter((d) => d.status !== 'verified')
          .map((d) => [text(d.date), status('fail'), list(d.problems, false)]),
        emptyText: 'Every day rests on a verified daily bundle.',
      }),
    ],
  };
}

function statusSentence(overall: ViewModel['status'], failed: number, warned: number, total: number): string {
  switch (overall) {
    case 'fail':
      return `${failed} of ${total} controls failed${warned ? ` and ${warned} warned` : ''}: see Safeguards.`;
    case 'warn':
      return `No control failed; ${warned} of ${total} warned: see Safeguards.`;
    case 'pass':
      return `All ${total} controls passed.`;
    default:
      return 'No control applied to this period.';
  }
}

const CHECKLIST = {
  rollup: 'Record timelines: every day of the period rests on a sealed daily bundle, verified before it is counted.',
  tampering: 'Prevent data tampering: who logged in, from where, how often and how long; failed and suspicious logins.',
  timeline: 'Record timelines: every financial record with its stored timestamp, and every record deleted.',
  access: 'Track access: every change to the stored data, with who made it, what, when, and whether it was allowed.',
  safeguards: 'Safeguards: every control, its status and its evidence.',
  incidents: 'Security incidents: what was detected, and whether it was mitigated.',
  completeness: 'Completeness: this report read every message the system recorded in the period.',
  unparseable: 'Events that could not be understood are counted and listed, never dropped.',
};

function tamperingSection(r: ReportV1, table: TableBuilder): Section {
  const c = r.connections;
  const af = r.authFailures;
  return {
    id: 'tampering',
    title: 'Prevent data tampering',
    objective: CHECKLIST.tampering,
    paragraphs: [
      `${count(c.connects, 'client connection')} and ${count(c.disconnects, 'disconnection')} by ` +
        `${count(c.users, 'user')}; ` +
        `${count(c.leafnodes.connects, 'leaf node connection')}; ${count(af.total, 'failed login')}.`,
    ],
    tables: [
      table({
        id: 'logins-by-user',
        caption: 'Logins by user',
        columns: [
          col('Account', 0.9),
          col('User', 1.1),
          numCol('Connects'),
          numCol('Disconnects', 1.1),
          col('Time connected', 1),
          col('Longest', 0.9),
          col('Client names', 1.4),
          col('Hosts', 1.1),
        ],
        rows: c.byUser.map((u) => [
          code(named(u.account, u.accountName)),
          text(u.user === null ? null : named(u.user, u.userName)),
          num(u.connects),
          num(u.disconnects),
          duration(u.totalDurationSeconds),
          duration(u.maxDurationSeconds),
          list(u.clients, u.clientsTruncated),
          list(u.hosts, u.hostsTruncated),
        ]),
        total: c.users,
        where: 'the ranking keeps the most active users',
        emptyText: 'No client connected in this period.',
      }),
      table({
        id: 'suspicious-logins',
        caption: 'Suspicious logins',
        columns: [col('Incident', 1.1), col('Rule', 1), col('Severity', 0.8), col('Status', 0.8), col('Summary', 3)],
        rows: r.incidents.filter((i) => ruleCategory(i.rule) === 'login').map(incidentRow),
        emptyText: 'No suspicious login is recorded for this period.',
      }),
      table({
        id: 'auth-failures-by-user',
        caption: 'Authentication failures by user',
        columns: [col('User', 2), numCol('Failures')],
        rows: af.byUser.map((u) => [text(u.user === null ? null : named(u.user, u.userName)), num(u.count)]),
        emptyText: 'No login failed in this period.',
      }),
      table({
        id: 'auth-failures-by-host',
        caption: 'Authentication failures by host',
        columns: [col('Host', 2), numCol('Failures')],
        rows: af.byHost.map((h) => [code(h.host), num(h.count)]),
        emptyText: 'No login failed in this period.',
      }),
      table({
        id: 'leafnodes',
        caption: 'Leaf node connections',
        columns: [
          col('Account'),
          col('User'),
          col('Leaf node', 1.2),
          numCol('Connects'),
          numCol('Disconnects'),
          col('Hosts', 1.2),
        ],
        rows: c.leafnodes.remotes.map((l) => [
          code(named(l.account, l.accountName)),
          text(l.user === null ? null : named(l.user, l.userName)),
          text(l.name),
          num(l.connects),
          num(l.disconnects),
          list(l.hosts, false),
        ]),
        emptyText: 'No leaf node connected in this period.',
      }),
    ],
  };
}

const DELETIONS = new Set(['msg.delete', 'stream.purge', 'stream.delete']);

function timelineSection(r: ReportV1, table: TableBuilder): Section {
  const tx = r.transactions;
  const txStreams = r.streams.filter((s) => s.kind === 'transactions');
  const removed = r.jetstreamChanges.filter((c) => DELETIONS.has(c.operation));
  return {
    id: 'timeline',
    title: 'Record timelines',
    objective: CHECKLIST.timeline,
    paragraphs: [
      tx.total === 0
        ? 'No financial transaction was stored in this period.'
        : `${count(tx.total, 'financial transaction')} stored between ` +
          `${formatTime(tx.first ?? '', r.period.timezone)} and ${formatTime(tx.last ?? '', r.period.timezone)}.`,
    ],
    tables: [
      table({
        id: 'transactions-by-subject',
        caption: 'Financial transactions by subject',
        columns: [col('Subject', 3), numCol('Transactions')],
        rows: tx.bySubject.map((s) => [code(s.subject), num(s.count)]),
        emptyText: 'No financial transaction was stored in this period.',
      }),
      table({
        id: 'transactions',
        caption: 'Financial transactions with their stored timestamps',
        columns: [col('Stored at', 1.6), col('Stream', 1), numCol('Sequence'), col('Subject', 2)],
        rows: tx.listed.map((t) => [time(t.time), code(t.stream), num(t.seq), code(t.subject)]),
        total: tx.total,
        where: 'every record is in the stream itself, by sequence',
        emptyText: 'No financial transaction was stored in this period.',
      }),
      table({
        id: 'deleted-records',
        caption: 'Deleted records',
        columns: [col('Stream', 1), col('Missing sequences', 3), numCol('Messages')],
        rows: txStreams
          .filter((s) => s.gaps.length > 0)
          .map((s) => [code(s.stream), code(gapText(s.gaps)), num(s.missing)]),
        emptyText: 'No financial record is missing from its stream.',
      }),
      table({
        id: 'deletions',
        caption: 'Deletions and purges requested',
        columns: [
          col('Time', 1.6),
          col('Account', 0.8),
          col('User', 1),
          col('Operation', 0.9),
          col('Target', 1.2),
          col('Result', 0.9),
          col('Detail', 1.2),
        ],
        rows: removed.map(changeRow),
        emptyText: 'Nobody asked to delete or purge a record in this period.',
      }),
    ],
  };
}

function accessSection(r: ReportV1, table: TableBuilder): Section {
  const js = r.jetstreamSummary;
  const ops = Object.entries(js.byOperation)
    .filter(([, n]) => n > 0)
    .map(([op, n]) => `${op} ${formatNumber(n)}`)
    .join(', ');
  return {
    id: 'access',
    title: 'Track access',
    objective: CHECKLIST.access,
    paragraphs: [
      `${count(js.changes, 'JetStream change')}${ops ? ` (${ops})` : ''}, ${formatNumber(js.refused)} refused. ` +
        `${count(js.reads, 'read-only API call')}; ${formatNumber(js.ownReads)} of them this report's own ` +
        'reads, not counted as activity.',
    ],
    tables: [
      table({
        id: 'jetstream-changes',
        caption: 'JetStream changes',
        columns: [
          col('Time', 1.6),
          col('Account', 0.8),
          col('User', 1),
          col('Client / host', 1.1),
          col('Operation', 0.9),
          col('Target', 1.2),
          col('Result', 0.9),
          col('Detail', 1.2),
        ],
        rows: r.jetstreamChanges.map((c) => {
          const [t, account, user, op, target, result, detail] = changeRow(c);
          return [
            t!,
            account!,
            user!,
            text([c.client, c.host].filter(Boolean).join(' @ ') || null),
            op!,
            target!,
            result!,
            detail!,
          ];
        }),
        // `changes` counts refused attempts too: they are changes someone asked for.
        total: Math.max(js.listed, js.changes),
        where: 'report.json lists the first ones; the advisory streams hold them all',
        emptyText: 'No JetStream change was made in this period.',
      }),
    ],
  };
}

function safeguardsSection(r: ReportV1, table: TableBuilder): Section {
  return {
    id: 'safeguards',
    title: 'Safeguards',
    objective: CHECKLIST.safeguards,
    paragraphs: [],
    tables: [
      table({
        id: 'controls',
        caption: 'Controls',
        columns: [col('Status', 0.8), col('Control', 1.4), col('Evidence', 4)],
        rows: r.controls.map((c) => [status(c.status), text(`${c.title} (${c.id})`), text(c.detail)]),
        emptyText: 'No control was evaluated.',
      }),
      ...(r.reviews ? [signOffTable(r.reviews, table)] : []),
    ],
  };
}

function incidentsSection(r: ReportV1, table: TableBuilder): Section {
  const opened = r.incidents.filter((i) => i.openedInPeriod ?? true);
  const resolved = r.incidents.filter((i) => i.resolvedInPeriod && i.resolved);
  const open = r.incidents.filter((i) => i.status !== 'resolved');
  const tracked = r.incidents.filter((i) => i.integrations?.length);
  return {
    id: 'incidents',
    title: 'Security incidents',
    objective: CHECKLIST.incidents,
    paragraphs: [
      `${count(opened.length, 'incident')} detected in this period; ${formatNumber(resolved.length)} ` +
        `resolved in it; ${formatNumber(open.length)} still open.`,
    ],
    tables: [
      table({
        id: 'incident-list',
        caption: 'Incidents detected in this period',
        columns: [col('Incident', 1.1), col('Rule', 1), col('Severity', 0.8), col('Status', 0.8), col('Summary', 3)],
        rows: opened.map(incidentRow),
        emptyText: 'No security incident was detected in this period.',
      }),
      table({
        id: 'incidents-resolved',
        caption: 'Incidents resolved in this period (mitigated)',
        columns: [col('Incident', 1.1), col('Rule', 1), col('Resolved at', 1.3), col('By', 1), col('Note', 2.4)],
        rows: resolved.map((i) => [
          code(i.id),
          text(i.rule),
          time(i.resolved!.at),
          text(i.resolved!.by),
          text(i.resolved!.note),
        ]),
        emptyText: 'No incident was resolved in this period.',
      }),
      table({
        id: 'incidents-open',
        caption: 'Incidents still open (not mitigated)',
        columns: [
          col('Incident', 1.1),
          col('Rule', 1),
          col('Severity', 0.8),
          col('Status', 0.8),
          numCol('Age (days)'),
          col('Acknowledged by', 1.4),
        ],
        rows: open.map((i) => [
          code(i.id),
          text(i.rule),
          text(i.severity),
          status(i.status === 'acknowledged' ? 'warn' : 'open'),
          num(i.ageDays ?? 0),
          text(i.acknowledged ? `${i.acknowledged.by}${i.acknowledged.note ? `: ${i.acknowledged.note}` : ''}` : null),
        ]),
        emptyText: 'No incident is open.',
      }),
      ...(tracked.length ? [toolsTable(tracked, table)] : []),
    ],
  };
}

/** Where each incident is in the incident management tools, and whether every change reached it. */
function toolsTable(incidents: ReportV1['incidents'], table: TableBuilder): Table {
  return table({
    id: 'incident-integrations',
    caption: 'Incidents in the incident management tools',
    columns: [col('Incident', 1.1), col('Tool', 1), col('Link', 2.4), col('Sync', 0.8)],
    rows: incidents.flatMap((i) =>
      (i.integrations ?? []).map((t) => [
        code(i.id),
        text(`${t.integration} (${t.type})`),
        text(t.key === null ? null : t.url === null ? t.key : `${t.key} ${t.url}`),
        text(t.sync),
      ]),
    ),
    emptyText: 'No incident was sent to a tool.',
  });
}

function completenessSection(r: ReportV1, table: TableBuilder): Section {
  return {
    id: 'completeness',
    title: 'Completeness',
    objective: CHECKLIST.completeness,
    paragraphs: [],
    tables: [
      table({
        id: 'streams',
        caption: 'Streams read',
        columns: [
          col('Source', 0.7),
          col('Stream', 1.2),
          col('Kind', 0.9),
          numCol('First seq'),
          numCol('Last seq'),
          numCol('Messages'),
          numCol('Missing'),
          col('Gaps', 1.4),
        ],
        rows: r.streams.map((s) => [
          code(s.source),
          code(s.stream + (s.account ? ` (${named(s.account, accountNameOf(r, s.account))})` : '')),
          text(s.kind),
          s.firstSeq === null ? text(null) : num(s.firstSeq),
          s.lastSeq === null ? text(null) : num(s.lastSeq),
          num(s.messages),
          num(s.missing),
          code(s.gaps.length ? gapText(s.gaps) : 'none'),
        ]),
        emptyText: 'No stream is configured.',
      }),
    ],
  };
}

function unparseableSection(r: ReportV1, table: TableBuilder): Section {
  return {
    id: 'unparseable',
    title: 'Events that could not be understood',
    objective: CHECKLIST.unparseable,
    paragraphs: [
      r.unparseable === 0
        ? 'Every event of the period was understood.'
        : `${count(r.unparseable, 'event')} could not be understood. They stay in their streams and are listed ` +
          'here by sequence.',
    ],
    tables: [
      table({
        id: 'unparseable-events',
        caption: 'Events not understood',
        columns: [col('Stream', 1), numCol('Sequence'), col('Subject', 1.6), col('Reason', 2.4)],
        rows: r.unparseableEvents.map((u) => [code(u.stream), num(u.seq), code(u.subject), text(u.reason)]),
        total: r.unparseable,
        where: 'the streams hold them all, by sequence',
        emptyText: 'None.',
      }),
    ],
  };
}

function changeRow(c: ReportV1['jetstreamChanges'][number]): Cell[] {
  return [
    time(c.time),
    code(named(c.account, c.accountName)),
    text(c.user === null ? null : named(c.user, c.userName)),
    text(c.operation),
    code(c.target),
    status(c.success ? 'ok' : 'refused'),
    text(c.detail),
  ];
}

function incidentRow(i: ReportV1['incidents'][number]): Cell[] {
  return [
    code(i.id),
    text(i.rule),
    text(i.severity),
    status(i.status === 'resolved' ? 'resolved' : 'open'),
    text(i.summary),
  ];
}

/** Operator mode: an account key's JWT name as the run read it (inputs.accountNames). */
function accountNameOf(r: ReportV1, account: string): string | undefined {
  return r.inputs?.accountNames?.find((a) => a.account === account)?.name ?? undefined;
}

function gapText(gaps: [number, number][]): string {
  const shown = gaps.slice(0, 20).map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`));
  return shown.join(', ') + (gaps.length > 20 ? ` and ${gaps.length - 20} more ranges (report.json)` : '');
}

const REVIEW_STATUS: Record<NonNullable<ReportV1['reviews']>['bundles'][number]['status'], Status> = {
  reviewed: 'pass',
  'not-yet-due': 'open',
  overdue: 'fail',
  'hash-mismatch': 'fail',
};

/** The sign-offs of the earlier daily bundles: one row per attestation, and one per bundle nobody reviewed. */
function signOffTable(reviews: NonNullable<ReportV1['reviews']>, table: TableBuilder): Table {
  const rows = reviews.bundles.flatMap((b): Cell[][] => {
    const state = status(REVIEW_STATUS[b.status]);
    if (b.attestations.length === 0)
      return [
        [
          code(b.bundle),
          state,
          text(b.status === 'overdue' ? 'not reviewed (overdue)' : 'not reviewed'),
          time(null),
          text(null),
          text(null),
        ],
      ];
    return b.attestations.map((a) => [
      code(b.bundle),
      state,
      text(a.manifestSha256 === b.manifestSha256 ? a.decision : `${a.decision} of another manifest`),
      time(a.at),
      text(a.by),
      text(a.note),
    ]);
  });
  return table({
    id: 'sign-offs',
    caption: reviews.asOf
      ? `Sign-offs of the daily reports of this rollup (deadline ${count(reviews.deadlineDays, 'day')}, ` +
        `judged on ${reviews.asOf})`
      : `Sign-offs of earlier daily reports (deadline ${count(reviews.deadlineDays, 'day')})`,
    columns: [
      col('Bundle', 1.2),
      col('Status', 0.7),
      col('Decision', 1),
      col('Reviewed at', 1.3),
      col('By', 1),
      col('Note', 2),
    ],
    rows,
    emptyText: reviews.asOf
      ? 'No daily bundle of this rollup is archived.'
      : `No earlier daily bundle in the last ${count(reviews.lookbackDays, 'day')}.`,
  });
}
