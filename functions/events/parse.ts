import type { z } from 'zod';
import { issueText } from '../text/zod-issue.js';
import { parseInstant } from '../time/nanos.js';
import { classifyApiSubject, jsTarget } from './api-subject.js';
import { claimedUser } from './claimed-user.js';
import {
  apiAuditSchema,
  apiResponseSchema,
  connectSchema,
  consumerActionSchema,
  disconnectSchema,
  leafnodeConnectSchema,
  streamActionSchema,
} from './schemas.js';
import { isApiAuditShape, isApiResponseShape, isConnectShape, isDisconnectShape } from './shape-guards.js';
import type { ClientIdentity, JsOperation, ParsedEvent, ParseResult, RawMessage, UnparseableKind } from './types.js';

export interface ParseOptions {
  /** Consumers whose names start with this are the report's own reads. */
  ownConsumerPrefix: string;
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const ADVISORY = '$JS.EVENT.ADVISORY.';
const AUTH_FAILURE_REASON = 'Authentication Failure';

/**
 * What the parser could not accept, and whether the message is merely broken or claims to come from where it cannot.
 */
class Unparseable extends Error {
  constructor(
    reason: string,
    readonly kind: UnparseableKind = 'malformed',
  ) {
    super(reason);
  }
}

/**
 * A payload that contradicts the subject or stream the server stored it under: the server never writes such an
 * event, so someone else published it there.
 */
function forged(reason: string): Unparseable {
  return new Unparseable(reason, 'forged');
}

/** The phrase every forged event's reason holds, so that they read alike. */
const CONTRADICTS_SUBJECT = 'but the payload names';

/** Classifies one stored message; never throws: what it cannot understand comes back as unparseable. */
export function parseMessage(raw: RawMessage, options: ParseOptions): ParseResult {
  try {
    return { ok: true, event: classify(raw, options) };
  } catch (err) {
    const reason = err instanceof Unparseable ? err.message : `unexpected error: ${String(err)}`;
    const kind = err instanceof Unparseable ? err.kind : 'malformed';
    return { ok: false, unparseable: { stream: raw.stream, seq: raw.seq, subject: raw.subject, reason, kind } };
  }
}

// Events are built field by field, envelope first, with no object spread: spreading cost more than the JSON parse
// on a busy day, and one key order keeps the aggregation's property accesses monomorphic.
function classify(raw: RawMessage, options: ParseOptions): ParsedEvent {
  switch (raw.kind) {
    case 'system-events':
      return systemEvent(raw);
    case 'advisories':
      return advisory(raw, options);
    case 'transactions':
      return transaction(raw);
  }
}

function json(raw: RawMessage): unknown {
  let text: string;
  try {
    text = decoder.decode(raw.data);
  } catch {
    throw new Unparseable('payload is not valid UTF-8');
  }
  if (text.length === 0) throw new Unparseable('payload is empty');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Unparseable(`payload is not valid JSON (${(err as Error).message})`);
  }
}

function shaped<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what: string,
  guard?: (v: unknown) => boolean,
): z.output<T> {
  if (guard?.(value)) return value as z.output<T>;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new Unparseable(`not a ${what}: ${issueText(issue)}`);
}

function orNull(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

/** The user JWT's name (operator mode), only where the server sends one for a user it names. */
function userNameOf(client: { user?: string; name_tag?: string }): { userName?: string } {
  return client.user && client.name_tag ? { userName: client.name_tag } : {};
}

function identity(client: z.output<typeof connectSchema>['client']): ClientIdentity {
  return {
    account: client.acc,
    user: orNull(client.user),
    ...userNameOf(client),
    ...(client.user && client.jwt ? { jwt: client.jwt } : {}),
    name: orNull(client.name),
    host: orNull(client.host),
    kind: client.kind ?? 'Client',
  };
}

function systemEvent(raw: RawMessage): ParsedEvent {
  const t = raw.subject.split('.');
  if (t[0] === '$SYS' && t[1] === 'ACCOUNT' && t.length === 4 && (t[3] === 'CONNECT' || t[3] === 'DISCONNECT')) {
    const account = t[2]!;
    if (t[3] === 'CONNECT') {
      const e = shaped(connectSchema, json(raw), 'client connect event', isConnectShape);
      assertSameAccount(account, e.client.acc);
      return { stream: raw.stream, seq: raw.seq, ts: raw.ts, type: 'connect', client: identity(e.client) };
    }
    const e = shaped(disconnectSchema, json(raw), 'client disconnect event', isDisconnectShape);
    assertSameAccount(account, e.client.acc);
    const start = e.client.start ? parseInstant(e.client.start) : null;
    const stop = e.client.stop ? parseInstant(e.client.stop) : null;
    const durationNs = start !== null && stop !== null && stop >= start ? stop - start : null;
    return {
      stream: raw.stream,
      seq: raw.seq,
      ts: raw.ts,
      type: 'disconnect',
      client: identity(e.client),
      durationNs,
      reason: e.reason ?? '',
    };
  }
  if (
    t[0] === '$SYS' &&
    t[1] === 'SERVER' &&
    t.length === 6 &&
    t[3] === 'CLIENT' &&
    t[4] === 'AUTH' &&
    t[5] === 'ERR'
  ) {
    const e = shaped(disconnectSchema, json(raw), 'authentication failure event', isDisconnectShape);
    return {
      stream: raw.stream,
      seq: raw.seq,
      ts: raw.ts,
      type: 'auth-failure',
      ...((e.client.jwt ? claimedUser(e.client.jwt) : null) ?? { user: orNull(e.client.user) }),
      host: orNull(e.client.host),
      name: orNull(e.client.name),
      reason: e.reason ?? AUTH_FAILURE_REASON,
    };
  }
  if (t[0] === '$SYS' && t[1] === 'ACCOUNT' && t.length === 5 && t[3] === 'LEAFNODE' && t[4] === 'CONNECT') {
    const e = shaped(leafnodeConnectSchema, json(raw), 'leaf node connect event');
    if (e.account !== undefined) assertSameAccount(t[2]!, e.account);
    return {
      stream: raw.stream,
      seq: raw.seq,
      ts: raw.ts,
      type: 'leafnode-connect',
      account: t[2]!,
      name: orNull(e.server?.name),
      host: orNull(e.server?.host),
    };
  }
  throw new Unparseable('subject is not a system event this report reads');
}

/** An event published for one account that names another was not written by the server. */
function assertSameAccount(fromSubject: string, fromPayload: string): void {
  if (fromSubject !== fromPayload) {
    throw forged(`subject is for account ${fromSubject} ${CONTRADICTS_SUBJECT} account ${fromPayload}`);
  }
}

function advisory(raw: RawMessage, options: ParseOptions): ParsedEvent {
  const at = raw.subject.indexOf(ADVISORY);
  if (at < 0) throw new Unparseable('subject is not a JetStream advisory');
  const prefix = raw.subject.slice(0, at).replace(/\.$/, '');
  const account = raw.account ?? (prefix || 'unknown');
  const rest = raw.subject.slice(at + ADVISORY.length);
  const tokens = rest.split('.');
  const isOwn = (consumer: string | null) => consumer?.startsWith(options.ownConsumerPrefix) === true;

  if (rest === 'API') return apiAudit(raw, account, isOwn);

  if (tokens[0] === 'STREAM' && tokens.length === 3 && ['CREATED', 'UPDATED', 'DELETED'].includes(tokens[1]!)) {
    const e = shaped(streamActionSchema, json(raw), 'stream action advisory');
    if (e.stream !== tokens[2]) throw forged(`subject names stream ${tokens[2]} ${CONTRADICTS_SUBJECT} ${e.stream}`);
    const operation: JsOperation =
      e.action === 'create' ? 'stream.create' : e.action === 'modify' ? 'stream.update' : 'stream.delete';
    return {
      stream: raw.stream,
      seq: raw.seq,
      ts: raw.ts,
      type: 'js-action',
      account,
      operation,
      target: e.stream,
      own: false,
    };
  }
  if (tokens[0] === 'CONSUMER' && tokens.length === 4 && (tokens[1] === 'CREATED' || tokens[1] === 'DELETED')) {
    const e = shaped(consumerActionSchema, json(raw), 'consumer action advisory');
    if (e.stream !== tokens[2] || e.consumer !== tokens[3]) {
      throw forged(`subject names ${tokens[2]}/${tokens[3]} ${CONTRADICTS_SUBJECT} ${e.stream}/${e.consumer}`);
    }
    const operation: JsOperation = e.action === 'create' ? 'consumer.create' : 'consumer.delete';
    return {
      stream: raw.stream,
      seq: raw.seq,
      ts: raw.ts,
      type: 'js-action',
      account,
      operation,
      target: jsTarget(e.stream, e.consumer, rest),
      own: isOwn(e.consumer),
    };
  }
  const value = json(raw);
  if (typeof value !== 'object' || value === null || typeof (value as { type?: unknown }).type !== 'string') {
    throw new Unparseable('not an advisory: it has no "type"');
  }
  return {
    stream: raw.stream,
    seq: raw.seq,
    ts: raw.ts,
    type: 'advisory',
    account,
    advisory: tokens.slice(0, 2).join('.'),
  };
}

function apiAudit(raw: RawMessage, account: string, isOwn: (consumer: string | null) => boolean): ParsedEvent {
  const e = shaped(apiAuditSchema, json(raw), 'JetStream API audit record', isApiAuditShape);
  if (e.client.acc !== undefined && e.client.acc !== account && account !== 'unknown') {
    throw forged(`recorded for account ${account} ${CONTRADICTS_SUBJECT} account ${e.client.acc}`);
  }
  const call = classifyApiSubject(e.subject);
  const who = e.client;
  // The two records below are written out in full on purpose: built by spreading a shared part, they took another
  // object shape than every other parsed event's, and the aggregate, which sees them all, cost 2.5 µs more a message
  // (npm run bench, pipeline client CPU 9.2 against 11.8 µs).
  if (call.operation === null) {
    return {
      stream: raw.stream,
      seq: raw.seq,
      ts: raw.ts,
      type: 'api-audit',
      account: who.acc ?? account,
      user: orNull(who.user),
      ...userNameOf(who),
      client: orNull(who.name),
      host: orNull(who.host),
      operation: null,
      target: call.stream ?? e.subject,
      success: true,
      detail: null,
      own: false,
    };
  }
  const request =
    call.operation === 'consumer.create' || call.operation === 'msg.delete' || call.operation === 'stream.purge'
      ? optionalJson(e.request)
      : null;
  const consumer = call.consumer ?? consumerNameFromRequest(request);
  const response = shaped(
    apiResponseSchema,
    optionalJson(e.response) ?? {},
    'JetStream API response',
    isApiResponseShape,
  );
  const refused = response.error !== undefined;
  const details: string[] = [];
  if (call.operation === 'msg.delete' && request && typeof request.seq === 'number') details.push(`seq ${request.seq}`);
  if (call.operation === 'stream.purge' && request) {
    for (const key of ['filter', 'seq', 'keep'] as const) {
      if (request[key] !== undefined) details.push(`${key} ${String(request[key])}`);
    }
    if (!refused && response.purged !== undefined) details.push(`purged ${response.purged}`);
  }
  if (refused) {
    const code = response.error?.err_code ?? response.error?.code;
    details.push(`refused: ${response.error?.description ?? 'error'}${code !== undefined ? ` (${code})` : ''}`);
  }
  return {
    stream: raw.stream,
    seq: raw.seq,
    ts: raw.ts,
    type: 'api-audit',
    account: who.acc ?? account,
    user: orNull(who.user),
    ...userNameOf(who),
    client: orNull(who.name),
    host: orNull(who.host),
    operation: call.operation,
    target: jsTarget(call.stream, consumer, e.subject.slice('$JS.API.'.length)),
    success: !refused,
    detail: details.length ? details.join('; ') : null,
    own: (call.operation === 'consumer.create' || call.operation === 'consumer.delete') && isOwn(consumer),
  };
}

function optionalJson(text: string | undefined): Record<string, unknown> | null {
  if (text === undefined || text === '') return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    throw new Unparseable('an embedded request or response is not valid JSON');
  }
}

function consumerNameFromRequest(request: Record<string, unknown> | null): string | null {
  const config = request?.config;
  if (typeof config !== 'object' || config === null) return null;
  const { name, durable_name: durable } = config as { name?: unknown; durable_name?: unknown };
  if (typeof name === 'string' && name) return name;
  return typeof durable === 'string' && durable ? durable : null;
}

function transaction(raw: RawMessage): ParsedEvent {
  const value = json(raw);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Unparseable('a transaction must be a JSON object');
  }
  return { stream: raw.stream, seq: raw.seq, ts: raw.ts, type: 'transaction', subject: raw.subject };
}
