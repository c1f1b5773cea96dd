/**
 * Turns the evidence records of one run into the bytes of `evidence.jsonl.gz`, as gzip members (a .gz file may
 * hold several one after another; gunzip, zcat and every gzip reader read them as one stream). The messages of
 * each batch (batch.ts) become members of about WRITE_BYTES of lines, the batch's last member ending with it; the
 * header and each stream's closing line are members of their own. So where a member ends depends only on the
 * messages and how the reading thread packed them, never on which thread or how many built them: the bytes are
 * the same on one core or many. Compressing a block at once, on the thread that built it, costs far less than
 * streaming each write through zlib's machinery.
 */
import { gzipSync } from 'node:zlib';
import { headerLine, MessageLineEncoder, streamLine, type EvidenceHeader, type EvidenceStream } from './format.js';
import type { MessageVisitor } from './batch.js';
import { LineBuffer } from './line-buffer.js';

/**
 * Level 1: a day's evidence is mostly JSON that compresses ~9:1 even so, and the higher levels cost twice the
 * CPU on a machine whose other core reads the streams. Fixed, because the bytes must not depend on the machine.
 */
export const EVIDENCE_GZIP_LEVEL = 1;
/** A batch's lines are compressed in blocks of at least this many bytes (its last one may be smaller). */
export const WRITE_BYTES = 256 * 1024;

function member(lines: Uint8Array): Buffer {
  return gzipSync(lines, { level: EVIDENCE_GZIP_LEVEL });
}

export function headerMember(header: Omit<EvidenceHeader, 'type' | 'schema'>): Buffer {
  return member(Buffer.from(headerLine(header)));
}

export function streamMember(record: Omit<EvidenceStream, 'type'>): Buffer {
  return member(Buffer.from(streamLine(record)));
}

/** Builds the message lines of batches, one batch at a time, into gzip members. */
export class MessageLines {
  private readonly out = new LineBuffer(WRITE_BYTES * 2);
  private encoder: MessageLineEncoder | null = null;
  private source = '';
  private stream = '';
  private members: Buffer[] = [];

  /** The source and stream of the messages that follow. */
  of(source: string, stream: string): void {
    if (this.encoder && source === this.source && stream === this.stream) return;
    this.encoder = new MessageLineEncoder(source, stream);
    this.source = source;
    this.stream = stream;
  }

  /** One message's line, as batch.ts's visitor sees the message. */
  readonly line: MessageVisitor = (
    seq,
    ts,
    subject,
    subjectStart,
    subjectEnd,
    headersJson,
    data,
    dataStart,
    dataEnd,
  ) => {
    if (!this.encoder) throw new Error('evidence: a message before its stream');
    this.encoder.line(this.out, seq, ts, subject, subjectStart, subjectEnd, headersJson, data, dataStart, dataEnd);
    if (this.out.length >= WRITE_BYTES) this.flush();
  };

  /** The members of the lines built since the last call: the batch is complete. */
  take(): Buffer[] {
    this.flush();
    const members = this.members;
    this.members = [];
    return members;
  }

  private flush(): void {
    if (this.out.length === 0) return;
    this.members.push(member(this.out.view()));
    this.out.clear();
  }
}
