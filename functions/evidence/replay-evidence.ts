/**
 * An evidence file read back into what the run's replay produced: the aggregate of its messages, in the order the
 * run read them, and each stream's sequences. Whatever in the file does not hold together (a stream record that
 * does not match its messages, a message of a stream the parameters do not name, sequences out of order) is a
 * problem named with the stream, never silently repaired.
 */
import { addMessage } from '../analysis/add-event.js';
import { emptyAggregate, type AggregateState } from '../analysis/aggregate-state.js';
import { aggregateLimits, parseOptionsOf, type ReportParameters } from '../analysis/parameters.js';
import type { StreamCompleteness } from '../analysis/report-model.js';
import { SequenceTracker } from '../source/sequence-tracker.js';
import { formatInstant } from '../time/nanos.js';
import type { EvidenceHeader } from './format.js';
import { rawMessageOf, readEvidence } from './reader.js';

export interface ReplayedEvidence {
  header: EvidenceHeader | null;
  state: AggregateState;
  streams: StreamCompleteness[];
  messages: number;
  problems: string[];
}

/** A stream whose messages are being read, tracked as the run's replay tracked them. */
interface OpenStream {
  source: string;
  stream: string;
  kind: StreamCompleteness['kind'];
  account?: string;
  /** Its jumps between consecutive messages must each be a gap the stream record lists. */
  tracker: SequenceTracker;
}

export async function replayEvidence(
  gzipped: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  parameters: ReportParameters,
): Promise<ReplayedEvidence> {
  const state = emptyAggregate(aggregateLimits(parameters));
  const parseOptions = parseOptionsOf(parameters);
  const streams: StreamCompleteness[] = [];
  const problems: string[] = [];
  let header: EvidenceHeader | null = null;
  let open: OpenStream | null = null;
  let messages = 0;
  let line = 0;
  const known = (source: string, stream: string) =>
    parameters.streams.find((s) => s.source === source && s.stream === stream);

  for await (const record of readEvidence(gzipped)) {
    line += 1;
    if (line === 1) {
      if (record.type !== 'evidence') throw new Error('the evidence file does not start with its header line');
      header = record;
      continue;
    }
    if (record.type === 'evidence') throw new Error(`line ${line}: a second header line`);
    if (record.type === 'message') {
      if (!open || open.source !== record.source || open.stream !== record.stream) {
        if (open)
          throw new Error(
            `line ${line}: a message of ${record.source}/${record.stream} before the record that ends ` +
              `${open.source}/${open.stream}`,
          );
        const ref = known(record.source, record.stream);
        if (!ref)
          throw new Error(
            `line ${line}: a message of ${record.source}/${record.stream}, which the report's parameters do not name`,
          );
        open = {
          source: record.source,
          stream: record.stream,
          kind: ref.kind,
          ...(ref.account ? { account: ref.account } : {}),
          tracker: new SequenceTracker(),
        };
      }
      const raw = rawMessageOf(record, open);
      // The run's replay skips a sequence it saw before (a redelivery); in a file it can only be an edit.
      if (!open.tracker.accept(raw.seq, raw.ts)) {
        throw new Error(`line ${line}: ${record.stream} seq ${record.seq} after seq ${open.tracker.lastSeq}`);
      }
      messages += 1;
      addMessage(state, raw, parseOptions);
      continue;
    }
    // A stream record ends the stream's messages (none, for a stream without any in the period).
    const ref = known(record.source, record.stream);
    if (!ref)
      throw new Error(
        `line ${line}: a record of ${record.source}/${record.stream}, which the report's parameters do not name`,
      );
    const seen = open?.tracker ?? new SequenceTracker();
    if (open && (open.source !== record.source || open.stream !== record.stream)) {
      throw new Error(
        `line ${line}: the record of ${record.source}/${record.stream} ends the messages of ` +
          `${open.source}/${open.stream}`,
      );
    }
    const where = `${record.source}/${record.stream}`;
    if (record.kind !== ref.kind)
      problems.push(`evidence ${where}: recorded as kind ${record.kind}, the parameters say ${ref.kind}`);
    if (record.messages !== seen.messages)
      problems.push(
        `evidence ${where}: the stream record says ${record.messages} messages, the file holds ${seen.messages}`,
      );
    if (record.firstSeq !== seen.firstSeq || record.lastSeq !== seen.lastSeq) {
      problems.push(
        `evidence ${where}: the stream record says seq ${record.firstSeq}-${record.lastSeq}, ` +
          `the messages run ${seen.firstSeq}-${seen.lastSeq}`,
      );
    }
    for (const [a, b] of seen.gaps) {
      if (!record.gaps.some(([x, y]) => x === a && y === b))
        problems.push(
          `evidence ${where}: seq ${a}-${b} are missing between messages, but the stream record does not list that gap`,
        );
    }
    streams.push({
      source: record.source,
      stream: record.stream,
      kind: record.kind,
      ...(record.account ? { account: record.account } : {}),
      firstSeq: record.firstSeq,
      lastSeq: record.lastSeq,
      messages: record.messages,
      gaps: record.gaps,
      missing: record.gaps.reduce((n, [a, b]) => n + (b - a + 1), 0),
      firstTime: seen.firstTs === null ? null : formatInstant(seen.firstTs),
      lastTime: seen.lastTs === null ? null : formatInstant(seen.lastTs),
    });
    open = null;
  }
  if (header === null) throw new Error('the evidence file is empty');
  if (open)
    problems.push(
      `evidence ${open.source}/${open.stream}: the file ends before the record that ends its messages (cut short?)`,
    );
  return { header, state, streams, messages, problems };
}
