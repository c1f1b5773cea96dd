/**
 * Every error a caller may tell apart, defined or re-exported here: one place to import them from. The archive
 * port's own errors stay with the port (a leaf), which documents when each is thrown.
 */
export { BundleExistsError, NotRegularFileError, TooLargeError } from './archive/port.js';

/**
 * What a person gives a run or `verify` by name. Each shell has its own word for it (the CLI `--date`, the Lambda
 * payload `"date"`), so the core says which one, never how it is written.
 */
export type InputField =
  | 'date'
  | 'from'
  | 'to'
  | 'trust'
  | 'bundle'
  | 'by'
  | 'decision'
  | 'note'
  | 'month'
  | 'quarter'
  | 'year'
  | 'rollup'
  | 'slices';

/** What is wrong with the input, as data; `wordInput` puts it in a shell's words. */
export type InputIssue =
  /** `--date: "2026-02-30" is not a calendar date` */
  | { field: InputField; problem: string }
  /** `--to needs --from` */
  | { field: InputField; needs: InputField }
  /** `use either --date or --from/--to, not both` */
  | { field: InputField; notWith: readonly InputField[] }
  /** `--from 2026-02-03 is after --to 2026-02-01` */
  | { field: InputField; value: string; isAfter: { field: InputField; value: string } };

/** Each input as a shell names it: `(field) => \`--${field}\`` on the command line. */
export type InputNamer = (field: InputField) => string;

export function wordInput(issue: InputIssue, name: InputNamer): string {
  if ('problem' in issue) return `${name(issue.field)}: ${issue.problem}`;
  if ('needs' in issue) return `${name(issue.field)} needs ${name(issue.needs)}`;
  if ('notWith' in issue) return `use either ${name(issue.field)} or ${issue.notWith.map(name).join('/')}, not both`;
  return `${name(issue.field)} ${issue.value} is after ${name(issue.isAfter.field)} ${issue.isAfter.value}`;
}

/**
 * Input the user can fix (config, period, arguments): the CLI exits 2 and prints the message. An error about a
 * named input carries it as `issue`, and its message names the input plainly (`date: …`) until a shell words it.
 */
export class InputError extends Error {
  override name = 'InputError';
  readonly issue: InputIssue | null;

  constructor(detail: string | InputIssue, options?: ErrorOptions) {
    super(typeof detail === 'string' ? detail : wordInput(detail, (field) => field), options);
    this.issue = typeof detail === 'string' ? null : detail;
  }

  /** The message with each input named as a shell names it. */
  worded(name: InputNamer): string {
    return this.issue ? wordInput(this.issue, name) : this.message;
  }
}

/** The report could not be produced (server unreachable, archive unwritable): the CLI exits 1. */
export class RunError extends Error {
  override name = 'RunError';
}

/**
 * NATS stayed out of reach longer than the run may wait (source/nats-steps.ts): the message names the source, its
 * servers, the step, how long it waited and what the run had done before.
 */
export class NatsUnavailableError extends RunError {
  override name = 'NatsUnavailableError';
}

/** Objects under a bundle's path that this software did not leave there: the run stops and names them. */
export class ForeignObjectsError extends RunError {
  override name = 'ForeignObjectsError';
}

/** The incident stream is not there: nothing has been recorded in this account yet. */
export class IncidentStreamMissingError extends RunError {
  override name = 'IncidentStreamMissingError';
}

export class IncidentNotFoundError extends InputError {
  override name = 'IncidentNotFoundError';
}

export class IncidentAlreadyResolvedError extends InputError {
  override name = 'IncidentAlreadyResolvedError';
}

/** A send that SES refused or that never reached it; says what and to how many, never what the message held. */
export class SesSendError extends RunError {
  override name = 'SesSendError';
  constructor(
    message: string,
    /** The SES exception name (`MessageRejected`, `TooManyRequestsException`, …), for callers that tell them apart. */
    readonly sesError: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Raised while rendering; carries the innermost template or partial that failed. */
export class TemplateRenderError extends Error {
  override name = 'TemplateRenderError';
}

/** An evidence file that is not one: the message names the line. */
export class EvidenceFormatError extends Error {
  override name = 'EvidenceFormatError';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
