import { encodeUser } from '@nats-io/jwt';
import { createAccount, createUser } from '@nats-io/nkeys';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyAccountNames } from '../../../functions/analysis/account-names.js';
import { addMessage } from '../../../functions/analysis/add-event.js';
import { emptyAggregate } from '../../../functions/analysis/aggregate-state.js';
import { knownNames, shownBaselineUser, shownUser } from '../../../functions/analysis/detection/common.js';
import { bruteForceHost } from '../../../functions/analysis/detection/brute-force-host.js';
import { bruteForceUser } from '../../../functions/analysis/detection/brute-force-user.js';
import type { DetectionContext } from '../../../functions/analysis/detection/context.js';
import { newHost } from '../../../functions/analysis/detection/new-host.js';
import { buildReport } from '../../../functions/analysis/finalize.js';
import { mergeAggregates } from '../../../functions/analysis/merge-aggregates.js';
import type { ReportV1 } from '../../../functions/analysis/report-model.js';
import { parseConfig } from '../../../functions/config/load.js';
import { claimedUser } from '../../../functions/events/claimed-user.js';
import type { RawMessage } from '../../../functions/events/types.js';
import { buildViewModel } from '../../../functions/render/view-model.js';

const options = { ownConsumerPrefix: 'sox-report_' };
const account = createAccount();
const APP = account.getPublicKey();
const alice = createUser();
const ALICE = alice.getPublicKey();
const LEAF = createUser().getPublicKey();
let aliceJwt: string;

beforeAll(async () => {
  aliceJwt = await encodeUser('alice', alice, account);
});

/** An AUTH.ERR event as nats-server 2.9/2.10 publishes it when a login presenting a user JWT is refused. */
function refused(seq: number, jwt: string | undefined, signedWith = createUser().getPublicKey()): RawMessage {
  const client = { acc: '$G', user: signedWith, name: 'guesser', host: '203.0.113.9', jwt };
  return {
    stream: 'SYS_EVENTS',
    kind: 'system-events',
    seq,
    subject: '$SYS.SERVER.NSERVER.CLIENT.AUTH.ERR',
    ts: BigInt(seq) * 1_000_000n,
    data: new TextEncoder().encode(
      JSON.stringify({
        type: 'io.nats.server.advisory.v1.client_disconnect',
        client,
        reason: 'Authentication Failure',
      }),
    ),
  };
}

/** A leaf node's CONNECT in operator mode: its user's key, with the JWT name in `name_tag`. */
function leafConnect(seq: number): RawMessage {
  const client = { acc: APP, user: LEAF, name_tag: 'edge-leaf', name: 'leaf1', host: '10.1.1.1', kind: 'Leafnode' };
  return {
    stream: 'SYS_EVENTS',
    kind: 'system-events',
    seq,
    subject: `$SYS.ACCOUNT.${APP}.CONNECT`,
    ts: BigInt(seq) * 1_000_000n,
    data: new TextEncoder().encode(JSON.stringify({ type: 'io.nats.server.advisory.v1.client_connect', client })),
  };
}

function report(...states: ReturnType<typeof emptyAggregate>[]): ReportV1 {
  const state = states.reduce((a, b) => mergeAggregates(a, b));
  const period = { from: 0n, to: 10_000_000_000n, timezone: 'UTC', kind: 'adhoc' as const };
  return buildReport(period, [], state, 10_000_000_000n, { topN: 10 });
}

const detectionConfig = parseConfig({
  timezone: 'UTC',
  sources: [
    { name: 'audit', nats: { servers: ['nats://127.0.0.1:4222'] }, streams: [{ stream: 'S', kind: 'system-events' }] },
  ],
}).detection;
const context = (previous: ReportV1 | null = null): DetectionContext => ({
  thresholds: detectionConfig,
  auditStreams: ['SYS_EVENTS'],
  timezone: 'UTC',
  previous,
});

describe('operator mode: failed logins, leaf nodes and the baseline by name', () => {
  it('takes the user a refused login claimed from the JWT it presented, never from a JWT whose signature fails', () => {
    expect(claimedUser(aliceJwt)).toEqual({ user: ALICE, userName: 'alice' });
    const [header, payload, signature] = aliceJwt.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = [header, Buffer.from(JSON.stringify({ ...claims, name: 'root' })).toString('base64url'), signature];
    expect(claimedUser(forged.join('.'))).toBeNull();
    expect(claimedUser('not a jwt')).toBeNull();
  });

  it('counts refused logins against the key the JWT names, with its name, however the period is sliced', () => {
    const whole = emptyAggregate();
    for (const seq of [1, 2, 3]) addMessage(whole, refused(seq, aliceJwt), options);
    const [a, b] = [emptyAggregate(), emptyAggregate()];
    addMessage(a, refused(1, aliceJwt), options);
    addMessage(b, refused(2, aliceJwt), options);
    addMessage(b, refused(3, aliceJwt), options);
    for (const r of [report(whole), report(a, b), report(b, a)]) {
      expect(r.authFailures.byUser).toEqual([{ user: ALICE, userName: 'alice', count: 3 }]);
      expect(r.authFailureEvents!.map((f) => [f.user, f.userName, f.seq])).toEqual([
        [ALICE, 'alice', 1],
        [ALICE, 'alice', 2],
        [ALICE, 'alice', 3],
      ]);
    }
    // Without a JWT (config mode) the name tried stays the user, and no userName appears.
    const plain = emptyAggregate();
    addMessage(plain, refused(1, undefined, 'mallory'), options);
    expect(report(plain).authFailures.byUser).toEqual([{ user: 'mallory', count: 1 }]);
    expect(report(plain).authFailureEvents![0]).not.toHaveProperty('userName');
  });

  it('names the user in the brute-force incidents, by user and by host', () => {
    const state = emptyAggregate();
    for (const seq of [1, 2, 3, 4, 5]) addMessage(state, refused(seq, aliceJwt), options);
    const r = report(state);
    const shown = `alice (${ALICE.slice(0, 4)}…)`;
    const [byUser] = bruteForceUser(r, context());
    expect(byUser).toMatchObject({ subject: ALICE });
    expect(byUser!.summary).toMatch(new RegExp(`^5 failed logins for user alice \\(${ALICE.slice(0, 4)}…\\) within`));
    const [byHost] = bruteForceHost(r, context());
    expect(byHost!.summary.endsWith(`; user names tried: ${shown}`)).toBe(true);
  });

  it('keeps the leaf node user JWT name and puts the account name beside the key in the leaf rows', () => {
    const [a, b] = [emptyAggregate(), emptyAggregate()];
    addMessage(a, leafConnect(1), options);
    addMessage(b, leafConnect(2), options);
    const r = report(a, b);
    applyAccountNames(r, [{ account: APP, name: 'APP', reason: null }]);
    expect(r.connections.leafnodes.remotes).toEqual([
      {
        account: APP,
        accountName: 'APP',
        user: LEAF,
        userName: 'edge-leaf',
        name: 'leaf1',
        connects: 2,
        disconnects: 0,
        hosts: ['10.1.1.1'],
      },
    ]);
    const vm = buildViewModel(r, { branding: { company: 'X', title: 'T' }, maxRows: 10 } as never);
    const rows = JSON.stringify(vm);
    expect(rows).toContain(`edge-leaf (${LEAF.slice(0, 4)}…)`);
    expect(rows).toContain(`APP (${APP.slice(0, 4)}…)`);
  });

  it('shows a baseline entry (keys) by the names the report knows, and a new host of a named user by name', () => {
    const state = emptyAggregate();
    for (const seq of [1, 2, 3]) addMessage(state, refused(seq, aliceJwt), options);
    const r = report(state);
    r.connections.byUser = [
      {
        account: APP,
        accountName: 'APP',
        user: ALICE,
        userName: 'alice',
        connects: 1,
        disconnects: 0,
        totalDurationSeconds: 0,
        maxDurationSeconds: 0,
        clients: [],
        clientsTruncated: false,
        hosts: [],
        hostsTruncated: false,
      },
    ];
    const names = knownNames(r);
    expect(shownBaselineUser(names, `${APP}/${ALICE}`)).toBe(`APP (${APP.slice(0, 4)}…)/alice (${ALICE.slice(0, 4)}…)`);
    expect(shownBaselineUser(names, 'AUDIT/audit')).toBe('AUDIT/audit');
    expect(shownUser(names, 'mallory')).toBe('mallory');

    const previous = structuredClone(r);
    previous.baseline = {
      users: [`${APP}/${ALICE}`],
      userHosts: [{ user: `${APP}/${ALICE}`, hosts: ['10.0.0.7'], hostsTruncated: false }],
      truncated: false,
      newHosts: [],
    };
    r.baseline = {
      ...previous.baseline,
      newHosts: [
        {
          time: '1970-01-01T00:00:00.001000000Z',
          user: `${APP}/${ALICE}`,
          host: '198.51.100.23',
          stream: 'SYS_EVENTS',
          seq: 9,
        },
      ],
    };
    const [found] = newHost(r, context(previous));
    expect(found).toMatchObject({ subject: `${APP}/${ALICE}` });
    expect(found!.summary).toBe(
      `APP (${APP.slice(0, 4)}…)/alice (${ALICE.slice(0, 4)}…) logged in from a host not seen for this user before: ` +
        '198.51.100.23 (first at 1970-01-01 00:00:00.001000000 +00:00); known hosts: 10.0.0.7',
    );
  });
});
