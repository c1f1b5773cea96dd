import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { StreamKind } from '../../functions/config/schema.js';
import type { RawMessage } from '../../functions/events/types.js';

export const FIXTURE_VERSIONS = ['2.9.10', '2.10.27'] as const;
export type FixtureVersion = (typeof FIXTURE_VERSIONS)[number];

const KINDS: Record<string, { kind: StreamKind; account?: string }> = {
  SYS_EVENTS: { kind: 'system-events' },
  APP_JS_ADVISORIES: { kind: 'advisories', account: 'APP' },
  AUDIT_JS_ADVISORIES: { kind: 'advisories', account: 'AUDIT' },
  TRANSACTIONS: { kind: 'transactions' },
};

const encoder = new TextEncoder();

/** The events nats-server really published (../shared/nats-events), as the replay hands them over. */
export function capturedMessages(version: FixtureVersion, stream: keyof typeof KINDS): RawMessage[] {
  const file = fileURLToPath(new URL(`../fixtures/nats-events/${version}/${stream}.jsonl`, import.meta.url));
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      // The captured `ts` went through a JS number; the digits that matter here survive.
      const { seq, ts, subject, data } = JSON.parse(line) as {
        seq: number;
        ts: number;
        subject: string;
        data: unknown;
      };
      return { stream, ...KINDS[stream]!, seq, subject, ts: BigInt(ts), data: encoder.encode(JSON.stringify(data)) };
    });
}

export function allCapturedMessages(version: FixtureVersion): RawMessage[] {
  return Object.keys(KINDS).flatMap((s) => capturedMessages(version, s));
}
