import { loadConfigFile } from '../config/load.js';
import { connectSource } from '../source/connect.js';
import { describePlan, provisionSource, type ProvisionResult } from '../source/provision.js';
import { reportError } from './exit.js';

export async function provisionCommand(opts: { config: string; dryRun?: boolean }): Promise<number> {
  try {
    const config = await loadConfigFile(opts.config);
    const results: ProvisionResult[] = [];
    for (const source of config.sources) {
      const nc = await connectSource(source.name, source.nats);
      try {
        results.push(...(await provisionSource(config, source, nc, opts.dryRun ?? false)));
      } finally {
        await nc.close().catch(() => undefined);
      }
    }
    for (const line of describePlan(results, opts.dryRun ?? false)) process.stdout.write(`${line}\n`);
    return results.some((r) => r.plan.action === 'drift' || r.plan.action === 'absent') ? 3 : 0;
  } catch (err) {
    return reportError(err);
  }
}
