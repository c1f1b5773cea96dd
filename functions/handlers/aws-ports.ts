import path from 'node:path';
import { openArchive, parseS3Location } from '../archive/index.js';
import type { Config } from '../config/schema.js';
import { sesMailer } from '../deliver/ses.js';
import { snsAlerts } from '../incidents/sns-alerts.js';
import {
  archivedPdfLink,
  checkMaxBytes,
  MAX_PDF_LINK_SECONDS,
  SES_V2_MAX_BYTES,
  type PdfLink,
} from '../deliver/size-limit.js';
import { InputError } from '../errors.js';
import type { Ports } from '../pipeline/contracts.js';
import { loadBranding } from '../render/branding-file.js';
import { loadTemplates } from '../render/templates.js';
import { connectSource } from '../source/connect.js';
import { runDeadline, waitBudgetMs, type RunDeadline } from '../source/retry.js';
import { redactCredentials } from '../text/redact.js';
import { nanosFromMillis } from '../time/nanos.js';
import type { AwsClients } from './aws-clients.js';
import { ENV } from './environment.js';
import { nonEmpty, type Environment } from './lambda-config.js';
import { lambdaSigner } from './lambda-signer.js';
import { loadIntegrationSecrets } from './integration-secrets.js';
import { loadNatsSecrets } from './nats-secret.js';
import { progressLog } from './progress-log.js';

/** Where the handlers write their lines; a Powertools Logger is one. */
export interface HandlerLog {
  info(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface AwsPortsOptions {
  /** SES message tags of the report email (period kind, trigger). */
  emailTags?: Record<string, string>;
  now?: () => number;
  /** The invocation's remaining time (`context.getRemainingTimeInMillis`). */
  remainingMs?: () => number;
  /**
   * False for a run that records no incident (a rollup): no alert topic and no integration secret, so its role needs
   * neither. True unless given.
   */
  recordsIncidents?: boolean;
}

/**
 * The ports of a run on AWS: the S3 archive, NATS with credentials from Secrets Manager, the KMS signer, SES.
 * Files the configuration names (the logo, an operator templates folder) are read relative to the task root,
 * where the deployment packages them.
 */
export async function awsPorts(
  env: Environment,
  clients: AwsClients,
  log: HandlerLog,
  config: Config,
  options: AwsPortsOptions = {},
): Promise<Ports> {
  const now = options.now ?? Date.now;
  const recordsIncidents = options.recordsIncidents ?? true;
  const [base, integrationSecrets] = await Promise.all([
    planPorts(env, clients, log, config, { now, ...(options.remainingMs ? { remainingMs: options.remainingMs } : {}) }),
    recordsIncidents ? loadIntegrationSecrets(config, clients.secrets) : undefined,
  ]);
  const taskRoot = nonEmpty(env.LAMBDA_TASK_ROOT) ?? process.cwd();
  const inTask = (file: string) => path.resolve(taskRoot, file);
  const configurationSet = nonEmpty(env[ENV.sesConfigurationSet]);
  const topicArn = recordsIncidents ? nonEmpty(env[ENV.alertTopicArn]) : undefined;
  return {
    ...base,
    templates: await loadTemplates({ operatorDir: config.templates ? inTask(config.templates) : null }),
    branding: await loadBranding(config.branding, inTask),
    mailer: config.email
      ? sesMailer({
          client: clients.ses,
          ...(configurationSet ? { configurationSet } : {}),
          ...(options.emailTags ? { tags: options.emailTags } : {}),
        })
      : null,
    alerts: topicArn ? snsAlerts(clients.sns, topicArn) : null,
    ...(integrationSecrets ? { integrationSecrets } : {}),
    mailLimit: {
      maxBytes: emailMaxBytes(env),
      pdfLink: (pdfPath) => pdfLinkFor(clients, archiveLocation(env, config), pdfPath, new Date(now())),
    },
    progress: progressLog(log, now),
  };
}

/** What the fan-out's plan step uses: the archive and NATS, the signer (its key file), the deadline and the log. */
export type PlanPorts = ArchiveAndNatsPorts & Pick<Ports, 'signer' | 'deadline' | 'log'>;

/**
 * The plan step's ports: no templates, branding, mailer or alerts, so its bundle carries none of what a run that
 * renders reads from disk.
 */
export async function planPorts(
  env: Environment,
  clients: AwsClients,
  log: HandlerLog,
  config: Config,
  options: Pick<AwsPortsOptions, 'now' | 'remainingMs'> = {},
): Promise<PlanPorts> {
  const [ports, signer] = await Promise.all([
    archiveAndNatsPorts(env, clients, config, options.now),
    lambdaSigner(env, clients.kms, clients.ssm),
  ]);
  return {
    ...ports,
    signer,
    // Real time, whatever clock the report is dated by: the invocation ends by it.
    deadline: lambdaDeadline(env, options.remainingMs?.(), Date.now()),
    log: (message) => log.info(redactCredentials(message)),
  };
}

/** The ports that read the archive and talk to NATS, and no others. */
export type ArchiveAndNatsPorts = Pick<Ports, 'archive' | 'connect' | 'now'>;

/**
 * The S3 archive and NATS with the credentials from Secrets Manager: what a run reads and records with, without the
 * signer, the mailer or the templates (the attest function needs no more, and its role may read no more).
 */
export async function archiveAndNatsPorts(
  env: Environment,
  clients: Pick<AwsClients, 's3' | 'secrets'>,
  config: Config,
  now: () => number = Date.now,
): Promise<ArchiveAndNatsPorts> {
  const archive = openArchive(archiveLocation(env, config), { s3Client: clients.s3 });
  const secrets = await loadNatsSecrets(env, clients.secrets, config);
  return {
    archive,
    connect: (source) => connectSource(source.name, source.nats, secrets.get(source.name)),
    now: () => nanosFromMillis(now()),
  };
}

/** Of the invocation's remaining time, at most this much is kept for what follows NATS (render, seal, send). */
export const LAMBDA_RESERVE_MS = 90_000;

/**
 * The run's deadline for NATS on Lambda: `SOX_NATS_WAIT_SECONDS` of waiting in all (else the default), and no wait
 * past the point where the rest of the run would no longer fit in the invocation (a quarter of the remaining time is
 * kept for it, at most LAMBDA_RESERVE_MS): giving up with a message beats being killed by the timeout without one.
 */
export function lambdaDeadline(env: Environment, remainingMs: number | undefined, now: number): RunDeadline {
  const budgetMs = waitBudgetMs(env[ENV.natsWaitSeconds], ENV.natsWaitSeconds);
  if (remainingMs === undefined) return runDeadline({ budgetMs });
  const until = now + remainingMs - Math.min(LAMBDA_RESERVE_MS, remainingMs / 4);
  return runDeadline({ budgetMs: Math.max(0, Math.min(budgetMs, until - now)), until });
}

/** `SOX_EMAIL_MAX_BYTES`, else SES v2's own limit. */
export function emailMaxBytes(env: Environment): number {
  const text = nonEmpty(env[ENV.emailMaxBytes]);
  if (text === undefined) return SES_V2_MAX_BYTES;
  if (!/^\d+$/.test(text))
    throw new InputError(`${ENV.emailMaxBytes} is ${JSON.stringify(text)}: it must be a number of bytes`);
  return checkMaxBytes(Number(text));
}

/**
 * A presigned link to the archived PDF. It is signed with the function's temporary credentials, so it works only
 * until they expire (hours, not the seven days S3 allows): the link says the earlier of the two, so nobody is
 * promised a week.
 */
export async function pdfLinkFor(clients: AwsClients, archive: string, pdfPath: string, now: Date): Promise<PdfLink> {
  const { bucket, prefix } = parseS3Location(archive);
  const key = [prefix, pdfPath].filter(Boolean).join('/');
  const credentials = await clients.s3.config.credentials();
  const untilCredentialsExpire = credentials.expiration
    ? Math.floor((credentials.expiration.getTime() - now.getTime()) / 1000) - 60
    : Infinity;
  const seconds = Math.max(60, Math.min(MAX_PDF_LINK_SECONDS, untilCredentialsExpire));
  return archivedPdfLink(clients.s3, bucket, key, { expiresInSeconds: seconds, now });
}

/** `SOX_ARCHIVE`, else the configuration's `archive`; on Lambda only S3 keeps anything (the disk is temporary). */
export function archiveLocation(env: Environment, config: Config): string {
  const fromEnv = nonEmpty(env[ENV.archive]);
  const location = fromEnv ?? config.archive;
  if (!/^s3:\/\//i.test(location)) {
    const where = fromEnv ? ENV.archive : `the configuration's "archive" (${ENV.archive} is not set)`;
    throw new InputError(
      `${where} is ${JSON.stringify(location)}: on AWS Lambda the archive must be s3://bucket/prefix`,
    );
  }
  return location;
}
