import { describe, expect, it } from 'vitest';
import type { Permissions } from '../../../functions/access/model.js';
import {
  READ_ONLY_PUBLISH,
  beyondReadOnly,
  covers,
  mayPublishAll,
  normalisedPermissions,
  overlaps,
  permissionsText,
  privilegesOf,
  readOnlyPublish,
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

describe('mayPublishAll and privilegesOf', () => {
  it('an unrestricted user (no permissions stated) holds every privilege', () => {
    expect(mayPublishAll(null, '>')).toBe(true);
    expect(privilegesOf(null)).toEqual(['all-subjects', 'jetstream-api', 'system']);
  });

  it('no allow list with nothing denied is every privilege too', () => {
    expect(privilegesOf(perms({ allow: null }, { allow: ['_INBOX.>'] }))).toEqual([
      'all-subjects',
      'jetstream-api',
      'system',
    ]);
  });

  it('a deny list takes away what it overlaps, and `>` with it', () => {
    expect(privilegesOf(perms({ allow: null, deny: ['$SYS.>'] }))).toEqual(['jetstream-api']);
    expect(privilegesOf(perms({ allow: null, deny: ['$JS.API.STREAM.DELETE.*'] }))).toEqual(['system']);
    expect(privilegesOf(perms({ allow: ['>'], deny: ['$JS.>'] }))).toEqual(['system']);
    expect(privilegesOf(perms({ allow: ['>'], deny: ['a.b'] }))).toEqual(['jetstream-api', 'system']);
    expect(mayPublishAll(perms({ allow: ['$JS.API.>'], deny: ['$JS.API.STREAM.PURGE.*'] }), '$JS.API.>')).toBe(false);
  });

  it('an allow list grants a privilege only when one entry covers all of it', () => {
    expect(privilegesOf(perms({ allow: ['$JS.API.>'] }))).toEqual(['jetstream-api']);
    expect(privilegesOf(perms({ allow: ['$SYS.>', 'tx.>'] }))).toEqual(['system']);
    expect(privilegesOf(perms({ allow: ['$JS.API.STREAM.>', '$JS.API.CONSUMER.>'] }))).toEqual([]);
    expect(privilegesOf(perms({ allow: ['$JS.API.*'] }))).toEqual([]);
    expect(privilegesOf(perms({ allow: [] }))).toEqual([]);
    expect(privilegesOf(perms({ allow: [...READ_ONLY_PUBLISH] }))).toEqual([]);
  });

  it('subscribe permissions never make a privilege', () => {
    expect(privilegesOf(perms({ allow: ['tx.>'] }, { allow: null }))).toEqual([]);
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
