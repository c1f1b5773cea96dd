import { describe, expect, it } from 'vitest';
import type { AccountAccess, Permissions } from '../../../functions/access/model.js';
import {
  READ_ONLY_PUBLISH,
  type PrivilegeContext,
  UNKNOWN_ACCOUNT,
  beyondReadOnly,
  coveredTogether,
  covers,
  intersection,
  mayPublishAll,
  normalisedPermissions,
  overlaps,
  permissionsText,
  privilegesOf,
  readOnlyPublish,
  routesOf,
} from '../../../functions/access/permissions.js';

const perms = (
  publish: { allow: string[] | null; deny?: string[] },
  subscribe: { allow: string[] | null; deny?: string[] } = { allow: null },
  responses: Permissions['responses'] = null,
): Permissions => ({
  publish: { allow: publish.allow, deny: publish.deny ?? [] },
  subscribe: { allow: subscribe.allow, deny: subscribe.deny ?? [] },
  responses,
});

describe('covers: whether every subject of the inner pattern matches the outer one', () => {
  it.each([
    ['>', 'a', true],
    ['>', 'a.b.c', true],
    ['>', '>', true],
    ['>', '*', true],
    ['a.>', 'a', false], // `>` needs at least one token
    ['a.>', 'a.b', true],
    ['a.>', 'a.b.c', true],
    ['a.>', 'a.*', true],
    ['a.>', 'a.>', true],
    ['a.>', 'a.*.>', true],
    ['a.>', 'b.c', false],
    ['a.*', 'a.b', true],
    ['a.*', 'a.*', true],
    ['a.*', 'a.>', false], // `>` reaches longer subjects than `*`
    ['a.*', 'a.b.c', false],
    ['a.*', 'a', false],
    ['*', '>', false],
    ['*.*', '*.>', false],
    ['a.*.>', 'a.>', false],
    ['a.*.>', 'a.b.c', true],
    ['a.*.>', 'a.b', false],
    ['a.b', 'a.*', false],
    ['a.b', 'a.b', true],
    ['a.b', 'a.b.c', false], // shorter outer
    ['a.b.c', 'a.b', false], // longer outer
    ['$JS.API.>', '$JS.API.STREAM.DELETE.ORDERS', true],
    ['$JS.API.STREAM.INFO.*', '$JS.API.STREAM.INFO.ORDERS', true],
    ['$JS.API.STREAM.INFO.*', '$JS.API.STREAM.DELETE.ORDERS', false],
  ])('covers(%j, %j) is %s', (outer, inner, expected) => {
    expect(covers(outer, inner)).toBe(expected);
  });
});

describe('overlaps: whether some subject matches both patterns', () => {
  it.each([
    ['>', 'a', true],
    ['a', '>', true],
    ['a.>', 'a', false],
    ['a', 'a.>', false],
    ['a.>', 'a.b', true],
    ['a.*', 'a.>', true],
    ['a.*', 'a.b.c', false],
    ['*.b', 'a.*', true],
    ['*.b', 'a.c', false],
    ['a.b', 'a.b', true],
    ['a.b', 'a.b.c', false],
    ['$SYS.>', '>', true],
    ['$SYS.>', '$JS.API.>', false],
    ['*', '*', true],
    ['*', 'a.b', false],
  ])('overlaps(%j, %j) is %s', (a, b, expected) => {
    expect(overlaps(a, b)).toBe(expected);
  });
});

describe('coveredTogether: whether several patterns together match every subject of one', () => {
  it.each([
    [['$JS.API.*', '$JS.API.*.>'], '$JS.API.>', true],
    [['$JS.API.*'], '$JS.API.>', false],
    [['$JS.API.*.>'], '$JS.API.>', false],
    [['a.*', 'a.*.*', 'a.*.*.>'], 'a.>', true],
    [['a.*', 'a.*.*'], 'a.>', false],
    [['a.b', 'a.*.>'], 'a.>', false],
    [['*', '*.>'], '>', true],
    [['a.b.>', 'a.*'], 'a.*', true],
    [['a.b', 'a.c'], 'a.*', false],
    [['a.b.*', 'a.c.*'], 'a.*.*', false],
    [['x.>', 'a.*.b', 'a.*.c'], 'a.x.b', true],
    [['a.*.b', 'a.x.>'], 'a.x.*', true],
    [['a.*.b', 'a.y.>'], 'a.x.*', false],
    [[], 'a', false],
    [['>'], 'a.b', true],
  ])('coveredTogether(%j, %j) is %s', (entries, pattern, expected) => {
    expect(coveredTogether(entries, pattern)).toBe(expected);
  });

  it.each([
    ['a.*', 'a.b', 'a.b'],
    ['a.>', '*.b.c', 'a.b.c'],
    ['*.*', 'a.>', 'a.*'],
    ['a.b', 'a.c', null],
    ['a.b', 'a.b.c', null],
    ['>', '$JS.API.STREAM.DELETE.*', '$JS.API.STREAM.DELETE.*'],
  ])('intersection(%j, %j) is %j', (a, b, expected) => {
    expect(intersection(a, b)).toBe(expected);
  });
});

describe('mayPublishAll and privilegesOf', () => {
  const ADMIN = ['all-subjects', 'jetstream-api', 'system'];

  it('an unrestricted user (no permissions stated) holds every privilege', () => {
    expect(mayPublishAll(null, '>')).toBe(true);
    expect(privilegesOf(null)).toEqual([...ADMIN, 'jetstream-destructive']);
  });

  it('no allow list with nothing denied is every privilege too', () => {
    expect(privilegesOf(perms({ allow: null }, { allow: ['_INBOX.>'] }))).toEqual([...ADMIN, 'jetstream-destructive']);
  });

  it('a deny list takes away what it overlaps, and `>` with it', () => {
    expect(privilegesOf(perms({ allow: null, deny: ['$SYS.>'] }))).toEqual(['jetstream-api', 'jetstream-destructive']);
    expect(privilegesOf(perms({ allow: null, deny: ['$JS.API.STREAM.DELETE.*'] }))).toEqual([
      'system',
      'jetstream-destructive',
    ]);
    expect(privilegesOf(perms({ allow: ['>'], deny: ['$JS.>'] }))).toEqual(['system']);
    expect(privilegesOf(perms({ allow: ['>'], deny: ['a.b'] }))).toEqual([
      'jetstream-api',
      'system',
      'jetstream-destructive',
    ]);
    expect(mayPublishAll(perms({ allow: ['$JS.API.>'], deny: ['$JS.API.STREAM.PURGE.*'] }), '$JS.API.>')).toBe(false);
  });

  it('several allow entries together grant a privilege (rules 2); rules 1 took one entry at a time', () => {
    const split = perms({ allow: ['$JS.API.*', '$JS.API.*.>'] });
    expect(mayPublishAll(split, '$JS.API.>')).toBe(true);
    expect(privilegesOf(split)).toEqual(['jetstream-api', 'jetstream-destructive']);
    expect(mayPublishAll(split, '$JS.API.>', 1)).toBe(false);
    expect(privilegesOf(split, 1)).toEqual([]);
    // `*.>` alone covers `$JS.API.>` and `$SYS.>`; `>` takes `*` with it.
    const two = perms({ allow: ['*', '*.>'] });
    expect(privilegesOf(two)).toEqual(['all-subjects', 'jetstream-api', 'system', 'jetstream-destructive']);
    expect(privilegesOf(two, 1)).toEqual(['jetstream-api', 'system']);
  });

  it('an allow list that together misses part of a pattern grants no privilege for it', () => {
    expect(privilegesOf(perms({ allow: ['$JS.API.>'] }))).toEqual(['jetstream-api', 'jetstream-destructive']);
    expect(privilegesOf(perms({ allow: ['$SYS.>', 'tx.>'] }))).toEqual(['system']);
    // STREAM and CONSUMER are not the whole API (INFO, ACCOUNT, DIRECT, …), but they delete streams.
    expect(privilegesOf(perms({ allow: ['$JS.API.STREAM.>', '$JS.API.CONSUMER.>'] }))).toEqual([
      'jetstream-destructive',
    ]);
    expect(privilegesOf(perms({ allow: ['$JS.API.*'] }))).toEqual([]);
    expect(privilegesOf(perms({ allow: [] }))).toEqual([]);
  });

  it('subscribe permissions never make a privilege', () => {
    expect(privilegesOf(perms({ allow: ['tx.>'] }, { allow: null }))).toEqual([]);
  });
});

describe('privilegesOf: who may delete or alter stream data (jetstream-destructive)', () => {
  const limitsOnly: PrivilegeContext = { routes: [], consumerBound: [] };
  const destructive = (allow: string[] | null, deny: string[] = [], context = limitsOnly) =>
    privilegesOf(perms({ allow, deny }), 2, context).includes('jetstream-destructive');

  it.each([
    '$JS.API.STREAM.DELETE.SYS_EVENTS',
    '$JS.API.STREAM.PURGE.*',
    '$JS.API.STREAM.MSG.DELETE.TRANSACTIONS',
    '$JS.API.STREAM.UPDATE.*',
    '$JS.API.ACCOUNT.PURGE.*',
    '$JS.API.STREAM.*.*',
    '$JS.API.*.DELETE.>',
    '$JS.>',
  ])('an allow entry %j reaches a destructive subject of at least one stream', (entry) => {
    expect(destructive([entry])).toBe(true);
  });

  it.each([
    '$JS.API.STREAM.INFO.*',
    '$JS.API.STREAM.CREATE.*',
    '$JS.API.STREAM.DELETE',
    '$JS.API.STREAM.DELETE.A.B',
    '$JS.API.CONSUMER.DELETE.*.*',
    'tx.>',
  ])('an allow entry %j does not (consumers of limits streams hold no messages)', (entry) => {
    expect(destructive([entry])).toBe(false);
  });

  it('the read-only list holds no privilege where every stream of the account keeps its messages by limits', () => {
    expect(privilegesOf(perms({ allow: [...READ_ONLY_PUBLISH] }), 2, limitsOnly)).toEqual([]);
    expect(privilegesOf(perms({ allow: [...READ_ONLY_PUBLISH] }), 1)).toEqual([]);
  });

  it('deleting a consumer counts on an interest or work-queue stream, and on any when streams are unknown', () => {
    const context = { routes: [], consumerBound: ['ORDERS_WQ'] };
    expect(destructive(['$JS.API.CONSUMER.DELETE.*.*'], [], context)).toBe(true);
    expect(destructive(['$JS.API.CONSUMER.DELETE.ORDERS_WQ.worker'], [], context)).toBe(true);
    expect(destructive(['$JS.API.CONSUMER.DELETE.SYS_EVENTS.*'], [], context)).toBe(false);
    expect(destructive(['$JS.API.CONSUMER.DELETE.*.*'], ['$JS.API.CONSUMER.DELETE.ORDERS_WQ.>'], context)).toBe(false);
    expect(destructive(['$JS.API.CONSUMER.DELETE.*.*'], [], UNKNOWN_ACCOUNT)).toBe(true);
    expect(privilegesOf(perms({ allow: [...READ_ONLY_PUBLISH] }))).toEqual(['jetstream-destructive']);
  });

  it('deny lists take a destructive subject away only when they cover every stream of it, together', () => {
    expect(destructive(['$JS.API.STREAM.>'], ['$JS.API.STREAM.DELETE.*'])).toBe(true);
    expect(
      destructive(
        ['$JS.API.STREAM.>'],
        ['$JS.API.STREAM.DELETE.*', '$JS.API.STREAM.PURGE.*', '$JS.API.STREAM.MSG.>', '$JS.API.STREAM.UPDATE.>'],
      ),
    ).toBe(false);
    // Every stream but one is denied: the one left is enough.
    expect(destructive(['$JS.API.STREAM.DELETE.*'], ['$JS.API.STREAM.DELETE.SYS_EVENTS'])).toBe(true);
    expect(destructive(['$JS.API.STREAM.DELETE.SYS_EVENTS'], ['$JS.API.STREAM.DELETE.*'])).toBe(false);
    expect(destructive(['$JS.API.STREAM.DELETE.*'], ['$JS.API.STREAM.*.*'])).toBe(false);
    expect(destructive(null, ['$JS.API.>'])).toBe(false);
    expect(destructive(null, ['$JS.API.STREAM.>', '$JS.API.ACCOUNT.>'])).toBe(false);
    expect(destructive(null, ['$JS.API.STREAM.>'])).toBe(true);
  });

  it("through an account's mapping or service import, any subject of it that may be published flags the user", () => {
    const account: AccountAccess = {
      account: 'APP',
      isSystem: false,
      jetstream: true,
      exports: [],
      imports: [
        { subject: '$JS.API.>', account: 'OPS', localSubject: 'ops.js.>', type: 'service', automatic: false },
        { subject: '$JS.API.>', account: 'SYS', localSubject: '$JS.API.>', type: 'service', automatic: true },
      ],
      mappings: [
        { from: 'cleanup.*', to: [{ subject: '$JS.API.STREAM.PURGE.{{wildcard(1)}}', weight: 100 }] },
        { from: 'orders.new', to: [{ subject: 'orders.v2.new', weight: 100 }] },
      ],
      revocations: [],
      jetstreamLimits: null,
      jwt: null,
    };
    const routes = routesOf(account);
    expect(routes).toEqual([
      { from: 'cleanup.*', to: '$JS.API.STREAM.PURGE.>' },
      { from: 'orders.new', to: 'orders.v2.new' },
      { from: 'ops.js.>', to: '$JS.API.>' },
    ]);
    const context = { routes, consumerBound: [] };
    expect(destructive(['cleanup.daily'], [], context)).toBe(true);
    expect(destructive(['ops.js.INFO'], [], context)).toBe(true);
    expect(destructive(['orders.>'], [], context)).toBe(false);
    expect(destructive(['cleanup.*'], ['cleanup.>'], context)).toBe(false);
  });
});

describe('beyondReadOnly', () => {
  const readOnly = readOnlyPublish({ incidentPrefix: 'sox.incidents', attestationPrefix: 'sox.attestations' });

  it('the read-only list is the README list with the records appended to, and the alert subject when set', () => {
    expect(readOnly).toEqual([...READ_ONLY_PUBLISH, 'sox.incidents.>', 'sox.attestations.>']);
    expect(
      readOnlyPublish({ incidentPrefix: 'i', attestationPrefix: 'a', alertSubject: 'alerts.sox' }).slice(-3),
    ).toEqual(['i.>', 'a.>', 'alerts.sox']);
  });

  it('an unrestricted user is beyond it with `>`, whatever it denies', () => {
    expect(beyondReadOnly(null, readOnly)).toEqual(['>']);
    expect(beyondReadOnly(perms({ allow: null, deny: ['$SYS.>'] }), readOnly)).toEqual(['>']);
  });

  it('a scoped user within the list is within it, narrower subjects included', () => {
    expect(beyondReadOnly(perms({ allow: [...readOnly] }), readOnly)).toEqual([]);
    expect(
      beyondReadOnly(
        perms({
          allow: ['$JS.API.STREAM.INFO.SYS_EVENTS', 'sox.incidents.abc.opened', '$JS.API.CONSUMER.CREATE.X.Y.Z'],
        }),
        readOnly,
      ),
    ).toEqual([]);
    expect(beyondReadOnly(perms({ allow: [] }), readOnly)).toEqual([]);
  });

  it('takes the list together (rules 2): an entry two list entries cover between them is within it', () => {
    const user = perms({ allow: ['$JS.API.CONSUMER.CREATE.>', '$JS.API.CONSUMER.CREATE.*.*'] });
    expect(beyondReadOnly(user, readOnly)).toEqual([]);
    expect(beyondReadOnly(user, readOnly, 1)).toEqual(['$JS.API.CONSUMER.CREATE.>']);
  });

  it('names what a scoped user may publish beyond it, sorted, wider patterns included', () => {
    expect(
      beyondReadOnly(
        perms({
          allow: ['tx.>', '$JS.API.STREAM.INFO.*', '$JS.API.STREAM.DELETE.*', '$JS.API.STREAM.>', 'sox.>'],
        }),
        readOnly,
      ),
    ).toEqual(['$JS.API.STREAM.>', '$JS.API.STREAM.DELETE.*', 'sox.>', 'tx.>']);
  });
});

describe('normalisedPermissions and permissionsText', () => {
  it('sorts and deduplicates, keeping an absent allow list absent', () => {
    const p = perms({ allow: ['b', 'a', 'b'], deny: ['z', 'y'] }, { allow: null, deny: ['q'] }, { max: 1, ttl: null });
    expect(normalisedPermissions(p)).toEqual({
      publish: { allow: ['a', 'b'], deny: ['y', 'z'] },
      subscribe: { allow: null, deny: ['q'] },
      responses: { max: 1, ttl: null },
    });
    expect(normalisedPermissions(perms({ allow: ['a', 'b'] }))).toEqual(
      normalisedPermissions(perms({ allow: ['b', 'a'] })),
    );
  });

  it('words them for a change', () => {
    expect(permissionsText(null)).toBe('unrestricted');
    expect(permissionsText(perms({ allow: ['a', 'b'], deny: ['c'] }, { allow: ['_INBOX.>'] }))).toBe(
      'publish a, b except c; subscribe _INBOX.>',
    );
    expect(permissionsText(perms({ allow: null, deny: ['$SYS.>'] }, { allow: [] }, { max: 5, ttl: '1s' }))).toBe(
      'publish any except $SYS.>; subscribe none; responses 5',
    );
  });
});
