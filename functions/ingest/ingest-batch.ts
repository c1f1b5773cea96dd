/**
 * What becomes of one packed batch of messages (evidence/batch.ts), on whichever thread takes it: each message's
 * evidence line first, then the message parsed and added to the aggregate, so nothing is counted that is not kept.
 * The worker and the reading thread run this same function, so both give the same file and the same figures.
 */
import { addMessage } from '../analysis/add-event.js';
import type { AggregateState } from '../analysis/aggregate-state.js';
import type { StreamKind } from '../config/schema.js';
import { forEachPacked } from '../evidence/batch.js';
import type { MessageLines } from '../evidence/encoder.js';
import type { ParseOptions } from '../events/parse.js';

/** The stream a batch's messages come from: every message of a batch is of one stream. */
export interface StreamContext {
  source: string;
  stream: string;
  kind: StreamKind;
  account?: string;
}

export function ingestBatch(
  buffer: ArrayBuffer,
  length: number,
  context: StreamContext,
  state: AggregateState,
  parse: ParseOptions,
  lines: MessageLines | null,
): void {
  const { stream, kind, account } = context;
  lines?.of(context.source, stream);
  forEachPacked(buffer, length, (seq, ts, subject, subjectStart, subjectEnd, headersJson, data, dataStart, dataEnd) => {
    lines?.line(seq, ts, subject, subjectStart, subjectEnd, headersJson, data, dataStart, dataEnd);
    addMessage(
      state,
      {
        stream,
        kind,
        account,
        seq,
        subject: subject.toString('utf8', subjectStart, subjectEnd),
        ts,
        data: data.subarray(dataStart, dataEnd),
        headers: headersJson === null ? undefined : (JSON.parse(headersJson) as Record<string, string[]>),
      },
      parse,
    );
  });
}
