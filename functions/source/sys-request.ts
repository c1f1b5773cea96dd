/**
 * A request to one of the system account's information services ($SYS.REQ…) as a NATS step: a server that goes
 * away is waited for like at every other step (nats-steps.ts), while a service that cannot answer at all (not
 * imported, an older server, a user not allowed to ask) is no answer, told by the error's name, never its text.
 */
import type { Msg, NatsConnection, Payload } from '@nats-io/transport-node';
import { natsStep } from './nats-steps.js';

/** The names the client gives a request nobody can answer, beneath its RequestError. */
const NOT_ANSWERED = new Set(['NoResponders', 'NoRespondersError', 'PermissionViolationError']);

/** Whether `err` says the request cannot be answered (rather than that the connection failed). */
export function isNotAnswered(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth += 1) {
    if (NOT_ANSWERED.has(e.name)) return true;
    if (e.name !== 'RequestError') return false;
  }
  return false;
}

/** The answer to `subject`, or null when nothing can answer it; an outage is waited out, then fails the run. */
export function sysRequest(
  nc: NatsConnection,
  subject: string,
  payload?: Payload,
  timeoutMs = 2000,
): Promise<Msg | null> {
  return natsStep(nc, `asking ${subject}`, async () => {
    try {
      return await nc.request(subject, payload, { timeout: timeoutMs });
    } catch (err) {
      if (isNotAnswered(err)) return null;
      throw err;
    }
  });
}
