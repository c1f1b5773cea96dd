import type { JsOperation } from '../events/types.js';
import type { Nanos } from '../time/nanos.js';
import { insertBounded } from './bounded.js';
import { KEY_SEPARATOR, type AggregateState, type ChangeRecord } from './aggregate-state.js';
import { comparePosition, compareStored } from './stored-order.js';

/** Operations the server announces with an advisory of their own besides the audit record. */
export const ANNOUNCED: ReadonlySet<JsOperation> = new Set<JsOperation>([
  'stream.create',
  'stream.update',
  'stream.delete',
  'consumer.create',
  'consumer.delete',
]);

/** Counts and lists a change that waits for nothing more. */
export function settle(state: AggregateState, record: ChangeRecord): void {
  const js = state.jetstream;
  js.byOperation.set(record.operation, (js.byOperation.get(record.operation) ?? 0) + 1);
  if (!record.success) js.refused += 1;
  insertBounded(js.changes, record, state.limits.maxListed, compareStored);
}

/** An advisory says what changed, the audit record who asked: together they are one change. */
export function pair(state: AggregateState, record: ChangeRecord, part: 'action' | 'audit'): void {
  const js = state.jetstream;
  const key = [record.account, record.operation, record.target].join(KEY_SEPARATOR);
  const partners = part === 'action' ? js.pendingAudits : js.pendingActions;
  let best = -1;
  for (let i = 0; i < partners.length; i++) {
    const candidate = partners[i]!;
    if (candidate.key !== key || absDiff(candidate.record.ts, record.ts) > state.limits.pairWindowNs) continue;
    if (best < 0 || absDiff(candidate.record.ts, record.ts) < absDiff(partners[best]!.record.ts, record.ts)) best = i;
  }
  if (best >= 0) {
    const [partner] = partners.splice(best, 1);
    const audit = part === 'audit' ? record : partner!.record;
    const action = part === 'action' ? record : partner!.record;
    settle(state, {
      ...audit,
      // The advisory is the server's statement that the change took effect: its time is the change's time.
      ts: action.ts,
      stream: action.stream,
      seq: action.seq,
      evidence: [...action.evidence, ...audit.evidence].sort(comparePosition),
    });
  } else {
    (part === 'action' ? js.pendingActions : js.pendingAudits).push({ key, record });
  }
  expirePending(state, record.stream, record.ts);
}

function absDiff(a: Nanos, b: Nanos): Nanos {
  return a > b ? a - b : b - a;
}

/**
 * Parts older by more than the pairing window than the newest message of their stream will never be
 * paired, unless they are that close to the slice's first message: their partner may be in the slice before.
 */
function expirePending(state: AggregateState, stream: string, now: Nanos | null): void {
  const js = state.jetstream;
  const window = state.limits.pairWindowNs;
  const firstSeen = js.firstSeen.get(stream);
  for (const list of [js.pendingActions, js.pendingAudits]) {
    for (let i = list.length - 1; i >= 0; i--) {
      const { record } = list[i]!;
      const nearSliceStart = firstSeen !== undefined && record.ts - firstSeen <= window;
      if (now === null || (record.stream === stream && now - record.ts > window && !nearSliceStart)) {
        list.splice(i, 1);
        settle(state, record);
      }
    }
  }
}

/** Settles whatever is still waiting for a partner: call once the whole period has been added. */
export function settlePending(state: AggregateState): void {
  expirePending(state, '', null);
}
