/**
 * Asks the servers, read-only, what access/ derives the access section from: the reporting user's own permissions,
 * every server's settings, every stream's configuration, the accounts and each one's imports, exports, mappings and
 * revocations. Each answer is kept as sent (report.json `inputs.access`), so `verify --recompute` derives the same.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { MAX_ANSWER_LIST, accountzAccounts } from '../access/answers.js';
import type { AccessAnswer, AccessRequest, RecordedAccess } from '../access/model.js';
import { formatInstant, type Nanos } from '../time/nanos.js';
import { askSys } from './sys-request.js';

/** An answer larger than this is left out (and the report says so): a JSZ of thousands of streams. */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 2000;

export async function collectAccess(nc: NatsConnection, source: string, now: () => Nanos): Promise<RecordedAccess> {
  const answers: AccessAnswer[] = [];
  const omitted: RecordedAccess['omitted'] = [];
  const collectedAt = formatInstant(now());
  const keep = (request: AccessRequest, subject: string, replies: Reply[]) => {
    for (const reply of replies) {
      if (reply.bytes > MAX_ANSWER_BYTES) omitted.push({ request, subject, bytes: reply.bytes });
      else answers.push({ request, subject, ...reply.answer });
    }
  };
  keep('user-info', '$SYS.REQ.USER.INFO', await ask(nc, '$SYS.REQ.USER.INFO', undefined, false));
  // The report's own connection as its account sees it: in operator mode the JWT it logged in with, which states
  // its permissions where the server answers no USER.INFO (2.9). Every account has this service without an import.
  const own = { cid: nc.info?.client_id, auth: true };
  keep('own-connection', '$SYS.REQ.ACCOUNT.PING.CONNZ', await ask(nc, '$SYS.REQ.ACCOUNT.PING.CONNZ', own, false));
  keep('varz', '$SYS.REQ.SERVER.PING.VARZ', await ask(nc, '$SYS.REQ.SERVER.PING.VARZ', undefined, true));
  const jsz = { accounts: true, streams: true, config: true, limit: MAX_ANSWER_LIST };
  keep('jsz', '$SYS.REQ.SERVER.PING.JSZ', await ask(nc, '$SYS.REQ.SERVER.PING.JSZ', jsz, true));
  const accountz = await ask(nc, '$SYS.REQ.SERVER.PING.ACCOUNTZ', undefined, true);
  keep('accountz', '$SYS.REQ.SERVER.PING.ACCOUNTZ', accountz);
  const accounts = [...new Set(accountz.flatMap((r) => accountzAccounts(r.answer.data)))].sort();
  for (const account of accounts.slice(0, MAX_ANSWER_LIST)) {
    const subject = `$SYS.REQ.ACCOUNT.${account}.INFO`;
    keep('account-info', subject, await ask(nc, subject, undefined, false));
  }
  return { collectedAt, source, answers, omitted };
}

interface Reply {
  answer: Omit<AccessAnswer, 'request' | 'subject'>;
  bytes: number;
}

/**
 * One request (a PING: every server's answer), as a NATS step (sys-request.ts); an answer that cannot come (no
 * responders, no permission) is recorded as such.
 */
async function ask(nc: NatsConnection, subject: string, body: unknown, ping: boolean): Promise<Reply[]> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const answers = await askSys(nc, subject, payload, { timeoutMs: REQUEST_TIMEOUT_MS, every: ping });
  if ('notAnswered' in answers) return [failed(answers.notAnswered)];
  if (answers.messages.length === 0) return [failed('no server answered')];
  return answers.messages.map(reply);
}

function failed(error: string): Reply {
  return { answer: { server: null, data: null, error }, bytes: 0 };
}

function reply(m: { data: Uint8Array; string(): string }): Reply {
  const bytes = m.data.length;
  if (bytes > MAX_ANSWER_BYTES) return { answer: { server: null, data: null, error: null }, bytes };
  let body: unknown;
  try {
    body = JSON.parse(m.string());
  } catch {
    return { answer: { server: null, data: null, error: 'the answer is not JSON' }, bytes };
  }
  const o = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const s = typeof o.server === 'object' && o.server !== null ? (o.server as Record<string, unknown>) : null;
  const server =
    s && typeof s.name === 'string' && typeof s.id === 'string' && typeof s.ver === 'string'
      ? { name: s.name, id: s.id, version: s.ver }
      : null;
  const error =
    typeof o.error === 'object' && o.error !== null
      ? `the server answered: ${String((o.error as Record<string, unknown>).description ?? 'an error')}`
      : null;
  return { answer: { server, data: error === null ? (o.data ?? null) : null, error }, bytes };
}
