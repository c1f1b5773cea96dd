import { JetStreamApiCodes, jetstreamManager, type StreamConfig as JsStreamConfig } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Config, SourceConfig } from '../config/schema.js';
import { RunError, errorMessage } from '../errors.js';
import { ownIdentity } from './own-identity.js';
import { isJetStreamApiError } from './api-error.js';
import { captureSpec, planStream, type ExistingStreamConfig, type StreamPlan } from './stream-spec.js';

export interface ProvisionResult {
  source: string;
  plan: StreamPlan;
  created: boolean;
}

/** The account the connection's user is in, as the server vouches for it (own-identity.ts); null if it won't say. */
export async function readingAccount(nc: NatsConnection): Promise<string | null> {
  return (await ownIdentity(nc, { names: false }))?.account ?? null;
}

export async function provisionSource(
  config: Config,
  source: SourceConfig,
  nc: NatsConnection,
  dryRun: boolean,
): Promise<ProvisionResult[]> {
  const jsm = await jetstreamManager(nc);
  const account = await readingAccount(nc);
  const results: ProvisionResult[] = [];
  for (const ref of source.streams) {
    const spec = captureSpec(config, source, ref, account);
    let existing: ExistingStreamConfig | null = null;
    try {
      existing = (await jsm.streams.info(ref.stream)).config as ExistingStreamConfig;
    } catch (err) {
      if (!isJetStreamApiError(err, JetStreamApiCodes.StreamNotFound)) {
        throw new RunError(`source "${source.name}": cannot read stream ${ref.stream}: ${errorMessage(err)}`, {
          cause: err,
        });
      }
    }
    const plan = planStream(spec, existing);
    let created = false;
    if (plan.action === 'create' && !dryRun) {
      const { min_age: _minAge, ...settings } = spec;
      try {
        await jsm.streams.add(settings as Partial<JsStreamConfig> as JsStreamConfig);
      } catch (err) {
        throw new RunError(`source "${source.name}": cannot create stream ${ref.stream}: ${errorMessage(err)}`, {
          cause: err,
        });
      }
      created = true;
    }
    results.push({ source: source.name, plan, created });
  }
  return results;
}

export function describePlan(results: ProvisionResult[], dryRun: boolean): string[] {
  return results.map((result) => describeResult(result, dryRun));
}

function describeResult({ source, plan, created }: ProvisionResult, dryRun: boolean): string {
  const name = `${source}/${plan.spec.name}`;
  switch (plan.action) {
    case 'create': {
      const { subjects, max_age, no_ack } = plan.spec;
      const maxAge = max_age === 0 ? 'unlimited' : `${max_age / 86_400e9} days`;
      return (
        `${created ? 'created' : dryRun ? 'would create' : 'create'} ${name}: subjects ${subjects.join(' ')}; ` +
        `file storage, deny_delete, deny_purge, no roll-ups, discard old, max_age ${maxAge}${no_ack ? ', no_ack' : ''}`
      );
    }
    case 'absent':
      return `MISSING ${name}: the stream does not exist (give its "subjects" in the configuration to have it created)`;
    case 'ok':
      return `ok ${name}: already tamper-resistant`;
    case 'drift':
      return `DRIFT ${name}: ${plan.findings.join('; ')} (left unchanged: fix it deliberately)`;
  }
}
