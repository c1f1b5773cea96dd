/**
 * The streams the product keeps records in (the incident record, the attestations): append-only, tamper-resistant,
 * never expiring. Each one is created when missing and otherwise only judged, the same way, in the same words.
 */
import { JetStreamApiCodes, type JetStreamManager, type StreamConfig as JsStreamConfig } from '@nats-io/jetstream';
import { RunError, errorMessage } from '../errors.js';
import { isJetStreamApiError } from './api-error.js';
import { planStream, type CaptureStreamSpec, type ExistingStreamConfig, type StreamPlan } from './stream-spec.js';

export interface RecordStreamResult {
  plan: StreamPlan;
  created: boolean;
}

/**
 * planStream's tamper checks, plus the one it leaves to retention settings: any max_age loses records. `lost` says
 * what would be lost, as the finding words it ("incidents would expire from the record").
 */
export function planRecordStream(
  spec: CaptureStreamSpec,
  existing: ExistingStreamConfig | null,
  lost: string,
): StreamPlan {
  const plan = planStream(spec, existing);
  if (existing === null || (existing.max_age ?? 0) <= 0) return plan;
  const finding = `max_age is ${Math.round(existing.max_age! / 86_400e9)} days (${lost})`;
  return { action: 'drift', spec, findings: [...(plan.action === 'drift' ? plan.findings : []), finding] };
}

/** Creates the stream when it is missing; an existing one is never changed, only judged. `what` names it. */
export async function ensureRecordStream<Spec extends CaptureStreamSpec>(
  jsm: JetStreamManager,
  what: string,
  spec: Spec,
  plan: (spec: Spec, existing: ExistingStreamConfig | null) => StreamPlan,
  dryRun = false,
): Promise<RecordStreamResult> {
  let existing: ExistingStreamConfig | null = null;
  try {
    existing = (await jsm.streams.info(spec.name)).config as ExistingStreamConfig;
  } catch (err) {
    if (!isJetStreamApiError(err, JetStreamApiCodes.StreamNotFound))
      throw new RunError(`cannot read ${what} ${spec.name}: ${errorMessage(err)}`, { cause: err });
  }
  const planned = plan(spec, existing);
  if (planned.action !== 'create' || dryRun) return { plan: planned, created: false };
  const { min_age: _minAge, ...settings } = spec;
  try {
    await jsm.streams.add(settings as Partial<JsStreamConfig> as JsStreamConfig);
  } catch (err) {
    throw new RunError(`cannot create ${what} ${spec.name}: ${errorMessage(err)}`, { cause: err });
  }
  return { plan: planned, created: true };
}

export function describeRecordStreamPlan(what: string, { plan, created }: RecordStreamResult): string {
  const name = plan.spec.name;
  switch (plan.action) {
    case 'create':
      return (
        `${created ? 'created' : 'would create'} ${what} ${name}: ` +
        `subjects ${plan.spec.subjects.join(' ')}; file storage, deny_delete, deny_purge, no roll-ups, ` +
        'discard old, no max_age'
      );
    case 'ok':
      return `ok ${what} ${name}: already tamper-resistant`;
    case 'drift':
      return `DRIFT ${what} ${name}: ${plan.findings.join('; ')} (left unchanged: fix it deliberately)`;
    case 'absent':
      return `MISSING ${what} ${name}`;
  }
}
