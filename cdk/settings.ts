import type { Node } from 'constructs';
import { SECRET_ARN } from '../functions/config/schema.js';

/**
 * Everything a deployment can choose, read from CDK context (`cdk.json` or `-c key=value`). Values from `-c`
 * arrive as strings, values from `cdk.json` as JSON: both are accepted. Every check fails synth with a message
 * naming the key, so a typo never deploys a stack that reports on the wrong day.
 */
export interface StackSettings {
  stackName: string;
  /** IANA time zone of the schedule (the report's own time zone comes from the configuration document). */
  timezone: string;
  /** `cron(…)` as EventBridge Scheduler writes it, or the fields of CDK's CronOptions. */
  schedule: string | CronFields;
  retentionYears: number;
  nats: NatsNetwork | null;
  alarmEmail: string | null;
  configParameterName: string;
  certificateParameterName: string;
  /** Null: CloudFormation names the configuration set. */
  sesConfigurationSetName: string | null;
  /**
   * The verified SES identity (domain or address) the reports are sent from; null allows any identity of the account.
   */
  sesIdentity: string | null;
  /** When set, the function may send with this From address only (`ses:FromAddress`). */
  sesFromAddress: string | null;
  /** Who may assume the auditor role; null: any principal of this account that IAM allows to. */
  auditorPrincipalArn: string | null;
  /** A principal that may sign with the key until a deadline, to make its certificate once (cdk/README.md). */
  certificateIssuer: { principalArn: string; until: string } | null;
  /** `s3://bucket/<prefix>` of the archive; empty: the bucket root. */
  archivePrefix: string;
  maxPeriodDays: number | null;
  emailMaxBytes: number | null;
  /** Hours without a newly archived daily bundle before the deadline alarm fires. */
  missingBundleAlarmHours: number;
  logRetentionDays: number;
  /**
   * Memory of the report and rollup functions, MB: it buys the vCPUs (1769 MB one, 3538 MB two: the ingest workers
   * need a second).
   */
  reportMemoryMB: number;
  /** A folder of operator files (logo, templates) copied into the bundle as `operator/`. */
  operatorFilesDir: string | null;
  /** Secrets Manager secrets the incident integrations name (`secretArn`): the report role may read these. */
  integrationSecretArns: string[];
  /** The monthly rollup's schedule (the month before the one it fires in); enabled unless the context says false. */
  monthlyRollup: RollupScheduleSettings;
  /** The quarterly rollup's schedule (the quarter before the one it fires in). */
  quarterlyRollup: RollupScheduleSettings;
  /** The Step Functions fan-out of a day over many Lambdas (cdk/fan-out.ts). */
  fanOut: FanOutSettings;
}

/** The fan-out's state machine is always deployed; the daily schedule starts it only when `scheduled`. */
export interface FanOutSettings {
  /** The daily schedule starts the state machine instead of invoking the scheduled function (default false). */
  scheduled: boolean;
  /** Slice functions the distributed map runs at once. */
  maxConcurrency: number;
  /** The plan's sizing (functions/slices/sizing.ts): messages a slice function reads per second, */
  messagesPerSecond: number;
  /** and the seconds of reading it plans one slice for. */
  budgetSeconds: number;
}

/**
 * A rollup schedule (cdk/rollup-schedules.ts): its cron in the stack's time zone, and whether it is enabled (a
 * disabled one is deployed in the DISABLED state: the on-demand rollup still works).
 */
export interface RollupScheduleSettings {
  enabled: boolean;
  cron: string | CronFields;
}

export interface CronFields {
  minute?: string;
  hour?: string;
  day?: string;
  month?: string;
  weekDay?: string;
  year?: string;
}

export interface NatsNetwork {
  vpcId: string;
  subnetIds: string[];
  /** Null: the stack creates a security group with outbound access only. */
  securityGroupId: string | null;
}

/** The context keys and their defaults; cdk/README.md documents each. */
export const DEFAULTS = {
  stackName: 'NatsSoxReports',
  timezone: 'UTC',
  scheduleCron: 'cron(0 6 * * ? *)',
  retentionYears: 7,
  configParameterName: '/nats-sox-reports/config',
  certificateParameterName: '/nats-sox-reports/signing-certificate',
  // The schedule fires every 24 h; two more hours cover Lambda's retries of a failed first attempt.
  missingBundleAlarmHours: 26,
  logRetentionDays: 365,
  reportMemoryMB: 1769,
  /**
   * The rollups fire on the 2nd at 06:00, 24 hours after the daily run that seals the month's last day (06:00 on the
   * 1st by default). That daily is sealed within about 12¼ hours at worst: Scheduler retries its hand-over for up to
   * 6 hours (SCHEDULE_RETRY), Lambda keeps and retries the event for up to 6 more (maxEventAge), and a run takes at
   * most 15 minutes. A later daily cron needs later rollup crons (cdk/README.md).
   */
  monthlyRollupCron: 'cron(0 6 2 * ? *)',
  quarterlyRollupCron: 'cron(0 6 2 1,4,7,10 ? *)',
  /**
   * The schedule keeps invoking the scheduled function until a deployment turns the fan-out on: that path is the one
   * run end to end from the bundled handler here, and a day of up to about 50 million messages fits one function
   * (README "Sizing"). The state machine is deployed either way, so it can be started on demand and tried first.
   */
  fanOutScheduled: false,
  // Slices in flight at once: each holds a NATS connection and a consumer; 16 keep a server's load modest.
  fanOutMaxConcurrency: 16,
  sliceMessagesPerSecond: 40_000,
  sliceBudgetSeconds: 480,
} as const;

const CRON_FIELDS = ['minute', 'hour', 'day', 'month', 'weekDay', 'year'] as const;
// CloudWatch Logs accepts only these retention periods (days).
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

export class SettingsError extends Error {
  override name = 'SettingsError';
}

export function readSettings(node: Node): StackSettings {
  const raw = (key: string): unknown => node.tryGetContext(key);
  const text = (key: string): string | null => optionalText(key, raw(key));
  const number = (key: string, min: number, max: number): number | null => optionalInteger(key, raw(key), min, max);

  const timezone = text('timezone') ?? DEFAULTS.timezone;
  checkTimeZone(timezone);
  const parameterName = (key: string, fallback: string) => {
    const name = text(key) ?? fallback;
    if (!/^\/[A-Za-z0-9_.\-/]+$/.test(name) || name.includes('//')) {
      throw new SettingsError(
        `context ${key}: ${JSON.stringify(name)} is not an SSM parameter path such as /nats-sox-reports/config`,
      );
    }
    return name;
  };
  const logRetentionDays = number('logRetentionDays', 1, 3653) ?? DEFAULTS.logRetentionDays;
  if (!LOG_RETENTION_DAYS.includes(logRetentionDays)) {
    throw new SettingsError(
      'context logRetentionDays: CloudWatch Logs keeps logs for ' +
        `one of ${LOG_RETENTION_DAYS.join(', ')} days, not ${logRetentionDays}`,
    );
  }
  const archivePrefix = (text('archivePrefix') ?? '').split('/').filter(Boolean).join('/');
  if (/[^A-Za-z0-9!\-_.*'()/]/.test(archivePrefix)) {
    throw new SettingsError(
      `context archivePrefix: ${JSON.stringify(archivePrefix)} may use only letters, digits, / and !-_.*'()`,
    );
  }
  const stackName = text('stackName') ?? DEFAULTS.stackName;
  if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stackName))
    throw new SettingsError(`context stackName: ${JSON.stringify(stackName)} is not a CloudFormation stack name`);

  return {
    stackName,
    timezone,
    schedule: readSchedule('scheduleCron', raw('scheduleCron'), DEFAULTS.scheduleCron),
    retentionYears: number('retentionYears', 1, 100) ?? DEFAULTS.retentionYears,
    nats: readNatsNetwork(text('natsVpcId'), raw('natsSubnetIds'), text('natsSecurityGroupId')),
    alarmEmail: email('alarmEmail', text('alarmEmail')),
    configParameterName: parameterName('configParameterName', DEFAULTS.configParameterName),
    certificateParameterName: parameterName('signingCertificateParameterName', DEFAULTS.certificateParameterName),
    sesConfigurationSetName: configurationSetName(text('sesConfigurationSetName')),
    sesIdentity: sesIdentity(text('sesIdentity')),
    sesFromAddress: email('sesFromAddress', text('sesFromAddress')),
    auditorPrincipalArn: principalArn('auditorPrincipalArn', text('auditorPrincipalArn')),
    certificateIssuer: readCertificateIssuer(text('certificateIssuerArn'), text('certificateIssuerUntil')),
    archivePrefix,
    maxPeriodDays: number('maxPeriodDays', 1, 3660),
    // SES v2 takes messages up to 40 MB; the handler links the PDF instead above this.
    emailMaxBytes: number('emailMaxBytes', 1024, 40 * 1024 * 1024),
    missingBundleAlarmHours: number('missingBundleAlarmHours', 25, 168) ?? DEFAULTS.missingBundleAlarmHours,
    logRetentionDays,
    // Below one full vCPU the replay and the PDF slow down with the share of a core; Lambda's limit is 10240.
    reportMemoryMB: number('reportMemoryMB', 1769, 10240) ?? DEFAULTS.reportMemoryMB,
    operatorFilesDir: text('operatorFilesDir'),
    integrationSecretArns: readSecretArns(raw('integrationSecretArns')),
    monthlyRollup: {
      enabled: optionalBoolean('monthlyRollupEnabled', raw('monthlyRollupEnabled')) ?? true,
      cron: readSchedule('monthlyRollupCron', raw('monthlyRollupCron'), DEFAULTS.monthlyRollupCron),
    },
    quarterlyRollup: {
      enabled: optionalBoolean('quarterlyRollupEnabled', raw('quarterlyRollupEnabled')) ?? true,
      cron: readSchedule('quarterlyRollupCron', raw('quarterlyRollupCron'), DEFAULTS.quarterlyRollupCron),
    },
    fanOut: {
      scheduled: optionalBoolean('fanOutScheduled', raw('fanOutScheduled')) ?? DEFAULTS.fanOutScheduled,
      // The distributed map runs up to 10,000 children at once; Lambda's account concurrency is the real bound.
      maxConcurrency: number('fanOutMaxConcurrency', 1, 1000) ?? DEFAULTS.fanOutMaxConcurrency,
      messagesPerSecond: number('sliceMessagesPerSecond', 1, 10_000_000) ?? DEFAULTS.sliceMessagesPerSecond,
      budgetSeconds: number('sliceBudgetSeconds', 60, 840) ?? DEFAULTS.sliceBudgetSeconds,
    },
  };
}

/** true or false, as JSON from cdk.json or as the text `-c key=false` gives. */
function optionalBoolean(key: string, value: unknown): boolean | null {
  if (value === undefined || value === null || value === '') return null;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new SettingsError(`context ${key}: expected true or false, got ${JSON.stringify(value)}`);
}

/** The full ARNs of the integrations' secrets, as the configuration's `secretArn` names them. */
function readSecretArns(value: unknown): string[] {
  const arns = [...new Set(readList('integrationSecretArns', value))];
  for (const arn of arns) {
    if (!SECRET_ARN.test(arn))
      throw new SettingsError(
        `context integrationSecretArns: ${JSON.stringify(arn)} is not the full ARN of a Secrets Manager secret ` +
          '(arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>)',
      );
  }
  return arns;
}

function optionalText(key: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new SettingsError(`context ${key}: expected text, got ${JSON.stringify(value)}`);
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

function optionalInteger(key: string, value: unknown, min: number, max: number): number | null {
  if (value === undefined || value === null || value === '') return null;
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\s*\d+\s*$/.test(value)
        ? Number(value)
        : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new SettingsError(
      `context ${key}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

function checkTimeZone(timezone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new SettingsError(
      `context timezone: ${JSON.stringify(timezone)} is not an IANA time zone such as America/New_York`,
    );
  }
}

function readSchedule(key: string, value: unknown, fallback: string): string | CronFields {
  if (value === undefined || value === null || value === '') return fallback;
  let parsed: unknown = value;
  if (typeof value === 'string' && value.trim().startsWith('{')) {
    try {
      parsed = JSON.parse(value) as unknown;
    } catch {
      throw new SettingsError(
        `context ${key}: ${JSON.stringify(value)} is neither cron(…) nor a JSON object of cron fields`,
      );
    }
  }
  if (typeof parsed === 'string') {
    const cron = parsed.trim();
    // Scheduler's cron has six fields: minutes hours day-of-month month day-of-week year.
    if (!/^cron\(\s*\S+(\s+\S+){5}\s*\)$/.test(cron)) {
      throw new SettingsError(
        `context ${key}: ${JSON.stringify(cron)} ` +
          'is not cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 6 * * ? *)',
      );
    }
    return cron;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SettingsError(`context ${key}: expected cron(…) or an object such as {"minute":"0","hour":"6"}`);
  }
  const fields: CronFields = {};
  for (const [name, field] of Object.entries(parsed)) {
    if (!(CRON_FIELDS as readonly string[]).includes(name))
      throw new SettingsError(`context ${key}: unknown field ${name} (known: ${CRON_FIELDS.join(', ')})`);
    if (typeof field !== 'string' && typeof field !== 'number')
      throw new SettingsError(`context ${key}.${name}: expected text such as "6"`);
    fields[name as keyof CronFields] = String(field);
  }
  return fields;
}

function readNatsNetwork(vpcId: string | null, subnets: unknown, securityGroupId: string | null): NatsNetwork | null {
  const subnetIds = readList('natsSubnetIds', subnets);
  if (vpcId === null) {
    if (subnetIds.length > 0 || securityGroupId !== null)
      throw new SettingsError('context natsSubnetIds and natsSecurityGroupId need natsVpcId as well');
    return null;
  }
  if (!/^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/.test(vpcId))
    throw new SettingsError(`context natsVpcId: ${JSON.stringify(vpcId)} is not a VPC id (vpc-…)`);
  if (subnetIds.length === 0)
    throw new SettingsError(
      'context natsVpcId needs natsSubnetIds: the private subnets (subnet-…) the function runs in',
    );
  for (const id of subnetIds)
    if (!/^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/.test(id))
      throw new SettingsError(`context natsSubnetIds: ${JSON.stringify(id)} is not a subnet id (subnet-…)`);
  if (securityGroupId !== null && !/^sg-([0-9a-f]{8}|[0-9a-f]{17})$/.test(securityGroupId)) {
    throw new SettingsError(
      `context natsSecurityGroupId: ${JSON.stringify(securityGroupId)} is not a security group id (sg-…)`,
    );
  }
  return { vpcId, subnetIds, securityGroupId };
}

/** A JSON array, or text separated by commas (what `-c natsSubnetIds=subnet-a,subnet-b` gives). */
function readList(key: string, value: unknown): string[] {
  if (value === undefined || value === null) return [];
  let list: unknown = value;
  if (typeof value === 'string') list = value.trim().startsWith('[') ? safeJson(key, value) : value.split(',');
  if (!Array.isArray(list) || list.some((item) => typeof item !== 'string'))
    throw new SettingsError(`context ${key}: expected a list of ids`);
  return (list as string[]).map((item) => item.trim()).filter(Boolean);
}

function safeJson(key: string, value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new SettingsError(`context ${key}: ${JSON.stringify(value)} is not valid JSON`);
  }
}

function email(key: string, value: string | null): string | null {
  if (value !== null && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value))
    throw new SettingsError(`context ${key}: ${JSON.stringify(value)} is not an email address`);
  return value;
}

function sesIdentity(value: string | null): string | null {
  if (value !== null && !/^[^\s*/@]+(@[^\s*/@]+)?\.[^\s*/@.]+$/.test(value)) {
    throw new SettingsError(
      `context sesIdentity: ${JSON.stringify(value)} is not a domain (example.com) or an email address verified in SES`,
    );
  }
  return value;
}

function configurationSetName(value: string | null): string | null {
  if (value !== null && !/^[A-Za-z0-9_-]{1,64}$/.test(value)) {
    throw new SettingsError(
      `context sesConfigurationSetName: ${JSON.stringify(value)} may use only letters, digits, - and _ (at most 64)`,
    );
  }
  return value;
}

function principalArn(key: string, value: string | null): string | null {
  if (value !== null && !/^arn:aws[a-z-]*:iam::\d{12}:(root|role\/.+|user\/.+)$/.test(value)) {
    throw new SettingsError(`context ${key}: ${JSON.stringify(value)} is not an IAM role, user or account root ARN`);
  }
  return value;
}

function readCertificateIssuer(arn: string | null, until: string | null): StackSettings['certificateIssuer'] {
  if (arn === null && until === null) return null;
  if (arn === null || until === null)
    throw new SettingsError(
      'context certificateIssuerArn and certificateIssuerUntil go together: who may sign once, and until when',
    );
  const principalArnValue = principalArn('certificateIssuerArn', arn) ?? arn;
  // A whole UTC instant, as IAM's aws:CurrentTime compares it.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(until) || Number.isNaN(Date.parse(until))) {
    throw new SettingsError(
      `context certificateIssuerUntil: ${JSON.stringify(until)} is not a UTC time such as 2025-01-31T18:00:00Z`,
    );
  }
  return { principalArn: principalArnValue, until };
}
