import type { Config, SourceConfig, StreamConfig } from '../config/schema.js';
import { InputError } from '../errors.js';

export const SYSTEM_EVENT_SUBJECTS = [
  '$SYS.ACCOUNT.*.CONNECT',
  '$SYS.ACCOUNT.*.DISCONNECT',
  '$SYS.SERVER.*.CLIENT.AUTH.ERR',
  '$SYS.ACCOUNT.*.LEAFNODE.CONNECT',
];

/** The settings a capture stream needs to be evidence: file-backed, append-only, nothing dropped early. */
export interface CaptureStreamSpec {
  name: string;
  subjects: string[];
  storage: 'file';
  retention: 'limits';
  discard: 'old';
  deny_delete: true;
  deny_purge: true;
  allow_rollup_hdrs: false;
  /** Nanoseconds; 0 keeps messages with no age limit. */
  max_age: number;
  /** At least this long: the retention the evidence needs. */
  min_age: number;
  num_replicas: number;
  /** 2.10.17+ refuses a stream over $SYS.SERVER.*.CLIENT.AUTH.ERR that would answer publishes. */
  no_ack: boolean;
}

const DAY_NS = 86_400 * 1e9;

/**
 * The subjects a stream captures. Advisories of the reading account arrive as $JS.EVENT.ADVISORY.>, those
 * of another account through an import with the account's name as prefix (hub.conf's layout).
 */
export function captureSubjects(source: SourceConfig, ref: StreamConfig, readingAccount: string | null): string[] {
  if (ref.subjects) return ref.subjects;
  switch (ref.kind) {
    case 'system-events':
      return SYSTEM_EVENT_SUBJECTS;
    case 'advisories': {
      const own = readingAccount ?? source.account ?? null;
      if (!ref.account || ref.account === own) return ['$JS.EVENT.ADVISORY.>'];
      if (own === null) {
        throw new InputError(
          `source "${source.name}": stream ${ref.stream}: cannot tell whether account ${ref.account} is the ` +
            'reading account ' +
            '(the server does not say which account this user is in); set the source\'s "account" or the ' +
            'stream\'s "subjects"',
        );
      }
      return [`${ref.account}.$JS.EVENT.ADVISORY.>`];
    }
    case 'transactions':
      // The application's own stream: provision checks it but creates it only when told its subjects.
      return [];
  }
}

/** What makes a stream a record nobody can rewrite from the API: the settings every record stream shares. */
export const TAMPER_RESISTANT = {
  storage: 'file',
  retention: 'limits',
  discard: 'old',
  deny_delete: true,
  deny_purge: true,
  allow_rollup_hdrs: false,
} as const;

export function captureSpec(
  config: Config,
  source: SourceConfig,
  ref: StreamConfig,
  readingAccount: string | null,
): CaptureStreamSpec {
  const subjects = captureSubjects(source, ref, readingAccount);
  return {
    name: ref.stream,
    subjects,
    ...TAMPER_RESISTANT,
    max_age: config.capture.maxAgeDays * DAY_NS,
    min_age: config.capture.retentionDays * DAY_NS,
    num_replicas: config.capture.replicas,
    no_ack: subjects.some((s) => s.startsWith('$SYS.SERVER.')),
  };
}

/** What an existing stream's configuration looks like, as far as tamper resistance goes. */
export interface ExistingStreamConfig {
  subjects?: string[];
  storage?: string;
  retention?: string;
  discard?: string;
  deny_delete?: boolean;
  deny_purge?: boolean;
  allow_rollup_hdrs?: boolean;
  max_age?: number;
  max_msgs?: number;
  max_bytes?: number;
  max_msgs_per_subject?: number;
  no_ack?: boolean;
}

export type StreamPlan =
  | { action: 'create'; spec: CaptureStreamSpec }
  | { action: 'absent'; spec: CaptureStreamSpec }
  | { action: 'ok'; spec: CaptureStreamSpec }
  | { action: 'drift'; spec: CaptureStreamSpec; findings: string[] };

/** Compares an existing stream with what it must be. Never proposes to change it: weaker settings are drift. */
export function planStream(spec: CaptureStreamSpec, existing: ExistingStreamConfig | null): StreamPlan {
  if (existing === null) return spec.subjects.length ? { action: 'create', spec } : { action: 'absent', spec };
  const findings: string[] = [];
  const missing = spec.subjects.filter((s) => !(existing.subjects ?? []).includes(s));
  if (missing.length) findings.push(`does not capture ${missing.join(', ')}`);
  if (existing.storage !== 'file') findings.push(`storage is ${existing.storage ?? 'unset'}, not file`);
  if (existing.retention !== undefined && existing.retention !== 'limits')
    findings.push(`retention is ${existing.retention}, not limits (messages are removed once read)`);
  if (existing.discard !== 'old')
    findings.push(`discard is ${existing.discard ?? 'unset'}, not old (new events would be refused when full)`);
  if (!existing.deny_delete) findings.push('deny_delete is off (messages can be deleted)');
  if (!existing.deny_purge) findings.push('deny_purge is off (the stream can be purged)');
  if (existing.allow_rollup_hdrs) findings.push('allow_rollup_hdrs is on (a roll-up message can replace the record)');
  if ((existing.max_age ?? 0) > 0 && existing.max_age! < spec.min_age) {
    findings.push(
      `max_age is ${Math.round(existing.max_age! / DAY_NS)} days, shorter than the ` +
        `${Math.round(spec.min_age / DAY_NS)} days retention`,
    );
  }
  for (const limit of ['max_msgs', 'max_bytes', 'max_msgs_per_subject'] as const) {
    if ((existing[limit] ?? -1) > 0)
      findings.push(`${limit} is ${existing[limit]} (the oldest events are dropped silently when it is reached)`);
  }
  if (spec.no_ack && !existing.no_ack)
    findings.push('no_ack is off (nats-server 2.10.17+ needs it for $SYS.SERVER.*.CLIENT.AUTH.ERR)');
  return findings.length ? { action: 'drift', spec, findings } : { action: 'ok', spec };
}
