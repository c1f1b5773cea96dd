/**
 * The settings that shape a report's figures, taken from the configuration and recorded in the manifest
 * (`producer.parameters`), so that `verify --recompute` re-performs the figures with exactly them. Nothing
 * secret is here.
 */
import { z } from 'zod';
import { detectionSchema, reportBounds, STREAM_KINDS, timezoneSchema, type Config } from '../config/schema.js';
import { ACCESS_RULES } from '../access/model.js';
import { readOnlyPublish } from '../access/permissions.js';
import { DEFAULT_INCIDENT_PREFIX } from '../incidents/model.js';
import { DEFAULT_LIMITS, type AggregateLimits } from './aggregate-state.js';

export const reportParametersSchema = z.strictObject({
  timezone: timezoneSchema,
  report: z.strictObject({
    topN: reportBounds.topN,
    maxListed: reportBounds.maxListed,
    consumerPrefix: reportBounds.consumerPrefix,
  }),
  detection: detectionSchema,
  incidents: z.strictObject({ deadlineDays: reportBounds.deadlineDays }),
  streams: z.array(
    z.strictObject({
      source: z.string(),
      stream: z.string(),
      kind: z.enum(STREAM_KINDS),
      account: z.string().optional(),
      quiet: z.boolean(),
    }),
  ),
  /** The aggregation's own bounds; pairWindowNs in nanoseconds, as text (it is a bigint). */
  /**
   * The reporting user's read-only publish list (access/permissions.ts), absent in reports written before it; and
   * the rules `access` was derived with (access/model.ts ACCESS_RULES), absent (1) in reports written before rules 2.
   */
  access: z
    .strictObject({
      readOnlyPublish: z.array(z.string().min(1).max(1000)).max(200),
      rules: z.union([z.literal(1), z.literal(2)]).optional(),
    })
    .optional(),
  limits: z.strictObject({
    maxSamples: z.number().int().min(1).max(10_000),
    pairWindowNs: z.string().regex(/^\d{1,15}$/, 'must be nanoseconds, at most 15 digits'),
  }),
});

export type ReportParameters = z.output<typeof reportParametersSchema>;

export function reportParameters(config: Config): ReportParameters {
  return {
    timezone: config.timezone,
    report: {
      topN: config.report.topN,
      maxListed: config.report.maxListed,
      consumerPrefix: config.report.consumerPrefix,
    },
    detection: config.detection,
    incidents: { deadlineDays: config.incidents.deadlineDays },
    streams: config.sources.flatMap((s) =>
      s.streams.map((r) => ({
        source: s.name,
        stream: r.stream,
        kind: r.kind,
        ...(r.account ? { account: r.account } : {}),
        quiet: r.quiet,
      })),
    ),
    access: {
      readOnlyPublish: readOnlyPublish({
        incidentPrefix: DEFAULT_INCIDENT_PREFIX,
        attestationPrefix: config.review.subjectPrefix,
        ...(config.incidents.alertSubject ? { alertSubject: config.incidents.alertSubject } : {}),
      }),
      rules: ACCESS_RULES,
    },
    limits: { maxSamples: DEFAULT_LIMITS.maxSamples, pairWindowNs: DEFAULT_LIMITS.pairWindowNs.toString() },
  };
}

export function aggregateLimits(parameters: ReportParameters): AggregateLimits {
  return {
    maxListed: parameters.report.maxListed,
    maxSamples: parameters.limits.maxSamples,
    pairWindowNs: BigInt(parameters.limits.pairWindowNs),
  };
}

/** The report's own consumers are recognised by this prefix and not counted as activity. */
export function parseOptionsOf(parameters: ReportParameters): { ownConsumerPrefix: string } {
  return { ownConsumerPrefix: `${parameters.report.consumerPrefix}_` };
}
