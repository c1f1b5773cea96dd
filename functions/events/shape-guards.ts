import { TYPES } from './schemas.js';

/**
 * Plain checks that accept exactly what the zod schemas of schemas.ts accept, for the shapes a busy day holds
 * by the hundred thousand. zod copies every key of a loose object it validates, and that copy was most of the
 * cost of reading a day; these checks copy nothing. zod stays the definition and writes the error message:
 * a payload these reject is handed to it (test/unit/events/shape-guards.test.ts holds the two to the same verdicts).
 */
const MAX_TEXT = 65_536;

type Loose = Record<string, unknown>;

const isObject = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_TEXT;
const isOptionalText = (v: unknown) => v === undefined || isText(v);
const isOptionalNumber = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isFinite(v));
const isOptionalString = (v: unknown) => v === undefined || typeof v === 'string';

function isClientInfo(v: unknown): boolean {
  return (
    isObject(v) &&
    isText(v.acc) &&
    isOptionalText(v.user) &&
    isOptionalText(v.name_tag) &&
    isOptionalText(v.jwt) &&
    isOptionalText(v.name) &&
    isOptionalText(v.host) &&
    isOptionalText(v.kind) &&
    isOptionalText(v.start) &&
    isOptionalText(v.stop)
  );
}

export function isConnectShape(v: unknown): boolean {
  return isObject(v) && v.type === TYPES.connect && isClientInfo(v.client);
}

export function isDisconnectShape(v: unknown): boolean {
  return isObject(v) && v.type === TYPES.disconnect && isClientInfo(v.client) && isOptionalText(v.reason);
}

export function isApiAuditShape(v: unknown): boolean {
  if (!isObject(v) || v.type !== TYPES.apiAudit) return false;
  const { client, subject } = v;
  return (
    isObject(client) &&
    isOptionalText(client.acc) &&
    isOptionalText(client.user) &&
    isOptionalText(client.name) &&
    isOptionalText(client.host) &&
    typeof subject === 'string' &&
    subject.length <= MAX_TEXT &&
    subject.startsWith('$JS.API.') &&
    isOptionalString(v.request) &&
    isOptionalString(v.response)
  );
}

export function isApiResponseShape(v: unknown): boolean {
  if (!isObject(v) || !isOptionalNumber(v.purged)) return false;
  const { error } = v;
  return (
    error === undefined ||
    (isObject(error) &&
      isOptionalNumber(error.err_code) &&
      isOptionalText(error.description) &&
      isOptionalNumber(error.code))
  );
}
