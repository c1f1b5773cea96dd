import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { adhocBundlePath } from '../../functions/archive/layout.js';
import { demoConfig } from '../../functions/cli/demo.js';
import { generateActivity } from '../../functions/local/activity.js';
import { parseInstant } from '../../functions/time/nanos.js';
import type { TestBed } from './hub.js';

/** An ad-hoc period the CLI can run: the bed's demo activity inside it, and the demo configuration in a file. */
export interface AdhocActivity {
  from: string;
  to: string;
  /** Where its bundle goes in an archive. */
  bundle: string;
  configFile: string;
}

/**
 * Generates the demo's activity (with `transactions` transactions) on the bed and returns the period around it,
 * ending just after, with the demo configuration written to the bed's folder (its own archive unused: each test
 * passes --archive and --outbox).
 */
export async function adhocActivity(bed: TestBed, transactions: number): Promise<AdhocActivity> {
  const from = new Date(Date.now() - 1000).toISOString();
  await generateActivity(bed.hub, { transactions });
  await new Promise((r) => setTimeout(r, 50));
  const to = new Date().toISOString();
  const configFile = path.join(bed.dir, 'config.json');
  await writeFile(configFile, JSON.stringify(demoConfig(bed.hub.url, bed.hub.passwords, path.join(bed.dir, 'unused'))));
  return { from, to, bundle: adhocBundlePath(parseInstant(from)!, parseInstant(to)!), configFile };
}
