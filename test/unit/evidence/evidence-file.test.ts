import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RawMessage } from '../../../functions/events/types.js';
import { DEFAULT_LIMITS } from '../../../functions/analysis/aggregate-state.js';
import { startIngest } from '../../../functions/ingest/ingest.js';
import { EvidenceFormatError } from '../../../functions/errors.js';
import { payloadBytes, readEvidence } from '../../../functions/evidence/reader.js';
import type { EvidenceMessage, EvidenceRecord } from '../../../functions/evidence/format.js';

const header = {
  bundle: 'daily/2026/11/24',
  period: {
    from: '2026-11-24T05:00:00.000000000Z',
    to: '2026-11-25T05:00:00.000000000Z',
    timezone: 'America/New_York',
    kind: 'daily',
    date: '2026-11-24',
  },
};
const enc = new TextEncoder();

function message(seq: number, data: Uint8Array | string, extra: Partial<RawMessage> = {}): RawMessage {
  return {
    stream: 'SYS_EVENTS',
    kind: 'system-events',
    seq,
    subject: '$SYS.ACCOUNT.APP.CONNECT',
    ts: 1795746764422612700n + BigInt(seq),
    data: typeof data === 'string' ? enc.encode(data) : data,
    headers: undefined,
    ...extra,
  };
}

/** Records the messages and returns the file's bytes and what the recorder said of them. */
async function record(messages: RawMessage[], workers: number) {
  const chunks: Uint8Array[] = [];
  const recorder = startIngest({
    limits: DEFAULT_LIMITS,
    parse: { ownConsumerPrefix: 'sox_' },
    evidence: { header, sink: { write: async (c) => void chunks.push(c) } },
    workers,
  });
  recorder.startStream({ source: 'audit', stream: 'SYS_EVENTS', kind: 'system-events' });
  for (const m of messages) await recorder.message(m);
  recorder.endStream({
    source: 'audit',
    stream: 'SYS_EVENTS',
    kind: 'system-events',
    firstSeq: 1,
    lastSeq: messages.length + 2,
    messages: messages.length,
    gaps: [[messages.length + 1, messages.length + 2]],
  });
  await recorder.finish();
  const bytes = Buffer.concat(chunks);
  return { bytes, digest: createHash('sha256').update(bytes).digest('hex') };
}

async function records(bytes: Uint8Array): Promise<EvidenceRecord[]> {
  const out: EvidenceRecord[] = [];
  for await (const r of readEvidence([bytes])) out.push(r);
  return out;
}

const tricky = [
  message(1, '{"type":"io.nats.server.advisory.v1.client_connect","client":{"user":"al\\"ice"}}'),
  message(2, new Uint8Array([0xff, 0xfe, 0x00, 0x41])), // not UTF-8
  message(3, new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d])), // a byte-order mark, then {}
  message(4, '\u202enimda \u0000 line\nbreak', {
    headers: { 'Nats-Msg-Id': ['x-1'], Multi: ['a', 'b'] },
    subject: 'tx.ünïcode',
  }),
  message(5, ''),
];

describe('the evidence file', () => {
  it('keeps every message with its exact bytes, stored time to the nanosecond, subject and headers', async () => {
    const { bytes } = await record(tricky, 0);
    const read = await records(bytes);
    expect(read[0]).toEqual({ type: 'evidence', schema: 'sox-report-evidence/v1', ...header });
    const messages = read.filter((r): r is EvidenceMessage => r.type === 'message');
    expect(messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    for (const [i, m] of messages.entries()) expect(Buffer.from(payloadBytes(m))).toEqual(Buffer.from(tricky[i]!.data));
    expect(messages[1]!.data_base64).toBe('//4AQQ==');
    expect(messages[1]!.data).toBeUndefined();
    expect(messages[2]!.data).toBe('\ufeff{}');
    expect(messages[3]).toMatchObject({
      subject: 'tx.ünïcode',
      headers: { 'Nats-Msg-Id': ['x-1'], Multi: ['a', 'b'] },
      time: '2026-11-27T02:32:44.422612704Z',
    });
    expect(messages[0]!.headers).toBeUndefined();
    expect(read.at(-1)).toEqual({
      type: 'stream',
      source: 'audit',
      stream: 'SYS_EVENTS',
      kind: 'system-events',
      firstSeq: 1,
      lastSeq: 7,
      messages: 5,
      gaps: [[6, 7]],
    });
  });

  it('is the same file, byte for byte, whether worker threads or the reading thread build it', async () => {
    const many = Array.from({ length: 3000 }, (_, i) => message(i + 1, `{"n":${i},"pad":"${'x'.repeat(i % 700)}"}`));
    const all = [...tricky, ...many.map((m) => ({ ...m, seq: m.seq + 5 }))];
    const inline = await record(all, 0);
    const worker = await record(all, 1);
    const workers = await record(all, 3);
    expect(worker.digest).toEqual(inline.digest);
    expect(workers.digest).toEqual(inline.digest);
    expect(Buffer.compare(worker.bytes, inline.bytes)).toBe(0);
    expect((await records(worker.bytes)).length).toBe(1 + 3005 + 1);
  });

  it('is an empty list of messages for an empty period, still with its header', async () => {
    const { bytes } = await record([], 0);
    expect((await records(bytes)).map((r) => r.type)).toEqual(['evidence', 'stream']);
  });

  it('refuses a hostile file line by line, naming the line', async () => {
    const file = (text: string) => gzipSync(Buffer.from(text));
    const good =
      '{"type":"evidence","schema":"sox-report-evidence/v1","bundle":"b",' +
      '"period":{"from":"2026-11-24T00:00:00Z","to":"2026-11-25T00:00:00Z","timezone":"UTC","kind":"daily"}}\n';
    await expect(records(file(`${good}not json\n`))).rejects.toThrow(/^line 2: not a JSON object/);
    await expect(
      records(
        file(
          `${good}{"type":"message","source":"a","stream":"S","seq":1,"time":"2026-11-24T00:00:00Z","subject":"x"}\n`,
        ),
      ),
    ).rejects.toThrow(/line 2: message record: .*exactly one of data and data_base64/);
    await expect(
      records(
        file(`${good}{"type":"message","source":"a","stream":"S","seq":-1,"time":"x","subject":"x","data":""}\n`),
      ),
    ).rejects.toThrow(/line 2: message record: seq/);
    await expect(records(file(`${good}{"type":"shell"}\n`))).rejects.toThrow(EvidenceFormatError);
    await expect(records(file(good.slice(0, -1)))).rejects.toThrow(/ends without a newline/);
    await expect(records(Buffer.from('not gzip at all'))).rejects.toThrow(/header/i);
  });
});
