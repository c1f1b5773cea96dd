/**
 * What the CDK stack hands the Lambda functions, and nothing else: the handlers read their whole configuration
 * from these variables (and the SSM parameters and secret they name). No secret is ever in the environment.
 */
export const ENV = {
  /** The configuration document (config/schema.ts), without secrets, as JSON; or */
  config: 'SOX_CONFIG',
  /** the name of an SSM parameter (String or SecureString) holding it. */
  configParameter: 'SOX_CONFIG_PARAMETER',
  /**
   * ARN of the Secrets Manager secret with the NATS credentials, a JSON object by source name:
   * `{ "audit": { "creds": "<content of a .creds file>" }, "app": { "user": "…", "pass": "…" },
   * "x": { "token": "…" } }`.
   */
  natsSecretArn: 'SOX_NATS_SECRET_ARN',
  /** Where bundles are archived: `s3://bucket/prefix` (overrides `archive` of the configuration). */
  archive: 'SOX_ARCHIVE',
  /** The KMS signing key (ARN or alias). */
  kmsKeyId: 'SOX_KMS_KEY_ID',
  /** Name of the SSM parameter holding the PEM certificate issued for the KMS key. */
  certificateParameter: 'SOX_SIGNING_CERT_PARAMETER',
  /** SES configuration set the emails are sent with. */
  sesConfigurationSet: 'SOX_SES_CONFIGURATION_SET',
  /** SNS topic for alerts (newly opened incidents, failures). */
  alertTopicArn: 'SOX_ALERT_TOPIC_ARN',
  /** Longest period an on-demand run may cover, in days (default 31). */
  maxPeriodDays: 'SOX_MAX_PERIOD_DAYS',
  /** Largest email sent with the PDF attached, in bytes (default and SES v2 limit: 40 MB); larger ones carry a link. */
  emailMaxBytes: 'SOX_EMAIL_MAX_BYTES',
  /**
   * Seconds a run may wait out NATS outages in all (default 180), on AWS never more than leaves the run time to
   * finish before the invocation ends; the CLI reads it too.
   */
  natsWaitSeconds: 'SOX_NATS_WAIT_SECONDS',
  /** The fan-out's staging of slice results, `s3://bucket/prefix` (handlers/fan-out-staging.ts): not the archive. */
  sliceStaging: 'SOX_SLICE_STAGING',
  /** Messages a slice function reads per second, for the plan's sizing (slices/sizing.ts; default 40000). */
  sliceMessagesPerSecond: 'SOX_SLICE_MESSAGES_PER_SECOND',
  /** Seconds of reading the plan gives one slice (default 480: well within Lambda's 15 minutes). */
  sliceBudgetSeconds: 'SOX_SLICE_BUDGET_SECONDS',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];
