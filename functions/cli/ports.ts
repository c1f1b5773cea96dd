import { openArchive } from '../archive/index.js';
import { preflightRun } from '../config/preflight.js';
import type { Config } from '../config/schema.js';
import { outboxMailer } from '../deliver/outbox.js';
import { InputError } from '../errors.js';
import { stderrAlerts } from '../incidents/alerts.js';
import type { Ports } from '../pipeline/contracts.js';
import { loadBranding } from '../render/branding-file.js';
import { loadTemplates } from '../render/templates.js';
import { signerFromConfig } from '../seal/signer-from-config.js';
import { connectSource } from '../source/connect.js';
import { nowNanos } from '../time/nanos.js';

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
  await preflightRun(config, {
    archive: location,
    archiveKey: options.archive !== undefined ? '--archive' : 'archive',
  });
  const outbox = options.outbox ?? config.email?.outbox;
  if (outbox && !config.email) {
    throw new InputError(
      '--outbox needs "email" (from, to) in the configuration: the email has no sender or recipients',
    );
  }
  if (config.email && !outbox)
    options.log('email: no outbox configured, so no email is written (SES delivery runs on AWS)');
  return {
    archive,
    connect: (source) => connectSource(source.name, source.nats),
    signer: await signerFromConfig(config),
    templates: await loadTemplates({ operatorDir: config.templates ?? null }),
    branding: await loadBranding(config.branding),
    mailer: outbox ? outboxMailer(outbox) : null,
    alerts: stderrAlerts(),
    now: nowNanos,
    log: options.log,
  };
}
