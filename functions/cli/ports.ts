import { readFile } from 'node:fs/promises';
import { openArchive } from '../archive/index.js';
import { preflightRun } from '../config/preflight.js';
import type { Config } from '../config/schema.js';
import { outboxMailer } from '../deliver/outbox.js';
import { InputError } from '../errors.js';
import { stderrAlerts } from '../incidents/alerts.js';
import type { Ports } from '../pipeline/run-report.js';
import { loadTemplates } from '../render/templates.js';
import type { Branding } from '../render/view-model.js';
import { signerFromConfig } from '../seal/signer-from-config.js';
import { connectSource } from '../source/connect.js';
import { nowNanos } from '../time/nanos.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Branding with its logo read and checked: a PNG, not anything a path happens to name. */
export async function loadBranding(config: Config): Promise<Branding> {
  const { company, title, accent, logo } = config.branding;
  let logoPng: Uint8Array | null = null;
  if (logo) {
    let bytes: Buffer;
    try {
      bytes = await readFile(logo);
    } catch (err) {
      throw new InputError(`branding.logo: cannot read ${logo} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (!bytes.subarray(0, 8).equals(PNG_SIGNATURE)) throw new InputError(`branding.logo: ${logo} is not a PNG file`);
    logoPng = new Uint8Array(bytes);
  }
  return { company: company ?? null, title, accent, logoPng };
}

/**
 * The ports of a run on this machine (or any host with a terminal): the archive and outbox the options name.
 * The local paths are checked first, before the signer makes a key or anything connects.
 */
export async function terminalPorts(
  config: Config,
  options: { archive?: string; outbox?: string; log: (line: string) => void },
): Promise<Ports> {
  const location = options.archive ?? config.archive;
  const archive = openArchive(location);
  await preflightRun(config, { archive: location, archiveKey: options.archive !== undefined ? '--archive' : 'archive' });
  const outbox = options.outbox ?? config.email?.outbox;
  if (outbox && !config.email) {
    throw new InputError('--outbox needs "email" (from, to) in the configuration: the email has no sender or recipients');
  }
  if (config.email && !outbox) options.log('email: no outbox configured, so no email is written (SES delivery runs on AWS)');
  return {
    archive,
    connect: (source) => connectSource(source.name, source.nats),
    signer: await signerFromConfig(config),
    templates: await loadTemplates({ operatorDir: config.templates ?? null }),
    branding: await loadBranding(config),
    mailer: outbox ? outboxMailer(outbox) : null,
    alerts: stderrAlerts(),
    now: nowNanos,
    log: options.log,
  };
}
