import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/config/load.js';
import type { Config, SourceConfig, StreamConfig } from '../../../functions/config/schema.js';
import { InputError } from '../../../functions/errors.js';
import {
  SYSTEM_EVENT_SUBJECTS,
  captureSpec,
  captureSubjects,
  planStream,
  type CaptureStreamSpec,
  type ExistingStreamConfig,
} from '../../../functions/source/stream-spec.js';

const DAY_NS = 86_400 * 1e9;

function config(over: Record<string, unknown> = {}): Config {
  return parseConfig({
    timezone: 'UTC',
    sources: [
      {
        name: 'audit',
        account: 'AUDIT',
        nats: { servers: ['nats://127.0.0.1:4222'], user: 'audit', pass: 'x' },
        streams: [
          { stream: 'SYS_EVENTS', kind: 'system-events' },
          { stream: 'APP_JS_ADVISORIES', kind: 'advisories', account: 'APP' },
          { stream: 'AUDIT_JS_ADVISORIES', kind: 'advisories', account: 'AUDIT' },
          { stream: 'OWN_ADVISORIES', kind: 'advisories' },
        ],
      },
      {
        name: 'app',
        nats: { servers: ['nats://127.0.0.1:4222'], token: 't' },
        streams: [
          { stream: 'TRANSACTIONS', kind: 'transactions' },
          { stream: 'ORDERS', kind: 'transactions', subjects: ['orders.>'] },
          { stream: 'APP_ADV', kind: 'advisories', account: 'APP' },
        ],
      },
    ],
    ...over,
  });
}

function stream(source: SourceConfig, name: string): StreamConfig {
  const s = source.streams.find((x) => x.stream === name);
  if (!s) throw new Error(`no stream ${name}`);
  return s;
}

describe('captureSubjects', () => {
  const c = config();
  const audit = c.sources[0]!;
  const app = c.sources[1]!;

  it('captures the four system event subjects for system-events', () => {
    expect(captureSubjects(audit, stream(audit, 'SYS_EVENTS'), null)).toEqual([
      '$SYS.ACCOUNT.*.CONNECT',
      '$SYS.ACCOUNT.*.DISCONNECT',
      '$SYS.SERVER.*.CLIENT.AUTH.ERR',
      '$SYS.ACCOUNT.*.LEAFNODE.CONNECT',
    ]);
    expect(SYSTEM_EVENT_SUBJECTS).toHaveLength(4);
  });

  it("captures the reading account's advisories unprefixed", () => {
    expect(captureSubjects(audit, stream(audit, 'AUDIT_JS_ADVISORIES'), null)).toEqual(['$JS.EVENT.ADVISORY.>']);
    expect(captureSubjects(audit, stream(audit, 'OWN_ADVISORIES'), null)).toEqual(['$JS.EVENT.ADVISORY.>']);
    expect(captureSubjects(audit, stream(audit, 'AUDIT_JS_ADVISORIES'), 'AUDIT')).toEqual(['$JS.EVENT.ADVISORY.>']);
  });

  it("captures another account's advisories under the account's prefix", () => {
    expect(captureSubjects(audit, stream(audit, 'APP_JS_ADVISORIES'), null)).toEqual(['APP.$JS.EVENT.ADVISORY.>']);
    // The account the server reports wins over the configured one.
    expect(captureSubjects(audit, stream(audit, 'APP_JS_ADVISORIES'), 'APP')).toEqual(['$JS.EVENT.ADVISORY.>']);
    expect(captureSubjects(audit, stream(audit, 'AUDIT_JS_ADVISORIES'), 'APP')).toEqual(['AUDIT.$JS.EVENT.ADVISORY.>']);
  });

  it('refuses to guess when the reading account is unknown', () => {
    let err: unknown;
    try {
      captureSubjects(app, stream(app, 'APP_ADV'), null);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      'source "app": stream APP_ADV: cannot tell whether account APP is the reading account ' +
        '(the server does not say which account this user is in); set the source\'s "account" or the ' +
        'stream\'s "subjects"',
    );
    expect(captureSubjects(app, stream(app, 'APP_ADV'), 'APP')).toEqual(['$JS.EVENT.ADVISORY.>']);
  });

  it('captures nothing by itself for transactions, unless told the subjects', () => {
    expect(captureSubjects(app, stream(app, 'TRANSACTIONS'), null)).toEqual([]);
    expect(captureSubjects(app, stream(app, 'ORDERS'), null)).toEqual(['orders.>']);
  });

  it('uses configured subjects for any kind', () => {
    const ref: StreamConfig = {
      stream: 'X',
      kind: 'advisories',
      account: 'ELSE',
      subjects: ['a.b', 'c.>'],
      quiet: false,
    };
    expect(captureSubjects(app, ref, null)).toEqual(['a.b', 'c.>']);
  });
});

describe('captureSpec', () => {
  const c = config();
  const audit = c.sources[0]!;
  const app = c.sources[1]!;

  it('builds a tamper-resistant, file-backed spec; no_ack for system events', () => {
    expect(captureSpec(c, audit, stream(audit, 'SYS_EVENTS'), 'AUDIT')).toEqual({
      name: 'SYS_EVENTS',
      subjects: [...SYSTEM_EVENT_SUBJECTS],
      storage: 'file',
      retention: 'limits',
      discard: 'old',
      deny_delete: true,
      deny_purge: true,
      allow_rollup_hdrs: false,
      max_age: 0,
      min_age: 400 * DAY_NS,
      num_replicas: 1,
      no_ack: true,
    });
  });

  it('leaves no_ack off for advisories and transactions', () => {
    expect(captureSpec(c, audit, stream(audit, 'APP_JS_ADVISORIES'), 'AUDIT')).toMatchObject({
      name: 'APP_JS_ADVISORIES',
      subjects: ['APP.$JS.EVENT.ADVISORY.>'],
      no_ack: false,
    });
    expect(captureSpec(c, app, stream(app, 'ORDERS'), null)).toMatchObject({ subjects: ['orders.>'], no_ack: false });
    expect(captureSpec(c, app, stream(app, 'TRANSACTIONS'), null)).toMatchObject({ subjects: [], no_ack: false });
  });

  it('takes max_age, retention and replicas from the capture settings', () => {
    const c2 = config({ capture: { retentionDays: 30, maxAgeDays: 45, replicas: 3 } });
    expect(captureSpec(c2, c2.sources[0]!, stream(c2.sources[0]!, 'SYS_EVENTS'), 'AUDIT')).toMatchObject({
      max_age: 45 * DAY_NS,
      min_age: 30 * DAY_NS,
      num_replicas: 3,
    });
  });
});

describe('planStream', () => {
  const c = config();
  const audit = c.sources[0]!;
  const app = c.sources[1]!;
  const sysSpec = captureSpec(c, audit, stream(audit, 'SYS_EVENTS'), 'AUDIT');
  const advSpec = captureSpec(c, audit, stream(audit, 'APP_JS_ADVISORIES'), 'AUDIT');

  /** An existing stream exactly as provision would have created it. */
  function good(spec: CaptureStreamSpec): ExistingStreamConfig {
    return {
      subjects: [...spec.subjects],
      storage: 'file',
      retention: 'limits',
      discard: 'old',
      deny_delete: true,
      deny_purge: true,
      allow_rollup_hdrs: false,
      max_age: 0,
      max_msgs: -1,
      max_bytes: -1,
      max_msgs_per_subject: -1,
      no_ack: spec.no_ack,
    };
  }

  function findings(spec: CaptureStreamSpec, over: Partial<ExistingStreamConfig>): string[] {
    const plan = planStream(spec, { ...good(spec), ...over });
    expect(plan.action).toBe('drift');
    return plan.action === 'drift' ? plan.findings : [];
  }

  it('creates a missing stream that has subjects', () => {
    expect(planStream(sysSpec, null)).toEqual({ action: 'create', spec: sysSpec });
    expect(planStream(advSpec, null)).toEqual({ action: 'create', spec: advSpec });
  });

  it('reports a missing stream without subjects (an application stream) as absent', () => {
    const txSpec = captureSpec(c, app, stream(app, 'TRANSACTIONS'), null);
    expect(planStream(txSpec, null)).toEqual({ action: 'absent', spec: txSpec });
  });

  it('accepts a stream as provision makes it', () => {
    expect(planStream(sysSpec, good(sysSpec))).toEqual({ action: 'ok', spec: sysSpec });
    expect(planStream(advSpec, good(advSpec))).toEqual({ action: 'ok', spec: advSpec });
  });

  it('accepts extra subjects, an unset retention and a long enough max_age', () => {
    expect(planStream(advSpec, { ...good(advSpec), subjects: ['APP.$JS.EVENT.ADVISORY.>', 'more.>'] }).action).toBe(
      'ok',
    );
    const { retention: _r, ...noRetention } = good(advSpec);
    expect(planStream(advSpec, noRetention).action).toBe('ok');
    expect(planStream(advSpec, { ...good(advSpec), max_age: 400 * DAY_NS }).action).toBe('ok');
  });

  it('memory storage', () => {
    expect(findings(sysSpec, { storage: 'memory' })).toEqual(['storage is memory, not file']);
    expect(findings(sysSpec, { storage: undefined })).toEqual(['storage is unset, not file']);
  });

  it('deny_delete off', () => {
    expect(findings(sysSpec, { deny_delete: false })).toEqual(['deny_delete is off (messages can be deleted)']);
    expect(findings(sysSpec, { deny_delete: undefined })).toEqual(['deny_delete is off (messages can be deleted)']);
  });

  it('deny_purge off', () => {
    expect(findings(sysSpec, { deny_purge: false })).toEqual(['deny_purge is off (the stream can be purged)']);
  });

  it('allow_rollup_hdrs on', () => {
    expect(findings(sysSpec, { allow_rollup_hdrs: true })).toEqual([
      'allow_rollup_hdrs is on (a roll-up message can replace the record)',
    ]);
  });

  it('discard new', () => {
    expect(findings(sysSpec, { discard: 'new' })).toEqual([
      'discard is new, not old (new events would be refused when full)',
    ]);
  });

  it('retention other than limits', () => {
    expect(findings(sysSpec, { retention: 'workqueue' })).toEqual([
      'retention is workqueue, not limits (messages are removed once read)',
    ]);
  });

  it('short max_age', () => {
    expect(findings(sysSpec, { max_age: 30 * DAY_NS })).toEqual([
      'max_age is 30 days, shorter than the 400 days retention',
    ]);
    expect(findings(sysSpec, { max_age: 399 * DAY_NS })).toEqual([
      'max_age is 399 days, shorter than the 400 days retention',
    ]);
  });

  it('max_msgs, max_bytes and max_msgs_per_subject set', () => {
    expect(findings(sysSpec, { max_msgs: 1000 })).toEqual([
      'max_msgs is 1000 (the oldest events are dropped silently when it is reached)',
    ]);
    expect(findings(sysSpec, { max_bytes: 1_048_576 })).toEqual([
      'max_bytes is 1048576 (the oldest events are dropped silently when it is reached)',
    ]);
    expect(findings(sysSpec, { max_msgs_per_subject: 1 })).toEqual([
      'max_msgs_per_subject is 1 (the oldest events are dropped silently when it is reached)',
    ]);
    expect(planStream(sysSpec, { ...good(sysSpec), max_msgs: 0 }).action).toBe('ok');
  });

  it('missing subject', () => {
    expect(findings(sysSpec, { subjects: ['$SYS.ACCOUNT.*.CONNECT', '$SYS.ACCOUNT.*.DISCONNECT'] })).toEqual([
      'does not capture $SYS.SERVER.*.CLIENT.AUTH.ERR, $SYS.ACCOUNT.*.LEAFNODE.CONNECT',
    ]);
    expect(findings(advSpec, { subjects: undefined })).toEqual(['does not capture APP.$JS.EVENT.ADVISORY.>']);
    expect(findings(advSpec, { subjects: ['$JS.EVENT.ADVISORY.>'] })).toEqual([
      'does not capture APP.$JS.EVENT.ADVISORY.>',
    ]);
  });

  it('no_ack off on a system events stream, but not on an advisories stream', () => {
    expect(findings(sysSpec, { no_ack: false })).toEqual([
      'no_ack is off (nats-server 2.10.17+ needs it for $SYS.SERVER.*.CLIENT.AUTH.ERR)',
    ]);
    expect(planStream(advSpec, { ...good(advSpec), no_ack: false }).action).toBe('ok');
    expect(planStream(advSpec, { ...good(advSpec), no_ack: true }).action).toBe('ok');
  });

  it('lists every weakness of a thoroughly weak stream, in order', () => {
    const plan = planStream(sysSpec, {
      subjects: ['$SYS.ACCOUNT.*.CONNECT'],
      storage: 'memory',
      retention: 'interest',
      discard: 'new',
      deny_delete: false,
      deny_purge: false,
      allow_rollup_hdrs: true,
      max_age: 1 * DAY_NS,
      max_msgs: 10,
      max_bytes: 20,
      max_msgs_per_subject: 30,
      no_ack: false,
    });
    expect(plan).toEqual({
      action: 'drift',
      spec: sysSpec,
      findings: [
        'does not capture $SYS.ACCOUNT.*.DISCONNECT, $SYS.SERVER.*.CLIENT.AUTH.ERR, $SYS.ACCOUNT.*.LEAFNODE.CONNECT',
        'storage is memory, not file',
        'retention is interest, not limits (messages are removed once read)',
        'discard is new, not old (new events would be refused when full)',
        'deny_delete is off (messages can be deleted)',
        'deny_purge is off (the stream can be purged)',
        'allow_rollup_hdrs is on (a roll-up message can replace the record)',
        'max_age is 1 days, shorter than the 400 days retention',
        'max_msgs is 10 (the oldest events are dropped silently when it is reached)',
        'max_bytes is 20 (the oldest events are dropped silently when it is reached)',
        'max_msgs_per_subject is 30 (the oldest events are dropped silently when it is reached)',
        'no_ack is off (nats-server 2.10.17+ needs it for $SYS.SERVER.*.CLIENT.AUTH.ERR)',
      ],
    });
  });

  it('judges an existing application stream without subjects on its settings alone', () => {
    const txSpec = captureSpec(c, app, stream(app, 'TRANSACTIONS'), null);
    expect(
      planStream(txSpec, { subjects: ['tx.>'], storage: 'file', discard: 'old', deny_delete: true, deny_purge: true }),
    ).toEqual({
      action: 'ok',
      spec: txSpec,
    });
    expect(planStream(txSpec, { subjects: ['tx.>'], storage: 'file', discard: 'old' })).toEqual({
      action: 'drift',
      spec: txSpec,
      findings: ['deny_delete is off (messages can be deleted)', 'deny_purge is off (the stream can be purged)'],
    });
  });
});
