import { describe, expect, it } from 'vitest';
import { classifyApiSubject, jsTarget } from '../../../functions/events/api-subject.js';
import { parseMessage, type ParseOptions } from '../../../functions/events/parse.js';
import type {
  NatsEvent,
  ParsedEvent,
  ParseResult,
  RawMessage,
  UnparseableKind,
} from '../../../functions/events/types.js';
import { FIXTURE_VERSIONS, allCapturedMessages, capturedMessages } from '../../support/fixtures.js';

const OPTIONS: ParseOptions = { ownConsumerPrefix: 'sox-report_' };
const encoder = new TextEncoder();

const CONNECT = 'io.nats.server.advisory.v1.client_connect';
const DISCONNECT = 'io.nats.server.advisory.v1.client_disconnect';
const API_AUDIT = 'io.nats.jetstream.advisory.v1.api_audit';
const STREAM_ACTION = 'io.nats.jetstream.advisory.v1.stream_action';
const CONSUMER_ACTION = 'io.nats.jetstream.advisory.v1.consumer_action';

function parsedOk(result: ParseResult): ParsedEvent {
  if (!result.ok) throw new Error(`expected a parsed event, got unparseable: ${result.unparseable.reason}`);
  return result.event;
}

function find(version: (typeof FIXTURE_VERSIONS)[number], stream: string, seq: number): ParsedEvent {
  const raw = capturedMessages(version, stream).find((m) => m.seq === seq);
  if (!raw) throw new Error(`no ${stream} #${seq} in ${version}`);
  return parsedOk(parseMessage(raw, OPTIONS));
}

/** A message of a stream, as the replay hands it over. */
function raw(over: Partial<RawMessage> & { body?: unknown }): RawMessage {
  const { body, ...rest } = over;
  const data =
    body === undefined
      ? new Uint8Array()
      : body instanceof Uint8Array
        ? body
        : encoder.encode(typeof body === 'string' ? body : JSON.stringify(body));
  return {
    stream: 'SYS_EVENTS',
    kind: 'system-events',
    seq: 42,
    subject: '$SYS.ACCOUNT.APP.CONNECT',
    ts: 1_795_746_764_000_000_000n,
    data,
    ...rest,
  };
}

function advisoryMsg(subject: string, body: unknown, over: Partial<RawMessage> = {}): RawMessage {
  return raw({ stream: 'APP_JS_ADVISORIES', kind: 'advisories', account: 'APP', seq: 9, subject, body, ...over });
}

function apiAudit(
  subject: string,
  extra: Record<string, unknown> = {},
  client: Record<string, unknown> = { acc: 'APP' },
) {
  return { type: API_AUDIT, client, subject, ...extra };
}

/** The result must be unparseable, with the message's coordinates, this reason and this kind. */
function expectUnparseable(message: RawMessage, reason: string | RegExp, kind: UnparseableKind = 'malformed'): void {
  let result: ParseResult | undefined;
  expect(() => {
    result = parseMessage(message, OPTIONS);
  }).not.toThrow();
  expect(result!.ok).toBe(false);
  if (result!.ok) return;
  const { unparseable } = result!;
  expect(unparseable.stream).toBe(message.stream);
  expect(unparseable.seq).toBe(message.seq);
  expect(unparseable.subject).toBe(message.subject);
  expect(Object.keys(unparseable).sort()).toEqual(['kind', 'reason', 'seq', 'stream', 'subject']);
  if (typeof reason === 'string') expect(unparseable.reason).toBe(reason);
  else expect(unparseable.reason).toMatch(reason);
  expect(unparseable.kind).toBe(kind);
}

describe.each(FIXTURE_VERSIONS)('captured events of nats-server %s', (version) => {
  const messages = allCapturedMessages(version);
  const results = messages.map((m) => parseMessage(m, OPTIONS));

  it('parses every captured message (no unparseable)', () => {
    expect(messages).toHaveLength(55);
    const failures = results.filter((r) => !r.ok);
    expect(failures).toEqual([]);
  });

  it('keeps the envelope: stream, seq and stored time', () => {
    results.forEach((r, i) => {
      const e = parsedOk(r);
      expect(e.stream).toBe(messages[i]!.stream);
      expect(e.seq).toBe(messages[i]!.seq);
      expect(e.ts).toBe(messages[i]!.ts);
    });
  });

  it('classifies the capture into the expected event types', () => {
    const byType: Record<string, number> = {};
    for (const r of results) {
      const t = parsedOk(r).type;
      byType[t] = (byType[t] ?? 0) + 1;
    }
    expect(byType).toEqual({
      connect: 6,
      disconnect: 6,
      'auth-failure': 2,
      'api-audit': 27,
      'js-action': 10,
      transaction: 4,
    });
  });

  it('reads the two failed logins as authentication failures of app and mallory', () => {
    const failures = results.map(parsedOk).filter((e) => e.type === 'auth-failure');
    expect(failures.map((e) => ({ ...e, ts: undefined }))).toEqual([
      {
        stream: 'SYS_EVENTS',
        seq: 6,
        ts: undefined,
        type: 'auth-failure',
        user: 'app',
        host: '127.0.0.1',
        name: 'bad-login',
        reason: 'Authentication Failure',
      },
      {
        stream: 'SYS_EVENTS',
        seq: 7,
        ts: undefined,
        type: 'auth-failure',
        user: 'mallory',
        host: '127.0.0.1',
        name: 'bad-login',
        reason: 'Authentication Failure',
      },
    ]);
  });

  it('reads the leaf node as an ordinary CONNECT/DISCONNECT of kind Leafnode', () => {
    const connect = find(version, 'SYS_EVENTS', 12);
    expect(connect).toMatchObject({
      type: 'connect',
      client: { account: 'APP', user: 'leaf', name: 'leaf1', host: '127.0.0.1', kind: 'Leafnode' },
    });
    const disconnect = find(version, 'SYS_EVENTS', 13);
    expect(disconnect).toMatchObject({
      type: 'disconnect',
      reason: 'Client Closed',
      client: { kind: 'Leafnode', user: 'leaf' },
    });
    // Every other connection is an ordinary client.
    const kinds = results
      .map(parsedOk)
      .flatMap((e) => (e.type === 'connect' || e.type === 'disconnect' ? [`${e.seq}:${e.client.kind}`] : []));
    expect(kinds.filter((k) => k.endsWith('Leafnode'))).toEqual(['12:Leafnode', '13:Leafnode']);
    expect(kinds.filter((k) => k.endsWith(':Client'))).toHaveLength(10);
  });

  it('reads a client connect with its identity', () => {
    expect(find(version, 'SYS_EVENTS', 4)).toMatchObject({
      type: 'connect',
      client: { account: 'APP', user: 'app', name: 'payments-svc', host: '127.0.0.1', kind: 'Client' },
    });
  });

  it('measures a disconnect duration from start and stop', () => {
    const e = find(version, 'SYS_EVENTS', 5);
    if (e.type !== 'disconnect') throw new Error('expected a disconnect');
    expect(e.reason).toBe('Client Closed');
    expect(e.durationNs).toBe(version === '2.9.10' ? 13332253n : 14634620n);
  });

  it('reads the message delete of TRANSACTIONS from its api_audit record', () => {
    const e = find(version, 'APP_JS_ADVISORIES', 16);
    expect(e).toMatchObject({
      type: 'api-audit',
      account: 'APP',
      operation: 'msg.delete',
      target: 'TRANSACTIONS',
      detail: 'seq 2',
      success: true,
      own: false,
    });
  });

  it('reads the purge of tx.purgeme with its filter and count', () => {
    expect(find(version, 'APP_JS_ADVISORIES', 17)).toMatchObject({
      type: 'api-audit',
      operation: 'stream.purge',
      target: 'TRANSACTIONS',
      detail: 'filter tx.purgeme; purged 1',
      success: true,
    });
  });

  it('reads the refused delete and purge of SYS_EVENTS as unsuccessful, with the error code', () => {
    const del = find(version, 'AUDIT_JS_ADVISORIES', 4);
    expect(del).toMatchObject({
      type: 'api-audit',
      account: 'AUDIT',
      operation: 'msg.delete',
      target: 'SYS_EVENTS',
      success: false,
    });
    if (del.type !== 'api-audit') throw new Error('expected api-audit');
    expect(del.detail).toBe('seq 1; refused: message delete not permitted (10057)');
    expect(del.detail).toContain('10057');
    const purge = find(version, 'AUDIT_JS_ADVISORIES', 5);
    expect(purge).toMatchObject({
      operation: 'stream.purge',
      target: 'SYS_EVENTS',
      success: false,
      detail: 'refused: stream purge not permitted (10110)',
    });
  });

  it('reads stream and consumer actions, with the stream and consumer as target', () => {
    const actions = results
      .map(parsedOk)
      .flatMap((e) =>
        e.type === 'js-action' && e.stream === 'APP_JS_ADVISORIES' ? [[e.operation, e.target, e.own]] : [],
      );
    expect(actions).toEqual([
      ['stream.create', 'TRANSACTIONS', false],
      ['stream.create', 'TEMP', false],
      ['stream.update', 'TEMP', false],
      ['consumer.create', 'TEMP/C1', false],
      ['consumer.delete', 'TEMP/C1', false],
      ['stream.delete', 'TEMP', false],
    ]);
  });

  it('counts the read-only API calls as reads (operation null)', () => {
    const reads = results.map(parsedOk).filter((e) => e.type === 'api-audit' && e.operation === null);
    expect(reads).toHaveLength(13);
    expect(find(version, 'APP_JS_ADVISORIES', 7)).toMatchObject({
      operation: null,
      target: 'TEMP',
      success: true,
      detail: null,
    });
    expect(find(version, 'AUDIT_JS_ADVISORIES', 3)).toMatchObject({ operation: null, target: '$JS.API.INFO' });
  });

  it('names the transactions by subject', () => {
    const tx = results.map(parsedOk).filter((e) => e.type === 'transaction');
    expect(tx.map((e) => [e.seq, e.type === 'transaction' && e.subject])).toEqual([
      [1, 'tx.created'],
      [3, 'tx.created'],
      [4, 'tx.created'],
      [5, 'tx.created'],
    ]);
  });

  it('recognises the dump client consumers as own reads only when they carry the own prefix', () => {
    const prefix = version === '2.9.10' ? 'XNG0PK9P4KPXTKGT35' : 'RQS6WU1SM63CB9RFCT';
    const audit = capturedMessages(version, 'AUDIT_JS_ADVISORIES');
    const withDefault = audit.map((m) => parsedOk(parseMessage(m, OPTIONS)));
    expect(withDefault.filter((e) => 'own' in e && e.own)).toHaveLength(0);
    const withPrefix = audit.map((m) => parsedOk(parseMessage(m, { ownConsumerPrefix: prefix })));
    const own = withPrefix.filter((e) => 'own' in e && e.own).map((e) => `${e.type}#${e.seq}`);
    expect(own.sort()).toEqual(
      (version === '2.9.10'
        ? ['js-action#9', 'api-audit#10', 'api-audit#14', 'js-action#15', 'js-action#19', 'api-audit#20']
        : ['js-action#9', 'api-audit#10', 'js-action#14', 'api-audit#15', 'js-action#19', 'api-audit#20']
      ).sort(),
    );
  });
});

describe('what 2.9.10 and 2.10.27 say about who called the API', () => {
  it('2.10.27 names user, client and host', () => {
    expect(find('2.10.27', 'APP_JS_ADVISORIES', 16)).toMatchObject({
      account: 'APP',
      user: 'app',
      client: 'ops-admin',
      host: '127.0.0.1',
    });
    expect(find('2.10.27', 'AUDIT_JS_ADVISORIES', 4)).toMatchObject({ user: 'audit', client: 'tamper-test' });
  });

  it('2.9.10 names only the account', () => {
    expect(find('2.9.10', 'APP_JS_ADVISORIES', 16)).toMatchObject({
      account: 'APP',
      user: null,
      client: null,
      host: null,
    });
    const audits = allCapturedMessages('2.9.10')
      .map((m) => parsedOk(parseMessage(m, OPTIONS)))
      .filter((e) => e.type === 'api-audit');
    expect(audits).toHaveLength(27);
    for (const e of audits) expect(e).toMatchObject({ user: null, client: null, host: null });
  });
});

describe('hostile or malformed messages are unparseable, never a throw', () => {
  it('invalid JSON', () => {
    expectUnparseable(
      raw({ body: '{"type": "io.nats.server.advisory.v1.client_connect",' }),
      /^payload is not valid JSON \(.+\)$/,
    );
    expectUnparseable(raw({ body: '{not json' }), /^payload is not valid JSON \(/);
  });

  it('invalid UTF-8 bytes', () => {
    expectUnparseable(raw({ body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) }), 'payload is not valid UTF-8');
    expectUnparseable(
      raw({ stream: 'TRANSACTIONS', kind: 'transactions', subject: 'tx.created', body: new Uint8Array([0xc3, 0x28]) }),
      'payload is not valid UTF-8',
    );
  });

  it('an empty payload', () => {
    expectUnparseable(raw({}), 'payload is empty');
    expectUnparseable(advisoryMsg('APP.$JS.EVENT.ADVISORY.API', new Uint8Array()), 'payload is empty');
    expectUnparseable(raw({ stream: 'TRANSACTIONS', kind: 'transactions', subject: 'tx.created' }), 'payload is empty');
  });

  it('a transaction that is not a JSON object', () => {
    for (const body of ['[1,2,3]', '[]', '"text"', '42', 'null', 'true']) {
      expectUnparseable(
        raw({ stream: 'TRANSACTIONS', kind: 'transactions', subject: 'tx.created', seq: 3, body }),
        'a transaction must be a JSON object',
      );
    }
    expect(
      parsedOk(parseMessage(raw({ stream: 'TRANSACTIONS', kind: 'transactions', subject: 'tx.x', body: {} }), OPTIONS)),
    ).toMatchObject({
      type: 'transaction',
      subject: 'tx.x',
    });
  });

  it('a CONNECT for account APP whose payload names AUDIT (forged)', () => {
    expectUnparseable(
      raw({ subject: '$SYS.ACCOUNT.APP.CONNECT', body: { type: CONNECT, client: { acc: 'AUDIT', user: 'audit' } } }),
      'subject is for account APP but the payload names account AUDIT',
      'forged',
    );
    expectUnparseable(
      raw({ subject: '$SYS.ACCOUNT.AUDIT.DISCONNECT', body: { type: DISCONNECT, client: { acc: 'APP' } } }),
      'subject is for account AUDIT but the payload names account APP',
      'forged',
    );
    expectUnparseable(
      raw({ subject: '$SYS.ACCOUNT.APP.LEAFNODE.CONNECT', body: { account: 'AUDIT' } }),
      'subject is for account APP but the payload names account AUDIT',
      'forged',
    );
  });

  it('a payload of the wrong type for its subject, naming the field', () => {
    expectUnparseable(
      raw({ subject: '$SYS.ACCOUNT.APP.CONNECT', body: { type: DISCONNECT, client: { acc: 'APP' } } }),
      'not a client connect event: type: Invalid input: expected "io.nats.server.advisory.v1.client_connect"',
    );
    expectUnparseable(
      raw({ subject: '$SYS.ACCOUNT.APP.CONNECT', body: { type: CONNECT } }),
      /^not a client connect event: client: /,
    );
    expectUnparseable(
      raw({ subject: '$SYS.ACCOUNT.APP.CONNECT', body: { type: CONNECT, client: { acc: 7 } } }),
      /^not a client connect event: client\.acc: /,
    );
    expectUnparseable(
      raw({ subject: '$SYS.ACCOUNT.APP.CONNECT', body: 'null' }),
      /^not a client connect event: \(top level\): /,
    );
    expectUnparseable(
      raw({ subject: '$SYS.SERVER.ABC.CLIENT.AUTH.ERR', body: { type: DISCONNECT } }),
      /^not a authentication failure event: client: /,
    );
  });

  it('a stream action whose subject names another stream than its payload', () => {
    expectUnparseable(
      advisoryMsg('APP.$JS.EVENT.ADVISORY.STREAM.DELETED.TEMP', {
        type: STREAM_ACTION,
        stream: 'TRANSACTIONS',
        action: 'delete',
      }),
      'subject names stream TEMP but the payload names TRANSACTIONS',
      'forged',
    );
    expectUnparseable(
      advisoryMsg('APP.$JS.EVENT.ADVISORY.CONSUMER.CREATED.TEMP.C1', {
        type: CONSUMER_ACTION,
        stream: 'TEMP',
        consumer: 'C2',
        action: 'create',
      }),
      'subject names TEMP/C1 but the payload names TEMP/C2',
      'forged',
    );
    expectUnparseable(
      advisoryMsg('APP.$JS.EVENT.ADVISORY.STREAM.CREATED.TEMP', {
        type: STREAM_ACTION,
        stream: 'TEMP',
        action: 'explode',
      }),
      /^not a stream action advisory: action: /,
    );
  });

  it('an unknown subject in a system-events stream', () => {
    for (const subject of [
      '$SYS.ACCOUNT.APP.SERVER.CONNS',
      '$SYS.ACCOUNT.APP',
      'tx.created',
      '$SYS.SERVER.X.CLIENT.AUTH',
      '$SYS.ACCOUNT.APP.CONNECT.EXTRA',
    ]) {
      expectUnparseable(
        raw({ subject, body: { type: CONNECT, client: { acc: 'APP' } } }),
        'subject is not a system event this report reads',
      );
    }
  });

  it('an advisories-stream message that is not an advisory', () => {
    expectUnparseable(advisoryMsg('orders.new', { type: 'x' }), 'subject is not a JetStream advisory');
    expectUnparseable(
      advisoryMsg('APP.$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.S.C', [1]),
      'not an advisory: it has no "type"',
    );
    expectUnparseable(
      advisoryMsg('APP.$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.S.C', { type: 1 }),
      'not an advisory: it has no "type"',
    );
  });

  it('a 100 KB client name', () => {
    const huge = 'x'.repeat(100_000);
    expectUnparseable(
      raw({ body: { type: CONNECT, client: { acc: 'APP', user: 'app', name: huge } } }),
      'not a client connect event: client.name: Too big: expected string to have <=65536 characters',
    );
    const result = parseMessage(
      raw({ body: { type: CONNECT, client: { acc: 'APP', user: 'app', name: huge } } }),
      OPTIONS,
    );
    expect(JSON.stringify(result).length).toBeLessThan(1000);
  });

  it('an api_audit whose embedded response is not JSON', () => {
    expectUnparseable(
      advisoryMsg(
        'APP.$JS.EVENT.ADVISORY.API',
        apiAudit('$JS.API.STREAM.MSG.DELETE.TRANSACTIONS', { request: '{"seq":3}', response: 'oops<' }),
      ),
      'an embedded request or response is not valid JSON',
    );
    expectUnparseable(
      advisoryMsg(
        'APP.$JS.EVENT.ADVISORY.API',
        apiAudit('$JS.API.STREAM.PURGE.TRANSACTIONS', { request: '{filter', response: '{}' }),
      ),
      'an embedded request or response is not valid JSON',
    );
  });

  it('an api_audit that is malformed or recorded for another account', () => {
    expectUnparseable(
      advisoryMsg('APP.$JS.EVENT.ADVISORY.API', apiAudit('$JS.API.INFO', {}, { acc: 'AUDIT' })),
      'recorded for account APP but the payload names account AUDIT',
      'forged',
    );
    expectUnparseable(
      advisoryMsg('APP.$JS.EVENT.ADVISORY.API', apiAudit('STREAM.DELETE.X')),
      /^not a JetStream API audit record: subject: /,
    );
    expectUnparseable(
      advisoryMsg('APP.$JS.EVENT.ADVISORY.API', { type: API_AUDIT, subject: '$JS.API.INFO' }),
      /^not a JetStream API audit record: client: /,
    );
    expectUnparseable(
      advisoryMsg(
        'APP.$JS.EVENT.ADVISORY.API',
        apiAudit('$JS.API.STREAM.DELETE.X', { response: '{"error":{"err_code":"x"}}' }),
      ),
      /^not a JetStream API response: error\.err_code: /,
    );
  });

  it('never throws on a batch of hostile payloads', () => {
    const bodies: unknown[] = [
      '',
      ' ',
      '\u0000',
      '[',
      '['.repeat(100_000),
      '{"a":'.repeat(10_000),
      '1e999999',
      '{"type":null}',
      { type: CONNECT, client: { acc: 'APP', toString: 'x', valueOf: 'y', constructor: 'z' } },
      { type: CONNECT, client: [] },
      new Uint8Array([0xef, 0xbb, 0xbf]),
      new Uint8Array(1024).fill(0xff),
    ];
    const subjects: [RawMessage['kind'], string, string][] = [
      ['system-events', 'SYS_EVENTS', '$SYS.ACCOUNT.APP.CONNECT'],
      ['system-events', 'SYS_EVENTS', '$SYS.ACCOUNT.APP.DISCONNECT'],
      ['system-events', 'SYS_EVENTS', '$SYS.SERVER.X.CLIENT.AUTH.ERR'],
      ['system-events', 'SYS_EVENTS', '$SYS.ACCOUNT.APP.LEAFNODE.CONNECT'],
      ['advisories', 'APP_JS_ADVISORIES', 'APP.$JS.EVENT.ADVISORY.API'],
      ['advisories', 'APP_JS_ADVISORIES', 'APP.$JS.EVENT.ADVISORY.STREAM.CREATED.X'],
      ['advisories', 'APP_JS_ADVISORIES', 'APP.$JS.EVENT.ADVISORY.CONSUMER.CREATED.X.Y'],
      ['advisories', 'APP_JS_ADVISORIES', 'APP.$JS.EVENT.ADVISORY.STREAM.LEADER_ELECTED.X'],
      ['transactions', 'TRANSACTIONS', 'tx.created'],
    ];
    let parsed = 0;
    for (const body of bodies) {
      for (const [kind, stream, subject] of subjects) {
        const m = raw({ kind, stream, subject, seq: 5, body });
        let result: ParseResult | undefined;
        expect(() => (result = parseMessage(m, OPTIONS)), `${subject} ${String(body).slice(0, 20)}`).not.toThrow();
        if (result!.ok) parsed += 1;
        else {
          expect(result!.unparseable.seq).toBe(5);
          expect(result!.unparseable.reason.length).toBeGreaterThan(0);
          expect(result!.unparseable.reason).not.toMatch(/^unexpected error/);
        }
      }
    }
    // Accepted: the object with odd client keys as a CONNECT, as a transaction and as an other advisory; the
    // object with an array client and {"type":null} as a transaction; the array-client object as an other advisory.
    expect(parsed).toBe(6);
  });

  it('a user named __proto__ is an ordinary name and pollutes nothing', () => {
    const e = parsedOk(
      parseMessage(
        raw({ body: { type: CONNECT, client: { acc: 'APP', user: '__proto__', name: 'constructor' } } }),
        OPTIONS,
      ),
    );
    expect(e).toMatchObject({ type: 'connect', client: { account: 'APP', user: '__proto__', name: 'constructor' } });
    const f = parsedOk(
      parseMessage(
        raw({
          subject: '$SYS.SERVER.X.CLIENT.AUTH.ERR',
          body: { type: DISCONNECT, client: { acc: '$G', user: '__proto__' } },
        }),
        OPTIONS,
      ),
    );
    expect(f).toMatchObject({ type: 'auth-failure', user: '__proto__', reason: 'Authentication Failure' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a payload with __proto__ keys does not pollute Object.prototype', () => {
    const body =
      '{"type":"io.nats.server.advisory.v1.client_connect","__proto__":{"polluted":"yes"},' +
      '"client":{"acc":"APP","user":"u","__proto__":{"polluted":"yes","kind":"Router"}}}';
    const e = parsedOk(parseMessage(raw({ body }), OPTIONS));
    expect(e).toMatchObject({ type: 'connect', client: { account: 'APP', user: 'u', kind: 'Client' } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.prototype).not.toHaveProperty('kind');
  });

  it('an unexpected kind never escapes as a throw', () => {
    const weird = raw({ kind: 'nonsense' as RawMessage['kind'], body: {} });
    expect(() => parseMessage(weird, OPTIONS)).not.toThrow();
  });
});

describe('other system events', () => {
  it('reads a LEAFNODE.CONNECT (gateway setups), with or without type', () => {
    const e = parsedOk(
      parseMessage(
        raw({
          subject: '$SYS.ACCOUNT.APP.LEAFNODE.CONNECT',
          body: { account: 'APP', server: { name: 'leaf1', host: '10.0.0.1' } },
        }),
        OPTIONS,
      ),
    );
    expect(e).toMatchObject({ type: 'leafnode-connect', account: 'APP', name: 'leaf1', host: '10.0.0.1' });
    const bare = parsedOk(parseMessage(raw({ subject: '$SYS.ACCOUNT.APP.LEAFNODE.CONNECT', body: {} }), OPTIONS));
    expect(bare).toMatchObject({ type: 'leafnode-connect', account: 'APP', name: null, host: null });
  });

  it('reads empty names as null and a missing kind as Client', () => {
    const e = parsedOk(
      parseMessage(raw({ body: { type: CONNECT, client: { acc: 'APP', user: '', name: '', host: '' } } }), OPTIONS),
    );
    expect(e).toMatchObject({ client: { account: 'APP', user: null, name: null, host: null, kind: 'Client' } });
  });

  it('gives no duration when stop is before start or a time is unreadable', () => {
    const d = (client: Record<string, unknown>) => {
      const e = parsedOk(
        parseMessage(
          raw({
            subject: '$SYS.ACCOUNT.APP.DISCONNECT',
            body: { type: DISCONNECT, client: { acc: 'APP', ...client } },
          }),
          OPTIONS,
        ),
      );
      if (e.type !== 'disconnect') throw new Error('expected a disconnect');
      return e;
    };
    expect(d({ start: '2026-11-27T02:32:44.000000001Z', stop: '2026-11-27T02:32:45.5Z' }).durationNs).toBe(
      1_499_999_999n,
    );
    expect(d({ start: '2026-11-27T02:32:45Z', stop: '2026-11-27T02:32:44Z' }).durationNs).toBeNull();
    expect(d({ start: 'yesterday', stop: '2026-11-27T02:32:44Z' }).durationNs).toBeNull();
    expect(d({}).durationNs).toBeNull();
    expect(d({}).reason).toBe('');
  });
});

describe('advisories', () => {
  it('takes the account from the configuration, else from the subject prefix, else unknown', () => {
    const body = { type: STREAM_ACTION, stream: 'X', action: 'create' };
    expect(parsedOk(parseMessage(advisoryMsg('APP.$JS.EVENT.ADVISORY.STREAM.CREATED.X', body), OPTIONS))).toMatchObject(
      { account: 'APP' },
    );
    expect(
      parsedOk(
        parseMessage(advisoryMsg('OTHER.$JS.EVENT.ADVISORY.STREAM.CREATED.X', body, { account: undefined }), OPTIONS),
      ),
    ).toMatchObject({ account: 'OTHER', type: 'js-action', operation: 'stream.create', target: 'X' });
    expect(
      parsedOk(parseMessage(advisoryMsg('$JS.EVENT.ADVISORY.STREAM.CREATED.X', body, { account: undefined }), OPTIONS)),
    ).toMatchObject({
      account: 'unknown',
    });
    // With no known account, the audit record's own account is used.
    expect(
      parsedOk(
        parseMessage(
          advisoryMsg('$JS.EVENT.ADVISORY.API', apiAudit('$JS.API.INFO', {}, { acc: 'AUDIT' }), { account: undefined }),
          OPTIONS,
        ),
      ),
    ).toMatchObject({ account: 'AUDIT' });
  });

  it('counts other advisories by their first two tokens', () => {
    const e = parsedOk(
      parseMessage(
        advisoryMsg('APP.$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.ORDERS.C1', {
          type: 'io.nats.jetstream.advisory.v1.max_deliver',
        }),
        OPTIONS,
      ),
    );
    expect(e).toMatchObject({ type: 'advisory', account: 'APP', advisory: 'CONSUMER.MAX_DELIVERIES' });
  });

  it('maps stream_action actions to operations', () => {
    const op = (action: string, verb: string) =>
      parsedOk(
        parseMessage(
          advisoryMsg(`APP.$JS.EVENT.ADVISORY.STREAM.${verb}.S`, { type: STREAM_ACTION, stream: 'S', action }),
          OPTIONS,
        ),
      );
    expect(op('create', 'CREATED')).toMatchObject({ operation: 'stream.create', own: false });
    expect(op('modify', 'UPDATED')).toMatchObject({ operation: 'stream.update' });
    expect(op('delete', 'DELETED')).toMatchObject({ operation: 'stream.delete' });
  });

  it('reads a purge with seq and keep, and a refused call with only a code', () => {
    const purge = parsedOk(
      parseMessage(
        advisoryMsg(
          'APP.$JS.EVENT.ADVISORY.API',
          apiAudit('$JS.API.STREAM.PURGE.ORDERS', {
            request: '{"seq":10,"keep":3}',
            response: '{"success":true,"purged":7}',
          }),
        ),
        OPTIONS,
      ),
    );
    expect(purge).toMatchObject({
      operation: 'stream.purge',
      target: 'ORDERS',
      success: true,
      detail: 'seq 10; keep 3; purged 7',
    });
    const refused = parsedOk(
      parseMessage(
        advisoryMsg(
          'APP.$JS.EVENT.ADVISORY.API',
          apiAudit('$JS.API.STREAM.DELETE.ORDERS', { response: '{"error":{"code":403}}' }),
        ),
        OPTIONS,
      ),
    );
    expect(refused).toMatchObject({ operation: 'stream.delete', success: false, detail: 'refused: error (403)' });
    const noResponse = parsedOk(
      parseMessage(advisoryMsg('APP.$JS.EVENT.ADVISORY.API', apiAudit('$JS.API.STREAM.DELETE.ORDERS')), OPTIONS),
    );
    expect(noResponse).toMatchObject({ operation: 'stream.delete', success: true, detail: null });
    const other = parsedOk(
      parseMessage(advisoryMsg('APP.$JS.EVENT.ADVISORY.API', apiAudit('$JS.API.ACCOUNT.PURGE.APP')), OPTIONS),
    );
    expect(other).toMatchObject({ operation: 'other', target: 'ACCOUNT.PURGE.APP', success: true });
  });
});

describe("the report's own reads", () => {
  const audit = (subject: string, extra: Record<string, unknown> = {}) =>
    parsedOk(
      parseMessage(
        advisoryMsg('$JS.EVENT.ADVISORY.API', apiAudit(subject, extra, { acc: 'AUDIT' }), {
          stream: 'AUDIT_JS_ADVISORIES',
          account: 'AUDIT',
        }),
        OPTIONS,
      ),
    );
  const action = (verb: 'CREATED' | 'DELETED', stream: string, consumer: string) =>
    parsedOk(
      parseMessage(
        advisoryMsg(
          `$JS.EVENT.ADVISORY.CONSUMER.${verb}.${stream}.${consumer}`,
          { type: CONSUMER_ACTION, stream, consumer, action: verb === 'CREATED' ? 'create' : 'delete' },
          { stream: 'AUDIT_JS_ADVISORIES', account: 'AUDIT' },
        ),
        OPTIONS,
      ),
    );

  it('marks consumer_action advisories of own consumers as own', () => {
    expect(action('CREATED', 'SYS_EVENTS', 'sox-report_abc')).toMatchObject({
      type: 'js-action',
      operation: 'consumer.create',
      target: 'SYS_EVENTS/sox-report_abc',
      own: true,
    });
    expect(action('DELETED', 'SYS_EVENTS', 'sox-report_abc')).toMatchObject({
      operation: 'consumer.delete',
      own: true,
    });
  });

  it('does not mark other consumers as own', () => {
    expect(action('CREATED', 'SYS_EVENTS', 'sox-reportX')).toMatchObject({ own: false });
    expect(action('CREATED', 'SYS_EVENTS', 'my_sox-report_x')).toMatchObject({ own: false });
    expect(action('DELETED', 'SYS_EVENTS', 'C1')).toMatchObject({ own: false });
  });

  it('marks api_audit consumer create/delete of own consumers as own, wherever the name is', () => {
    expect(audit('$JS.API.CONSUMER.CREATE.SYS_EVENTS.sox-report_1')).toMatchObject({
      type: 'api-audit',
      operation: 'consumer.create',
      target: 'SYS_EVENTS/sox-report_1',
      own: true,
    });
    expect(audit('$JS.API.CONSUMER.CREATE.SYS_EVENTS.sox-report_1.filter.subject')).toMatchObject({
      target: 'SYS_EVENTS/sox-report_1',
      own: true,
    });
    expect(audit('$JS.API.CONSUMER.DURABLE.CREATE.SYS_EVENTS.sox-report_d')).toMatchObject({
      operation: 'consumer.create',
      own: true,
    });
    expect(
      audit('$JS.API.CONSUMER.CREATE.SYS_EVENTS', { request: '{"config":{"name":"sox-report_9"}}', response: '{}' }),
    ).toMatchObject({
      operation: 'consumer.create',
      target: 'SYS_EVENTS/sox-report_9',
      own: true,
    });
    expect(
      audit('$JS.API.CONSUMER.CREATE.SYS_EVENTS', { request: '{"config":{"durable_name":"sox-report_dur"}}' }),
    ).toMatchObject({
      target: 'SYS_EVENTS/sox-report_dur',
      own: true,
    });
    expect(audit('$JS.API.CONSUMER.DELETE.SYS_EVENTS.sox-report_1')).toMatchObject({
      operation: 'consumer.delete',
      own: true,
    });
  });

  it('does not mark other operations or other consumers as own', () => {
    expect(audit('$JS.API.CONSUMER.CREATE.SYS_EVENTS.C1')).toMatchObject({ own: false });
    expect(audit('$JS.API.CONSUMER.CREATE.SYS_EVENTS', { request: '{"config":{}}' })).toMatchObject({
      target: 'SYS_EVENTS',
      own: false,
    });
    expect(audit('$JS.API.STREAM.DELETE.sox-report_x')).toMatchObject({ operation: 'stream.delete', own: false });
    expect(audit('$JS.API.STREAM.INFO.SYS_EVENTS')).toMatchObject({ operation: null, own: false });
  });
});

describe('classifyApiSubject', () => {
  it('classifies the JetStream API', () => {
    expect(classifyApiSubject('$JS.API.INFO')).toEqual({ operation: null, stream: null, consumer: null });
    expect(classifyApiSubject('$JS.API.STREAM.NAMES')).toEqual({ operation: null, stream: null, consumer: null });
    expect(classifyApiSubject('$JS.API.STREAM.INFO.ORDERS')).toEqual({
      operation: null,
      stream: 'ORDERS',
      consumer: null,
    });
    expect(classifyApiSubject('$JS.API.CONSUMER.INFO.ORDERS.C1')).toEqual({
      operation: null,
      stream: 'ORDERS',
      consumer: null,
    });
    expect(classifyApiSubject('$JS.API.STREAM.CREATE.ORDERS')).toEqual({
      operation: 'stream.create',
      stream: 'ORDERS',
      consumer: null,
    });
    expect(classifyApiSubject('$JS.API.STREAM.UPDATE.ORDERS')).toEqual({
      operation: 'stream.update',
      stream: 'ORDERS',
      consumer: null,
    });
    expect(classifyApiSubject('$JS.API.STREAM.DELETE.ORDERS')).toEqual({
      operation: 'stream.delete',
      stream: 'ORDERS',
      consumer: null,
    });
    expect(classifyApiSubject('$JS.API.STREAM.PURGE.ORDERS')).toEqual({
      operation: 'stream.purge',
      stream: 'ORDERS',
      consumer: null,
    });
    expect(classifyApiSubject('$JS.API.STREAM.MSG.DELETE.ORDERS')).toEqual({
      operation: 'msg.delete',
      stream: 'ORDERS',
      consumer: null,
    });
    expect(classifyApiSubject('$JS.API.CONSUMER.CREATE.ORDERS.C1')).toEqual({
      operation: 'consumer.create',
      stream: 'ORDERS',
      consumer: 'C1',
    });
    expect(classifyApiSubject('$JS.API.CONSUMER.CREATE.ORDERS')).toEqual({
      operation: 'consumer.create',
      stream: 'ORDERS',
      consumer: null,
    });
    expect(classifyApiSubject('$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.D1')).toEqual({
      operation: 'consumer.create',
      stream: 'ORDERS',
      consumer: 'D1',
    });
    expect(classifyApiSubject('$JS.API.CONSUMER.DELETE.ORDERS.C1')).toEqual({
      operation: 'consumer.delete',
      stream: 'ORDERS',
      consumer: 'C1',
    });
    expect(classifyApiSubject('$JS.API.STREAM.SNAPSHOT.ORDERS')).toEqual({
      operation: 'other',
      stream: null,
      consumer: null,
    });
    expect(classifyApiSubject('$JS.API.DIRECT.GET.ORDERS')).toEqual({
      operation: null,
      stream: 'ORDERS',
      consumer: null,
    });
  });

  it('builds targets', () => {
    expect(jsTarget('S', 'C', 'fallback')).toBe('S/C');
    expect(jsTarget('S', null, 'fallback')).toBe('S');
    expect(jsTarget(null, 'C', 'fallback')).toBe('fallback');
  });

  it('reads STREAM.MSG.GET and CONSUMER.MSG.NEXT as reads', () => {
    expect(classifyApiSubject('$JS.API.STREAM.MSG.GET.ORDERS').operation).toBeNull();
    expect(classifyApiSubject('$JS.API.CONSUMER.MSG.NEXT.ORDERS.C1').operation).toBeNull();
  });

  // The stream of a read follows its whole prefix: STREAM.MSG.GET.ORDERS is about ORDERS, not "GET".
  it('names the stream of a STREAM.MSG.GET read', () => {
    expect(classifyApiSubject('$JS.API.STREAM.MSG.GET.ORDERS').stream).toBe('ORDERS');
  });

  it('names the stream of a CONSUMER.MSG.NEXT read', () => {
    expect(classifyApiSubject('$JS.API.CONSUMER.MSG.NEXT.ORDERS.C1').stream).toBe('ORDERS');
  });
});

// Type-level check that NatsEvent stays a discriminated union the tests above rely on.
const _types: NatsEvent['type'][] = [
  'connect',
  'disconnect',
  'auth-failure',
  'leafnode-connect',
  'js-action',
  'api-audit',
  'advisory',
  'transaction',
];
void _types;
