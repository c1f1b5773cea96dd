import { describe, expect, it } from 'vitest';
import { addMessage } from '../../../functions/analysis/add-event.js';
import { DEFAULT_LIMITS, emptyAggregate } from '../../../functions/analysis/aggregate-state.js';
import {
  decodeSlicePart,
  encodeSlicePart,
  SLICE_PART_SCHEMA,
  type SlicePart,
} from '../../../functions/slices/codec.js';
import { allCapturedMessages, FIXTURE_VERSIONS } from '../../support/fixtures.js';

const SLICE = {
  source: 'audit',
  stream: 'SYS_EVENTS',
  index: 1,
  count: 4,
  from: '2026-11-26T11:00:00.000000000Z',
  to: '2026-11-26T17:00:00.000000000Z',
};

/** A slice's part whose aggregate holds every captured event of a server version: every table filled. */
function partOf(version: (typeof FIXTURE_VERSIONS)[number]): SlicePart {
  const state = emptyAggregate({ ...DEFAULT_LIMITS, maxListed: 7 });
  for (const m of allCapturedMessages(version)) addMessage(state, m, { ownConsumerPrefix: 'sox-report_' });
  return {
    slice: SLICE,
    stream: {
      source: 'audit',
      stream: 'SYS_EVENTS',
      kind: 'system-events',
      firstSeq: 3,
      lastSeq: 40,
      messages: 30,
      gaps: [
        [1, 2],
        [10, 17],
      ],
      missing: 10,
      firstTime: '2026-11-26T11:00:01.000000001Z',
      lastTime: '2026-11-26T16:59:59.999999999Z',
    },
    state,
    evidence: { bytes: 1234, sha256: 'ab'.repeat(32) },
  };
}

describe.each(FIXTURE_VERSIONS)('a slice part of the captured events of nats-server %s', (version) => {
  const part = partOf(version);

  it('comes back from JSON as it was: maps, nanosecond instants and all', () => {
    expect(part.state.users.size).toBeGreaterThan(0);
    expect(part.state.authFailures.total).toBeGreaterThan(0);
    expect(part.state.jetstream.byOperation.size).toBeGreaterThan(0);
    const text = encodeSlicePart(part);
    expect(JSON.parse(text).schema).toBe(SLICE_PART_SCHEMA);
    const back = decodeSlicePart(text, 's3://b/run/part-1.json');
    expect(back).toEqual(part);
    expect(back.state.transactions.first).toBe(part.state.transactions.first);
    expect(typeof back.state.limits.pairWindowNs).toBe('bigint');
    expect(back.state.users).toBeInstanceOf(Map);
    expect(encodeSlicePart(back)).toBe(text);
  });

  it('keeps a field the aggregate gains later, as it was written', () => {
    const grown = { ...part, state: { ...part.state, access: { seen: new Map([['k', 5n]]) } } } as SlicePart;
    expect(decodeSlicePart(encodeSlicePart(grown), 'part')).toEqual(grown);
  });
});

describe('what is not a slice part', () => {
  const text = encodeSlicePart(partOf('2.10.27'));
  const edited = (edit: (json: Record<string, any>) => void) => {
    const json = JSON.parse(text);
    edit(json);
    return JSON.stringify(json);
  };

  it.each([
    ['not JSON', '{"schema":', /^s3:\/\/b\/p\.json: not a slice part \(/],
    ['another version', edited((j) => (j.schema = 'sox-report-slice/v0')), /not a sox-report-slice\/v1 part: schema: /],
    ['a count below zero', edited((j) => (j.state.events = -1)), /: state\.events: /],
    ['an instant that is no bigint', edited((j) => (j.state.transactions.first = 5)), /: state\.transactions\.first: /],
    ['a table that is no map', edited((j) => (j.state.users = [])), /: state\.users: /],
    ['an unknown key', edited((j) => (j.extra = 1)), /: unknown key "extra"/],
    ['a gap that is no range', edited((j) => (j.stream.gaps = [[1]])), /: stream\.gaps\[0\]/],
    ['a digest that is no SHA-256', edited((j) => (j.evidence.sha256 = 'x')), /: evidence\.sha256: /],
  ])('refuses %s, naming where it came from and what is wrong', (_what, bad, message) => {
    expect(() => decodeSlicePart(bad, 's3://b/p.json')).toThrow(/^s3:\/\/b\/p\.json: /);
    expect(() => decodeSlicePart(bad, 's3://b/p.json')).toThrow(message);
  });
});
