/**
 * A request to one of the system account's information services ($SYS.REQ…) as a NATS step: a server that goes
 * away is waited for like at every other step (nats-steps.ts), while a service that cannot answer at all (not
 * imported, an older server, a user not allowed to ask) is no answer, told by the error's name, never its text.
 */
import type { Msg, NatsConnection, Payload } from '@nats-io/transport-node';
import { errorMessage } from '../errors.js';
import { natsStep } from './nats-steps.js';

/** The names the client gives a request nobody can answer, beneath its RequestError. */
const NOT_ANSWERED = new Set(['NoResponders', 'NoRespondersError', 'PermissionViolationError']);

/** Whether `err` says the request cannot be answered (rather than that the connection failed). */
function isNotAnswered(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth += 1) {
    if (NOT_ANSWERED.has(e.name)) return true;
    if (e.name !== 'RequestError') return false;
  }
  return false;
}

/** The answers to a request, or why nothing can answer it (the client's words). */
export type SysAnswers = { messages: Msg[] } | { notAnswered: string };

/** How long to wait for more servers' answers to a PING subject after the last one came (a cluster answers each). */
const PING_STALL_MS = 300;

/**
 * The answers to `subject`: the first, or with `every` (a `…PING…` subject) each server's; an outage is waited
 * out, then fails the run.
 */
export function askSys(
  nc: NatsConnection,
  subject: string,
  payload: Payload | undefined,
  options: { timeoutMs?: number; every?: boolean } = {},
): Promise<SysAnswers> {
  const timeout = options.timeoutMs ?? 2000;
  return natsStep(nc, `asking ${subject}`, async () => {
    try {
      if (!options.every) return { messages: [await nc.request(subject, payload, { timeout })] };
      const messages: Msg[] = [];
      const answers = await nc.requestMany(subject, payload, {
        strategy: 'stall',
        stall: PING_STALL_MS,
        maxWait: timeout,
      });
      for await (const m of answers) messages.push(m);
      return { messages };
    } catch (err) {
      if (isNotAnswered(err)) return { notAnswered: errorMessage(err) };
      throw err;
    }
  });
}

/** The answer to `subject`, or null when nothing can answer it; an outage is waited out, then fails the run. */
export async function sysRequest(
  nc: NatsConnection,
  subject: string,
  payload?: Payload,
  timeoutMs = 2000,
): Promise<Msg | null> {
  const answers = await askSys(nc, subject, payload, { timeoutMs });
  return 'messages' in answers ? (answers.messages[0] ?? null) : null;
}
