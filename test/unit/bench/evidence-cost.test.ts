import { describe, expect, it } from 'vitest';
import { evidenceCost, evidenceRatioCeiling, PackedMessages } from '../../../bench/evidence-cost.js';
import type { RawMessage } from '../../../functions/events/types.js';

const message = (stream: string, seq: number, data: string): RawMessage => ({
  stream,
  kind: 'system-events',
  seq,
  subject: `$SYS.ACCOUNT.A.CONNECT`,
  ts: 1_764_900_000_000_000_000n + BigInt(seq),
  data: Buffer.from(data),
});

describe('evidence cost (bench)', () => {
  it('packs a read per stream and writes every message once, as the production encoder does', () => {
    const packed = new PackedMessages();
    packed.add(message('SYS_EVENTS', 1, '{"a":1}'));
    packed.add(message('SYS_EVENTS', 2, '{"a":"\u202e"}'));
    packed.add(message('AUDIT_JS_ADVISORIES', 7, '{"b":2}'));
    let clock = 0;
    const cost = evidenceCost(packed, () => (clock += 0.001), 1)!;
    expect(packed.batches.map((b) => b.stream)).toEqual(['SYS_EVENTS', 'AUDIT_JS_ADVISORIES']);
    expect(cost.messages).toBe(3);
    // The fake clock ticks 1 ms a reading: one reading before and one after the pass.
    expect(cost.cpuUsPerMsg).toBeCloseTo(1000 / 3, 6);
    const line = (stream: string, seq: number, data: string) =>
      `{"type":"message","source":"bench","stream":"${stream}","seq":${seq},` +
      `"time":"2025-12-05T02:00:00.00000000${seq}Z","subject":"$SYS.ACCOUNT.A.CONNECT","data":${data}}\n`;
    const expected =
      line('SYS_EVENTS', 1, '"{\\"a\\":1}"') +
      line('SYS_EVENTS', 2, '"{\\"a\\":\\"\u202e\\"}"') +
      line('AUDIT_JS_ADVISORIES', 7, '"{\\"b\\":2}"');
    expect(cost.linesBytes).toBe(Buffer.byteLength(expected));
    expect(cost.gzipBytes).toBeGreaterThan(0);
  });

  it('gives no figures where the thread has no CPU clock', () => {
    const packed = new PackedMessages();
    packed.add(message('SYS_EVENTS', 1, '{}'));
    expect(evidenceCost(packed, () => null)).toBeNull();
  });

  it('bounds evidenceRatio by the cores: cores / (pipeline + evidence CPU) over the pipeline throughput', () => {
    // 2 cores, 14 µs of pipeline and 4 µs of evidence a message: at most 111,111 msg/s with evidence.
    expect(
      evidenceRatioCeiling({ pipelineMsgsPerSec: 125_000, pipelineCpuUsPerMsg: 14, evidenceCpuUsPerMsg: 4, cores: 2 }),
    ).toBeCloseTo(111_111.111 / 125_000, 5);
    // A pipeline that leaves cores idle: the evidence can be free, never better than free.
    expect(
      evidenceRatioCeiling({ pipelineMsgsPerSec: 50_000, pipelineCpuUsPerMsg: 14, evidenceCpuUsPerMsg: 4, cores: 8 }),
    ).toBe(1);
  });
});
