import type { JsOperation } from './types.js';

export interface ApiCall {
  /** null for calls that only read. */
  operation: JsOperation | null;
  stream: string | null;
  consumer: string | null;
}

const API_PREFIX = '$JS.API.';

const READS = new Set(['INFO', 'STREAM.NAMES', 'STREAM.LIST', 'CONSUMER.NAMES', 'CONSUMER.LIST']);
const READ_PREFIXES = [
  'STREAM.INFO.',
  'STREAM.MSG.GET.',
  'DIRECT.GET.',
  'CONSUMER.INFO.',
  'CONSUMER.MSG.NEXT.',
  'CONSUMER.NAMES.',
  'CONSUMER.LIST.',
];

const STREAM_OPS: [string, JsOperation][] = [
  ['STREAM.CREATE.', 'stream.create'],
  ['STREAM.UPDATE.', 'stream.update'],
  ['STREAM.DELETE.', 'stream.delete'],
  ['STREAM.PURGE.', 'stream.purge'],
  ['STREAM.MSG.DELETE.', 'msg.delete'],
];

/** What a JetStream API subject ($JS.API.…) asks the server to do. */
export function classifyApiSubject(subject: string): ApiCall {
  const rest = subject.startsWith(API_PREFIX) ? subject.slice(API_PREFIX.length) : subject;
  if (READS.has(rest)) return { operation: null, stream: null, consumer: null };
  const read = READ_PREFIXES.find((p) => rest.startsWith(p));
  if (read !== undefined)
    return { operation: null, stream: rest.slice(read.length).split('.')[0] || null, consumer: null };
  for (const [prefix, operation] of STREAM_OPS) {
    if (rest.startsWith(prefix)) return { operation, stream: rest.slice(prefix.length), consumer: null };
  }
  const tokens = rest.split('.');
  if (rest.startsWith('CONSUMER.DURABLE.CREATE.')) {
    return { operation: 'consumer.create', stream: tokens[3] ?? null, consumer: tokens[4] ?? null };
  }
  if (rest.startsWith('CONSUMER.CREATE.')) {
    return { operation: 'consumer.create', stream: tokens[2] ?? null, consumer: tokens[3] ?? null };
  }
  if (rest.startsWith('CONSUMER.DELETE.')) {
    return { operation: 'consumer.delete', stream: tokens[2] ?? null, consumer: tokens[3] ?? null };
  }
  return { operation: 'other', stream: null, consumer: null };
}

export function jsTarget(stream: string | null, consumer: string | null, fallback: string): string {
  if (stream === null) return fallback;
  return consumer === null ? stream : `${stream}/${consumer}`;
}
