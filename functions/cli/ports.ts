import { openArchive } from '../archive/index.js';
import { preflightRun } from '../config/preflight.js';
import type { Config } from '../config/schema.js';
import { outboxMailer } from '../deliver/outbox.js';
import { InputError } from '../errors.js';
import { stderrAlerts } from '../incidents/alerts.js';
import type { Ports } from '../pipeline/contracts.js';
import type { StreamProgress } from '../progress/stream-progress.js';
import { loadBranding } from '../render/branding-file.js';
import { loadTemplates } from '../render/templates.js';
import { signerFromConfig } from '../seal/signer-from-config.js';
import { ENV } from '../handlers/environment.js';
import { connectSource } from '../source/connect.js';
import { runDeadline, waitBudgetMs } from '../source/retry.js';
import { nowNanos } from '../time/nanos.js';

export interface TerminalPortsOptions {
  archive?: string;
  outbox?: string;
  log: (line: string) => void;
  /** The replay's progress display (cli/progress-display.ts), when one is shown. */
  progress?: (progress: StreamProgress) => void;
  /** Where alerts are written (stderr by default): through the progress display, so no bar tears them. */
  stderr?: (text: string) => void;
}

/**
 * The ports of a run on this machine (or any host with a terminal): the archive and outbox the options name.
 * The local paths are checked first, before the signer makes a key or anything connects.
 */
export async function terminalPorts(config: Config, options: TerminalPortsOptions): Promise<Ports> {
  refuseSecretArns(config);
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
    deadline: runDeadline({ budgetMs: waitBudgetMs(process.env[ENV.natsWaitSeconds], ENV.natsWaitSeconds) }),
    signer: await signerFromConfig(config),
    templates: await loadTemplates({ operatorDir: config.templates ?? null }),
    branding: await loadBranding(config.branding),
    mailer: outbox ? outboxMailer(outbox) : null,
    alerts: stderrAlerts(options.stderr),
    ...(options.progress ? { progress: options.progress } : {}),
    now: nowNanos,
    log: options.log,
  };
}

/**
 * A run here reads the integrations' secrets from the environment only: one named by `secretArn` (Secrets Manager)
 * is read by the report functions on AWS, so a local run refuses it rather than record failed notifications.
 */
export function refuseSecretArns(config: Config): void {
  const named = config.incidents.integrations.filter((i) => i.secretArn !== undefined);
  if (named.length === 0) return;
  throw new InputError(
    `incidents.integrations ${named.map((i) => `"${i.name}"`).join(', ')}: secretArn (Secrets Manager) is read ` +
      'by the report functions on AWS only; for a run on this machine name an environment variable with secretEnv',
  );
}
