import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  isApiAuditShape,
  isApiResponseShape,
  isConnectShape,
  isDisconnectShape,
} from '../../../functions/events/shape-guards.js';
import {
  apiAuditSchema,
  apiResponseSchema,
  connectSchema,
  disconnectSchema,
  TYPES,
} from '../../../functions/events/schemas.js';
import { allCapturedMessages, FIXTURE_VERSIONS } from '../../support/fixtures.js';

type Json = Record<string, unknown>;

const PAIRS: [string, (v: unknown) => boolean, z.ZodType][] = [
  ['connect', isConnectShape, connectSchema],
  ['disconnect', isDisconnectShape, disconnectSchema],
  ['api audit', isApiAuditShape, apiAuditSchema],
  ['api response', isApiResponseShape, apiResponseSchema],
];

const decoder = new TextDecoder();
const captured: Json[] = FIXTURE_VERSIONS.flatMap((v) => allCapturedMessages(v)).map(
  (m) => JSON.parse(decoder.decode(m.data)) as Json,
);
const responses: Json[] = captured
  .filter((e) => e.type === TYPES.apiAudit && typeof e.response === 'string' && e.response !== '')
  .map((e) => JSON.parse(e.response as string) as Json);

const ODD_VALUES: unknown[] = [undefined, null, 0, 1.5, '', 'x', 'y'.repeat(65_537), [], ['a'], {}, true];

/** Every payload with one key (at any depth) removed or replaced by an odd value. */
function* mutations(value: unknown, path: string[] = []): Generator<[string, unknown]> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  for (const key of Object.keys(value)) {
    const where = [...path, key].join('.');
    for (const odd of ODD_VALUES) yield [`${where} = ${JSON.stringify(odd)?.slice(0, 20)}`, { ...value, [key]: odd }];
    const { [key]: _dropped, ...rest } = value as Json;
    yield [`${where} removed`, rest];
    for (const [inner, changed] of mutations((value as Json)[key], [...path, key]))
      yield [inner, { ...value, [key]: changed }];
  }
}

describe('the fast shape checks agree with the zod schemas', () => {
  for (const [name, guard, schema] of PAIRS) {
    it(`${name}: same verdict on every captured payload and on every one-key mutation of it`, () => {
      const samples = name === 'api response' ? [...responses, {}, { error: { code: 400 } }] : captured;
      let accepted = 0;
      let checked = 0;
      for (const sample of samples) {
        const cases: [string, unknown][] = [['as captured', sample], ...mutations(sample)];
        for (const [label, value] of cases) {
          checked += 1;
          const expected = schema.safeParse(value).success;
          if (guard(value) !== expected) throw new Error(`${name}: ${label}: zod says ${expected}`);
          if (expected) accepted += 1;
        }
      }
      expect(checked).toBeGreaterThan(100);
      expect(accepted).toBeGreaterThan(0);
      expect(accepted).toBeLessThan(checked);
    });
  }

  it('rejects what is not an object at all', () => {
    for (const [, guard, schema] of PAIRS) {
      for (const v of [null, 'text', 42, [], [{}]])
        expect([guard(v), schema.safeParse(v).success]).toEqual([false, false]);
    }
  });
});
