import { z } from 'zod';
import { IANAZone } from 'luxon';

export const STREAM_KINDS = ['system-events', 'advisories', 'transactions'] as const;
export type StreamKind = (typeof STREAM_KINDS)[number];

/** The kinds of stream that hold the audit record itself (as opposed to the application's transactions). */
export function isAuditKind(kind: StreamKind): boolean {
  return kind === 'system-events' || kind === 'advisories';
}

const nonEmpty = z.string().min(1, 'must not be empty');
const serverUrl = z
  .string()
  .regex(/^(nats|tls|ws|wss):\/\/[^\s]+$|^[^\s:/]+:\d+$/, 'must be a NATS URL such as nats://127.0.0.1:4222');

const tls = z.strictObject({
  ca: nonEmpty.optional(),
  cert: nonEmpty.optional(),
  key: nonEmpty.optional(),
});

const natsConnection = z
  .strictObject({
    servers: z.array(serverUrl).min(1, 'must name at least one server'),
    user: nonEmpty.optional(),
    pass: z.string().optional(),
    token: nonEmpty.optional(),
    creds: nonEmpty.optional(),
    tls: tls.optional(),
    /** Seconds to wait for a server before the run fails: connect attempts, and the waits between them, included. */
    connectTimeoutSeconds: z.number().positive().max(300).default(10),
  })
  .superRefine((n, ctx) => {
    const ways = [n.user !== undefined, n.token !== undefined, n.creds !== undefined].filter(Boolean).length;
    if (ways > 1) ctx.addIssue({ code: 'custom', message: 'use only one of user/pass, token or creds' });
    if (n.user !== undefined && n.pass === undefined)
      ctx.addIssue({ code: 'custom', path: ['pass'], message: 'is required with user' });
    if (n.pass !== undefined && n.user === undefined)
      ctx.addIssue({ code: 'custom', path: ['user'], message: 'is required with pass' });
  });

const subjectToken = /^[^\s]+$/;

/** An address (`auditor@example.com`) or a whole domain (`@example.com`) that on-demand reports may be sent to. */
const allowedRecipient = z.union([z.email(), z.string().regex(/^@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/i)], {
  error: 'must be an email address or "@domain" (for example "@example.com")',
});

const streamRef = z.strictObject({
  stream: z.string().regex(/^[^\s.*>/\\]+$/, 'must be a JetStream stream name (no spaces, dots, * or >)'),
  kind: z.enum(STREAM_KINDS),
  /** The account whose activity the stream records (advisories); defaults to the reading account. */
  account: nonEmpty.optional(),
  /** Subjects the stream captures; provision derives them from the kind when left out. */
  subjects: z.array(z.string().regex(subjectToken, 'must be a NATS subject')).min(1).optional(),
  /** A stream that may legitimately hold no message on a day (no completeness failure for silence). */
  quiet: z.boolean().default(false),
});

const source = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, - or _'),
  nats: natsConnection,
  /** The account this source's user belongs to; needed only to tell own from imported advisories. */
  account: nonEmpty.optional(),
  streams: z.array(streamRef).min(1, 'must list at least one stream'),
});

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A wall-clock time of day; "24:00" only makes sense as the end of a business day. */
const clockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be a time of day such as "08:00" (24-hour HH:MM)');
const isClockTime = (hhmm: string) => clockTime.safeParse(hhmm).success;
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

// Functions, so no two configurations share (and could alter) one default object.
const defaultBruteForce = () => ({ failures: 5, windowMinutes: 10 });
const defaultWorkdays = (): Weekday[] => ['mon', 'tue', 'wed', 'thu', 'fri'];
const defaultBusinessHours = () => ({ start: '07:00', end: '19:00', days: defaultWorkdays() });

/** Thresholds of the detection rules (functions/analysis/detection). */
export const detectionSchema = z
  .strictObject({
    /** So many failed logins of one user (or from one host) within the window is a brute-force attempt. */
    bruteForce: z
      .strictObject({
        failures: z.number().int().min(2, 'must be at least 2 (one failed login is a typo)').max(100_000).default(5),
        windowMinutes: z.number().positive().max(1440, 'must be at most 1440 (one day)').default(10),
      })
      .default(defaultBruteForce),
    /** JetStream changes outside these hours, in the configured time zone, are reported. */
    businessHours: z
      .strictObject({
        start: clockTime
          .refine((t) => t !== '24:00', 'must be a time of day such as "08:00" (24-hour HH:MM)')
          .default('07:00'),
        end: clockTime.default('19:00'),
        days: z
          .array(z.enum(WEEKDAYS, { error: `must be one of ${WEEKDAYS.join(', ')}` }))
          .min(1, 'must name at least one day (to treat no hour as off-hours, name every day from "00:00" to "24:00")')
          .refine((d) => new Set(d).size === d.length, 'must not name a day twice')
          .default(defaultWorkdays),
      })
      .refine(
        (h) =>
          !isClockTime(h.start) || h.start === '24:00' || !isClockTime(h.end) || minutesOf(h.start) < minutesOf(h.end),
        {
          message: 'must be before end: business hours lie within one day',
          path: ['start'],
        },
      )
      .default(defaultBusinessHours),
  })
  .default(() => ({ bruteForce: defaultBruteForce(), businessHours: defaultBusinessHours() }));

/** A known IANA time zone. */
/** An integration's name is a NATS subject token of the incident record: lower-case letters, digits and dashes. */
export const INTEGRATION_NAME = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;

const integrationName = z
  .string()
  .regex(INTEGRATION_NAME, 'must be lower-case letters, digits and dashes (at most 48)');
const toolUrl = z
  .string()
  .url()
  .regex(/^https?:\/\//, 'must be an http(s) URL')
  .refine((u) => !/^https?:\/\/[^/]*@/.test(u), 'must not hold credentials: name them with secretEnv');
const secretEnv = z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/, 'must be an environment variable name such as SOX_HOOK');
/** A Secrets Manager secret's ARN: read by the report functions on AWS only (README "Incident management"). */
export const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$/;
const secretArn = z
  .string()
  .regex(SECRET_ARN, 'must be a Secrets Manager secret ARN such as arn:aws:secretsmanager:us-east-1:…:secret:sox-hook');
/** Where an integration's secret is: an environment variable by name, or a Secrets Manager secret on AWS. */
const secretRef = { secretEnv: secretEnv.optional(), secretArn: secretArn.optional() };
const oneSecret = (i: { secretEnv?: string | undefined; secretArn?: string | undefined }) =>
  (i.secretEnv === undefined) !== (i.secretArn === undefined);
const ONE_SECRET = {
  message:
    'must name its secret with exactly one of secretEnv (an environment variable) or secretArn (Secrets Manager)',
  path: ['secretEnv'],
};

const webhookIntegration = z
  .strictObject({
    type: z.literal('webhook'),
    name: integrationName,
    /** Where each change is POSTed. */
    url: toolUrl,
    /** The environment variable (or the secret) holding the HMAC-SHA256 secret of X-Sox-Report-Signature. */
    ...secretRef,
  })
  .refine(oneSecret, ONE_SECRET);

/** PagerDuty Events API v2: each change is a trigger, acknowledge or resolve event deduplicated by incident id. */
const pagerdutyIntegration = z
  .strictObject({
    type: z.literal('pagerduty'),
    name: integrationName,
    /** The Events API host; events are POSTed to `<url>/v2/enqueue`. */
    url: toolUrl.default('https://events.pagerduty.com'),
    /** The environment variable (or the secret) holding the integration's routing key. */
    ...secretRef,
    /**
     * The environment variable holding a REST API token: with it each run reads back the PagerDuty incidents of open
     * incidents, and one resolved there is recorded resolved (README "Incident management integrations").
     */
    apiTokenEnv: secretEnv.optional(),
    /** The REST API host the read-back asks (`<apiUrl>/incidents`). */
    apiUrl: toolUrl.default('https://api.pagerduty.com'),
  })
  .refine(oneSecret, ONE_SECRET);

/** Jira (REST API v2): an issue per incident, a comment on acknowledgement, a transition to done on resolution. */
const jiraIntegration = z
  .strictObject({
    type: z.literal('jira'),
    name: integrationName,
    /** The site, such as https://acme.atlassian.net. */
    url: toolUrl,
    project: z.string().regex(/^[A-Z][A-Z0-9_]{0,254}$/, 'must be a Jira project key such as SEC'),
    issueType: z.string().trim().min(1).max(255).default('Task'),
    /** Added to every issue, besides `sox-incident-<id>` (which finds the issue again). */
    labels: z
      .array(z.string().regex(/^[^\s]{1,255}$/, 'must be a Jira label (no spaces)'))
      .max(20)
      .default([]),
    /** The environment variable (or the secret) holding `email:apiToken` for basic authentication. */
    ...secretRef,
  })
  .refine(oneSecret, ONE_SECRET);

export const integrationSchema = z.discriminatedUnion('type', [
  webhookIntegration,
  pagerdutyIntegration,
  jiraIntegration,
]);
export type IntegrationConfig = z.output<typeof integrationSchema>;

export const timezoneSchema = z.string().refine((tz) => IANAZone.isValidZone(tz), {
  message: 'is not a known IANA time zone (for example "America/New_York" or "UTC")',
});

/**
 * Bounds of the settings that shape a report, shared with the parameters a manifest records
 * (analysis/parameters.ts): a manifest read back by `verify --recompute` cannot ask for more than a run could.
 */
export const reportBounds = {
  topN: z.number().int().min(1).max(10_000),
  maxListed: z.number().int().min(1).max(100_000),
  consumerPrefix: z.string().regex(/^[A-Za-z0-9_-]+$/),
  deadlineDays: z.number().int().min(1).max(365),
};

export const configSchema = z
  .strictObject({
    timezone: timezoneSchema.default('UTC'),
    sources: z.array(source).min(1, 'must list at least one source'),
    archive: nonEmpty.default('./reports'),
    email: z
      .strictObject({
        from: z.email('must be an email address'),
        to: z.array(z.email('must be an email address')).min(1, 'must name at least one recipient'),
        outbox: nonEmpty.optional(),
        /** Who an on-demand run may send the report to; without it, only the `to` addresses. */
        allowedRecipients: z
          .array(allowedRecipient)
          .min(1, 'must name at least one address or "@domain" (leave it out to allow only "to")')
          .optional(),
      })
      .optional(),
    capture: z
      .strictObject({
        /** How long capture streams must keep messages; provision sets max_age to at least this. */
        retentionDays: z.number().int().positive().default(400),
        /** max_age of created streams; 0 keeps messages until the retention limit of the account. */
        maxAgeDays: z.number().int().min(0).default(0),
        replicas: z.number().int().min(1).max(5).default(1),
      })
      .default({ retentionDays: 400, maxAgeDays: 0, replicas: 1 })
      .refine((c) => c.maxAgeDays === 0 || c.maxAgeDays >= c.retentionDays, {
        message: 'maxAgeDays must be 0 (no age limit) or at least retentionDays',
        path: ['maxAgeDays'],
      }),
    branding: z
      .strictObject({
        company: nonEmpty.max(200).optional(),
        title: nonEmpty.max(200).default('NATS SOX control report'),
        /** A PNG file, shown on the documents' first page. */
        logo: nonEmpty.optional(),
        accent: z
          .string()
          .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour such as "#1f5f8b"')
          .default('#1f5f8b'),
      })
      .default({ title: 'NATS SOX control report', accent: '#1f5f8b' }),
    /** How bundles are sealed. The embedded default is a P-256 key and self-signed certificate made on first run. */
    signing: z
      .discriminatedUnion('kind', [
        z.strictObject({
          kind: z.literal('local'),
          /** Where the key (0600) and certificate are made on first run; keep it out of the archive. */
          dir: nonEmpty.default('./signing'),
        }),
        z.strictObject({ kind: z.literal('local-files'), keyFile: nonEmpty, certFile: nonEmpty }),
        z.strictObject({
          kind: z.literal('kms'),
          keyId: nonEmpty,
          /** PEM file of the certificate issued for the KMS key (checked against the key at start). */
          certFile: nonEmpty,
          algorithm: z.enum(['ECDSA_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_256']).optional(),
          region: nonEmpty.optional(),
        }),
      ])
      .default({ kind: 'local', dir: './signing' }),
    /**
     * Copies of capture streams kept elsewhere (a disaster-recovery cluster): the remote-mirror control checks them.
     */
    mirrors: z
      .array(
        z.strictObject({
          /** The configured source whose connection reaches the mirror. */
          source: nonEmpty,
          /** The mirror stream. */
          stream: z.string().regex(/^[^\s.*>/\\]+$/, 'must be a JetStream stream name'),
          /** The configured stream it mirrors. */
          of: nonEmpty,
        }),
      )
      .default([]),
    incidents: z
      .strictObject({
        /** NATS subject each newly opened incident is published to, once (in the first source's account). */
        alertSubject: z
          .string()
          .regex(/^[^\s*>]+$/, 'must be a NATS subject without wildcards')
          .optional(),
        /** An incident must be resolved within this many days, or the incident-deadline control fails. */
        deadlineDays: reportBounds.deadlineDays.default(7),
        /**
         * The tools each change of an incident is sent to (README "Incident management integrations"). A secret is
         * named, never written here: `secretEnv` is the environment variable that holds it.
         */
        integrations: z
          .array(integrationSchema)
          .default([])
          .refine(
            (list) => new Set(list.map((i) => i.name)).size === list.length,
            'must not name an integration twice',
          ),
      })
      .default({ deadlineDays: 7, integrations: [] }),
    /** Sign-offs of archived bundles (sox-report attest): where they are recorded and when they are due. */
    review: z
      .strictObject({
        /** The configured source whose account holds the attestation stream; the first source by default. */
        source: nonEmpty.optional(),
        /** The append-only stream of attestations (provision creates it, deny_delete and deny_purge). */
        stream: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, - or _')
          .default('SOX_ATTESTATIONS'),
        /** Attestations are published on `<subjectPrefix>.<daily|adhoc|rollup>`. */
        subjectPrefix: z
          .string()
          .regex(/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/, 'must be dot-separated tokens without wildcards')
          .default('sox.attestations'),
        /** A daily bundle must be attested within this many days, or the reports-reviewed control fails. */
        deadlineDays: reportBounds.deadlineDays.default(3),
        /** How many earlier days each daily report looks back on for their sign-offs. */
        lookbackDays: z.number().int().min(1).max(90).default(14),
      })
      .default({ stream: 'SOX_ATTESTATIONS', subjectPrefix: 'sox.attestations', deadlineDays: 3, lookbackDays: 14 })
      .refine((r) => r.lookbackDays > r.deadlineDays, {
        message: 'must be more than deadlineDays (a report must look back past the deadline)',
        path: ['lookbackDays'],
      }),
    /** Years an archived bundle stays locked after its period ends (S3 Object Lock, COMPLIANCE). */
    retentionYears: z.number().int().min(1).max(100).default(7),
    /** A folder of Handlebars templates that replace the built-in ones of the same name. */
    templates: nonEmpty.optional(),
    report: z
      .strictObject({
        /** Rows kept in each ranked table (by user, by host, by subject). */
        topN: reportBounds.topN.default(50),
        /** Detail rows kept in lists (JetStream changes, unparseable events); counts stay exact. */
        maxListed: reportBounds.maxListed.default(1000),
        /** Prefix of the report's own consumers, so its reads are recognised and not counted as activity. */
        consumerPrefix: reportBounds.consumerPrefix.default('sox-report'),
        /** Longest period one run may cover (ad-hoc and on-demand runs). */
        maxPeriodDays: z.number().int().min(1).max(3660).default(31),
      })
      .default({ topN: 50, maxListed: 1000, consumerPrefix: 'sox-report', maxPeriodDays: 31 }),
    detection: detectionSchema,
  })
  .superRefine((c, ctx) => {
    c.mirrors.forEach((m, i) => {
      if (!c.sources.some((s) => s.name === m.source))
        ctx.addIssue({
          code: 'custom',
          path: ['mirrors', i, 'source'],
          message: `"${m.source}" is not a configured source`,
        });
      if (!c.sources.some((s) => s.streams.some((r) => r.stream === m.of)))
        ctx.addIssue({ code: 'custom', path: ['mirrors', i, 'of'], message: `"${m.of}" is not a configured stream` });
    });
    if (c.review.source !== undefined && !c.sources.some((s) => s.name === c.review.source))
      ctx.addIssue({
        code: 'custom',
        path: ['review', 'source'],
        message: `"${c.review.source}" is not a configured source`,
      });
    const names = new Set<string>();
    c.sources.forEach((s, i) => {
      if (names.has(s.name))
        ctx.addIssue({ code: 'custom', path: ['sources', i, 'name'], message: `"${s.name}" is used twice` });
      names.add(s.name);
    });
  });

export type Config = z.output<typeof configSchema>;
export type SourceConfig = Config['sources'][number];
export type StreamConfig = SourceConfig['streams'][number];
export type NatsConnectionConfig = SourceConfig['nats'];
export type DetectionConfig = Config['detection'];
