import type { ReportV1 } from '../../functions/analysis/report-model.js';
import type { Branding } from '../../functions/render/view-model-types.js';

/**
 * Names that whoever connects to NATS can choose: markup, template syntax, header injection, scripts the
 * documents must show as text, and the Latin, Greek and Cyrillic names they must render legibly.
 */
export const HOSTILE = {
  script: '<script>alert("x")</script>',
  attribute: '"><img src=x onerror=alert(1)>',
  template: '{{constructor.constructor "alert(1)"}}',
  header: 'evil\r\nBcc: attacker@example.com',
  longToken: `svc-${'x'.repeat(180)}-end`,
} as const;

export const NON_LATIN = {
  greek: 'Σωκράτης Παπαδόπουλος',
  cyrillic: 'Дмитрий Иванов',
  latin: 'Zoë Ñúñez-Łukasiewicz',
} as const;

/** A report of a known day, as buildReport would write it, with hostile and non-Latin names in every table. */
export function sampleReport(): ReportV1 {
  return {
    schema: 'sox-report/v1',
    period: {
      from: '2026-11-24T05:00:00.000000000Z',
      to: '2026-11-25T05:00:00.000000000Z',
      timezone: 'America/New_York',
      kind: 'daily',
      date: '2026-11-24',
    },
    generatedAt: '2026-11-25T06:00:01.250000000Z',
    streams: [
      {
        source: 'audit',
        stream: 'SYS_EVENTS',
        kind: 'system-events',
        firstSeq: 101,
        lastSeq: 260,
        messages: 160,
        gaps: [],
        missing: 0,
        firstTime: '2026-11-24T05:00:03.000000001Z',
        lastTime: '2026-11-25T04:59:58.000000000Z',
      },
      {
        source: 'audit',
        stream: 'APP_JS_ADVISORIES',
        kind: 'advisories',
        account: 'APP',
        firstSeq: 11,
        lastSeq: 40,
        messages: 30,
        gaps: [],
        missing: 0,
        firstTime: '2026-11-24T13:00:00.000000000Z',
        lastTime: '2026-11-24T22:00:00.000000000Z',
      },
      {
        source: 'app',
        stream: 'TRANSACTIONS',
        kind: 'transactions',
        firstSeq: 1,
        lastSeq: 1250,
        messages: 1247,
        gaps: [
          [2, 2],
          [700, 701],
        ],
        missing: 3,
        firstTime: '2026-11-24T14:00:00.123456789Z',
        lastTime: '2026-11-24T21:00:00.000000000Z',
      },
    ],
    connections: {
      connects: 42,
      disconnects: 40,
      users: 4,
      byUser: [
        {
          account: 'APP',
          user: 'payments-svc',
          connects: 30,
          disconnects: 30,
          totalDurationSeconds: 7384.5,
          maxDurationSeconds: 3600,
          clients: ['payments-1', HOSTILE.script],
          clientsTruncated: false,
          hosts: ['10.0.0.7', '10.0.0.8'],
          hostsTruncated: false,
        },
        {
          account: 'APP',
          user: NON_LATIN.greek,
          connects: 6,
          disconnects: 5,
          totalDurationSeconds: 95.25,
          maxDurationSeconds: 40,
          clients: [NON_LATIN.cyrillic, HOSTILE.longToken],
          clientsTruncated: true,
          hosts: ['192.0.2.10'],
          hostsTruncated: false,
        },
        {
          account: 'AUDIT',
          user: 'audit',
          connects: 4,
          disconnects: 4,
          totalDurationSeconds: 12,
          maxDurationSeconds: 5,
          clients: ['sox-report'],
          clientsTruncated: false,
          hosts: ['127.0.0.1'],
          hostsTruncated: false,
        },
        {
          account: 'APP',
          user: HOSTILE.attribute,
          connects: 2,
          disconnects: 1,
          totalDurationSeconds: 1,
          maxDurationSeconds: 1,
          clients: [HOSTILE.template],
          clientsTruncated: false,
          hosts: ['203.0.113.9'],
          hostsTruncated: false,
        },
      ],
      leafnodes: {
        connects: 1,
        disconnects: 1,
        remotes: [
          { account: 'APP', user: 'leaf', name: NON_LATIN.latin, connects: 1, disconnects: 1, hosts: ['127.0.0.1'] },
        ],
      },
    },
    authFailures: {
      total: 7,
      byUser: [
        { user: 'mallory', count: 5 },
        { user: NON_LATIN.cyrillic, count: 1 },
        { user: null, count: 1 },
      ],
      byHost: [
        { host: '203.0.113.9', count: 6 },
        { host: null, count: 1 },
      ],
    },
    jetstreamChanges: [
      {
        time: '2026-11-24T13:05:00.000000001Z',
        account: 'APP',
        user: 'ops-admin',
        client: 'nats-cli',
        host: '10.0.0.2',
        operation: 'stream.create',
        target: 'TEMP',
        success: true,
        detail: null,
        evidence: [{ stream: 'APP_JS_ADVISORIES', seq: 11 }],
      },
      {
        time: '2026-11-24T13:06:00.000000000Z',
        account: 'APP',
        user: NON_LATIN.greek,
        client: HOSTILE.script,
        host: '10.0.0.2',
        operation: 'msg.delete',
        target: 'TRANSACTIONS',
        success: true,
        detail: 'seq 2',
        evidence: [{ stream: 'APP_JS_ADVISORIES', seq: 12 }],
      },
      {
        time: '2026-11-24T23:30:00.000000000Z',
        account: 'APP',
        user: null,
        client: null,
        host: null,
        operation: 'stream.purge',
        target: 'SYS_EVENTS',
        success: false,
        detail: HOSTILE.header,
        evidence: [{ stream: 'APP_JS_ADVISORIES', seq: 13 }],
      },
    ],
    jetstreamSummary: {
      changes: 3,
      listed: 3,
      refused: 1,
      byOperation: { 'msg.delete': 1, 'stream.create': 1, 'stream.purge': 1 },
      reads: 120,
      ownReads: 8,
      otherAdvisories: [],
    },
    transactions: {
      total: 1247,
      bySubject: [
        { subject: 'tx.created', count: 1000 },
        { subject: 'tx.settled', count: 247 },
      ],
      first: '2026-11-24T14:00:00.123456789Z',
      last: '2026-11-24T21:00:00.000000000Z',
      listed: [
        { time: '2026-11-24T14:00:00.123456789Z', stream: 'TRANSACTIONS', seq: 1, subject: 'tx.created' },
        { time: '2026-11-24T14:00:01.000000000Z', stream: 'TRANSACTIONS', seq: 3, subject: 'tx.settled' },
      ],
    },
    controls: [
      {
        id: 'completeness',
        title: 'Completeness of every captured stream in the period',
        status: 'fail',
        detail: 'messages were removed from the record: TRANSACTIONS: 3 messages missing (seq 2, 700-701)',
      },
      {
        id: 'attribution',
        title: 'Changes attributed to a person',
        status: 'warn',
        detail: `one change names only the account; client ${HOSTILE.script}`,
      },
      { id: 'capture', title: 'Capture configured', status: 'pass', detail: 'every required subject is captured' },
    ],
    incidents: [
      {
        id: 'INC-20261124-0001',
        rule: 'brute-force-login',
        severity: 'high',
        status: 'open',
        summary: `5 failed logins for mallory from 203.0.113.9 ${HOSTILE.attribute}`,
      },
      {
        id: 'INC-20261124-0002',
        rule: 'message-deleted',
        severity: 'medium',
        status: 'resolved',
        summary: `${NON_LATIN.greek} deleted TRANSACTIONS seq 2`,
      },
    ],
    unparseable: 2,
    unparseableEvents: [
      {
        stream: 'SYS_EVENTS',
        seq: 150,
        subject: '$SYS.ACCOUNT.APP.CONNECT',
        reason: `not valid JSON: ${HOSTILE.script}`,
        kind: 'malformed',
      },
      {
        stream: 'SYS_EVENTS',
        seq: 151,
        subject: `$SYS.ACCOUNT.${HOSTILE.attribute}.CONNECT`,
        reason: 'forged: claims account APP but was published by account AUDIT',
        kind: 'forged',
      },
    ],
  };
}

/** A heavy day: `rows` JetStream changes, transactions and unparseable events (for render benchmarks and bounds). */
export function heavyReport(rows: number): ReportV1 {
  const base = sampleReport();
  const refused = Math.ceil(rows / 11); // every 11th change below is refused
  const at = (i: number) =>
    new Date(Date.parse('2026-11-24T05:00:00Z') + i * 1000)
      .toISOString()
      .replace('Z', '000000Z')
      .replace(/\.(\d{3})000000Z$/, '.$1000000Z');
  return {
    ...base,
    jetstreamChanges: Array.from({ length: rows }, (_, i) => ({
      time: at(i),
      account: 'APP',
      user: i % 7 === 0 ? NON_LATIN.cyrillic : `operator-${i % 50}`,
      client: `client-${i}`,
      host: `10.0.${i % 256}.${i % 200}`,
      operation: i % 3 === 0 ? 'consumer.create' : 'stream.update',
      target: `STREAM_${i % 40}/C${i}`,
      success: i % 11 !== 0,
      detail: i % 13 === 0 ? HOSTILE.longToken : null,
      evidence: [{ stream: 'APP_JS_ADVISORIES', seq: i + 1 }],
    })),
    jetstreamSummary: { ...base.jetstreamSummary, changes: rows, refused, listed: rows },
    transactions: {
      ...base.transactions,
      total: rows * 10,
      listed: Array.from({ length: rows }, (_, i) => ({
        time: at(i),
        stream: 'TRANSACTIONS',
        seq: i + 1,
        subject: i % 2 ? 'tx.created' : 'tx.settled',
      })),
    },
    unparseable: rows,
    unparseableEvents: Array.from({ length: rows }, (_, i) => ({
      stream: 'SYS_EVENTS',
      seq: i + 1,
      subject: '$SYS.ACCOUNT.APP.CONNECT',
      reason: 'not valid JSON',
      kind: 'malformed' as const,
    })),
  };
}

export const SAMPLE_BRANDING: Branding = {
  company: 'Acme Payments <Ltd> & Co',
  title: 'NATS SOX control report',
  accent: '#1f5f8b',
  logoPng: null,
};
