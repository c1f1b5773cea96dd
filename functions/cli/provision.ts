import { loadConfigFile } from '../config/load.js';
import { describeConfiguredAccount } from '../config/account-refs.js';
import { resolveConfiguredAccounts } from '../source/account-directory.js';
import { connectSource } from '../source/connect.js';
import { describePlan, provisionSource, type ProvisionResult } from '../source/provision.js';
import { jetstreamManager } from '@nats-io/jetstream';
import { describeIncidentStreamPlan, ensureIncidentStream, type EnsureResult } from '../incidents/stream.js';
import {
  describeAttestationStreamPlan,
  ensureAttestationStream,
  reviewSource,
  type AttestationStreamResult,
} from '../attest/stream.js';
import { reportError, shown } from './exit.js';

export async function provisionCommand(opts: { config: string; dryRun?: boolean }): Promise<number> {
  try {
    // Operator mode: accounts configured by name are provisioned under the keys the server knows them by.
    const resolved = await resolveConfiguredAccounts(await loadConfigFile(opts.config), (s) =>
      connectSource(s.name, s.nats),
    );
    const config = resolved.config;
    for (const line of (resolved.accounts ?? []).map(describeConfiguredAccount)) {
      if (line !== null) process.stdout.write(`${shown(line)}\n`);
    }
    const results: ProvisionResult[] = [];
    let incidents: EnsureResult | null = null;
    let attestations: AttestationStreamResult | null = null;
    for (const [i, source] of config.sources.entries()) {
      const nc = await connectSource(source.name, source.nats);
      try {
        results.push(...(await provisionSource(config, source, nc, opts.dryRun ?? false)));
        // The incident record lives beside the audit streams, in the first source's account.
        if (i === 0)
          incidents = await ensureIncidentStream(await jetstreamManager(nc), { dryRun: opts.dryRun ?? false });
        // The attestation record lives in the review source's account (the first source unless configured).
        if (source.name === reviewSource(config).name)
          attestations = await ensureAttestationStream(await jetstreamManager(nc), config, { dryRun: opts.dryRun });
      } finally {
        await nc.close().catch(() => undefined);
      }
    }
    for (const line of describePlan(results, opts.dryRun ?? false)) process.stdout.write(`${line}\n`);
    if (incidents) process.stdout.write(`${describeIncidentStreamPlan(incidents)}\n`);
    if (attestations) process.stdout.write(`${describeAttestationStreamPlan(attestations)}\n`);
    const drift =
      results.some((r) => r.plan.action === 'drift' || r.plan.action === 'absent') ||
      incidents?.plan.action === 'drift' ||
      attestations?.plan.action === 'drift';
    return drift ? 3 : 0;
  } catch (err) {
    return reportError(err);
  }
}
