import { describe, expect, it } from 'vitest';
import { applyAccountNames } from '../../../functions/analysis/account-names.js';
import { addMessage } from '../../../functions/analysis/add-event.js';
import { emptyAggregate } from '../../../functions/analysis/aggregate-state.js';
import { buildReport } from '../../../functions/analysis/finalize.js';
import { actorOf } from '../../../functions/analysis/detection/common.js';
import { mergeAggregates } from '../../../functions/analysis/merge-aggregates.js';
import type { RawMessage } from '../../../functions/events/types.js';
import { named } from '../../../functions/text/named.js';

const APP = `A${'P'.repeat(55)}`;
const ALICE = `U${'A'.repeat(55)}`;
const options = { ownConsumerPrefix: 'sox-report_' };

/** A CONNECT event as nats-server 2.9/2.10 publishes it in operator mode (client.name_tag: the user JWT's name). */
function connect(seq: number, nameTag: string | undefined): RawMessage {
  const client = { acc: APP, user: ALICE, name: 'alice-cli', host: '127.0.0.1', kind: 'Client', name_tag: nameTag };
  return {
    stream: 'SYS_EVENTS',
    kind: 'system-events',
    seq,
    subject: `$SYS.ACCOUNT.${APP}.CONNECT`,
    ts: BigInt(seq) * 1_000_000n,
    data: new TextEncoder().encode(JSON.stringify({ type: 'io.nats.server.advisory.v1.client_connect', client })),
  };
}

function report(...states: ReturnType<typeof emptyAggregate>[]) {
  const state = states.reduce((a, b) => mergeAggregates(a, b));
  const period = { from: 0n, to: 10_000_000_000n, timezone: 'UTC', kind: 'adhoc' as const };
  return buildReport(period, [], state, 10_000_000_000n, { topN: 10 });
}

describe('operator (JWT) mode names', () => {
  it('shows a name with the start of its key, and the key alone where no name is known', () => {
    expect(named(ALICE, 'alice')).toBe('alice (UAAA…)');
    expect(named(ALICE, undefined)).toBe(ALICE);
    expect(named('app', undefined)).toBe('app');
    expect(named('AUDIT', 'AUDIT')).toBe('AUDIT');
  });

  it('keeps the user JWT name from CONNECT events beside the key, the same however the period is sliced', () => {
    const whole = emptyAggregate();
    for (const seq of [1, 2, 3]) addMessage(whole, connect(seq, seq === 2 ? 'alice' : undefined), options);
    const [a, b] = [emptyAggregate(), emptyAggregate()];
    addMessage(a, connect(1, undefined), options);
    addMessage(b, connect(2, 'alice'), options);
    addMessage(b, connect(3, undefined), options);
    for (const r of [report(whole), report(a, b), report(b, a)]) {
      expect(r.connections.byUser).toEqual([expect.objectContaining({ account: APP, user: ALICE, userName: 'alice' })]);
    }
    // A config-mode event has no name_tag: no userName at all, so such reports stay as they were.
    const plain = emptyAggregate();
    addMessage(plain, connect(1, undefined), options);
    expect(report(plain).connections.byUser[0]).not.toHaveProperty('userName');
  });

  it('puts account names right after the account key and into who made a change', () => {
    const state = emptyAggregate();
    addMessage(state, connect(1, 'alice'), options);
    const r = report(state);
    applyAccountNames(r, [{ account: APP, name: 'APP', reason: null }]);
    expect(Object.keys(r.connections.byUser[0]!).slice(0, 4)).toEqual(['account', 'accountName', 'user', 'userName']);
    expect(actorOf({ account: APP, accountName: 'APP', user: ALICE, userName: 'alice' })).toBe(
      'APP (APPP…)/alice (UAAA…)',
    );
    expect(actorOf({ account: APP, user: null })).toBe(`${APP} (user not recorded)`);
    // An account whose name could not be read keeps its key alone.
    const unnamed = report(state);
    applyAccountNames(unnamed, [{ account: APP, name: null, reason: 'no responders' }]);
    expect(unnamed.connections.byUser[0]).not.toHaveProperty('accountName');
  });
});
