/**
 * The attestation record on NATS: an append-only JetStream stream (deny_delete, deny_purge, no max_age) in the account
 * of the review source. Several attestations may name one bundle; none is ever replaced. This adapter only stores
 * and reads them; what they mean for a report is analysis/reviews.ts's business.
 */
import { DeliverPolicy, JetStreamApiCodes, jetstream, type JetStreamManager } from '@nats-io/jetstream';
import { nuid, type NatsConnection } from '@nats-io/transport-node';
import type { Config, SourceConfig } from '../config/schema.js';
import { RunError, errorMessage } from '../errors.js';
import { isJetStreamApiError } from '../source/api-error.js';
import { natsStep, openJetStream } from '../source/nats-steps.js';
import {
  TAMPER_RESISTANT,
  type CaptureStreamSpec,
  type ExistingStreamConfig,
  type StreamPlan,
} from '../source/stream-spec.js';
import {
  describeRecordStreamPlan,
  ensureRecordStream,
  planRecordStream,
  type RecordStreamResult,
} from '../source/record-stream.js';
import { decodeAttestation } from './codec.js';
import type { Attestation } from './model.js';

/** The source whose account holds the attestation stream: `review.source`, else the first (audit) source. */
export function reviewSource(config: Config): SourceConfig {
  return config.sources.find((s) => s.name === config.review.source) ?? config.sources[0]!;
}

export function attestationStreamSpec(config: Config): CaptureStreamSpec {
  return {
    name: config.review.stream,
    subjects: [`${config.review.subjectPrefix}.>`],
    ...TAMPER_RESISTANT,
    // Sign-offs are evidence for as long as the bundles they attest: they never expire.
    max_age: 0,
    min_age: 0,
    num_replicas: 1,
    no_ack: false,
  };
}

/** The subject an attestation of `bundle` is published on: `<prefix>.daily`, `<prefix>.adhoc` or `<prefix>.rollup`. */
export function attestationSubject(config: Config, bundle: string): string {
  return `${config.review.subjectPrefix}.${bundle.split('/')[0]}`;
}

/** planStream's tamper checks, plus the one it leaves to retention settings: any max_age loses sign-offs. */
export function planAttestationStream(spec: CaptureStreamSpec, existing: ExistingStreamConfig | null): StreamPlan {
  return planRecordStream(spec, existing, 'attestations would expire');
}

export type AttestationStreamResult = RecordStreamResult;

/** Creates the attestation stream when it is missing; an existing one is never changed, only judged. */
export async function ensureAttestationStream(
  jsm: JetStreamManager,
  config: Config,
  options: { dryRun?: boolean } = {},
): Promise<AttestationStreamResult> {
  const spec = attestationStreamSpec(config);
  return ensureRecordStream(jsm, 'attestation stream', spec, planAttestationStream, options.dryRun);
}

export function describeAttestationStreamPlan(result: AttestationStreamResult): string {
  return describeRecordStreamPlan('attestation stream', result);
}

/**
 * Appends one attestation. One message id for every attempt of this call: an attempt that got no answer but was
 * stored is not stored twice when the next attempt repeats it.
 */
export async function appendAttestation(nc: NatsConnection, config: Config, attestation: Attestation): Promise<number> {
  const js = jetstream(nc);
  const stream = config.review.stream;
  const msgID = nuid.next();
  try {
    const ack = await natsStep(nc, `recording the attestation of ${attestation.bundle} in ${stream}`, () =>
      js.publish(attestationSubject(config, attestation.bundle), JSON.stringify(attestation), {
        msgID,
        expect: { streamName: stream },
      }),
    );
    return ack.seq;
  } catch (err) {
    if (isJetStreamApiError(err, JetStreamApiCodes.StreamNotFound) || /no responders/i.test(errorMessage(err)))
      throw new RunError(`attestation stream ${stream} does not exist: run "sox-report provision" first`);
    throw new RunError(`cannot record the attestation in stream ${stream}: ${errorMessage(err)}`, { cause: err });
  }
}

export interface StoredAttestation {
  seq: number;
  attestation: Attestation;
}

export interface AttestationRecord {
  attestations: StoredAttestation[];
  /** Messages that are no attestation, and sequences missing from the record: in an append-only record, findings. */
  anomalies: { seq: number; problem: string }[];
}

/** Every attestation of the record in the order it was stored, or null when the stream does not exist. */
export async function readAttestations(
  nc: NatsConnection,
  config: Config,
  options: { consumerPrefix?: string } = {},
): Promise<AttestationRecord | null> {
  const stream = config.review.stream;
  const jsm = await openJetStream(nc);
  let state: { last_seq: number; messages: number };
  try {
    state = (await natsStep(nc, `reading stream info of ${stream}`, () => jsm.streams.info(stream))).state;
  } catch (err) {
    if (isJetStreamApiError(err, JetStreamApiCodes.StreamNotFound)) return null;
    throw new RunError(`cannot read attestation stream ${stream}: ${errorMessage(err)}`, { cause: err });
  }
  const record: AttestationRecord = { attestations: [], anomalies: [] };
  const gap = (from: number, to: number) =>
    record.anomalies.push({
      seq: from,
      problem: `messages ${from === to ? from : `${from}-${to}`} of the attestation record are missing`,
    });
  let next = 1;
  if (state.messages > 0) {
    try {
      const consumer = await jetstream(nc).consumers.get(stream, {
        name_prefix: `${options.consumerPrefix ?? config.report.consumerPrefix}_attestations_${nuid.next()}`,
        deliver_policy: DeliverPolicy.All,
      });
      reading: for (;;) {
        let received = 0;
        for await (const m of await consumer.fetch({ max_messages: 256, expires: 2_000 })) {
          received++;
          if (m.seq > next) gap(next, m.seq - 1);
          next = m.seq + 1;
          const decoded = decodeAttestation(m.seq, m.data);
          if ('problem' in decoded) record.anomalies.push(decoded);
          else record.attestations.push(decoded);
          if (m.seq >= state.last_seq) break reading;
        }
        if (received === 0) break;
      }
    } catch (err) {
      throw new RunError(`cannot read attestation stream ${stream}: ${errorMessage(err)}`, { cause: err });
    }
  }
  if (next <= state.last_seq) gap(next, state.last_seq);
  return record;
}
