import { InputError, errorMessage, type InputNamer } from '../errors.js';
import { redactCredentials } from '../text/redact.js';
import { visible, visibleLines } from '../text/visible.js';

/**
 * Text as it may reach a person's terminal: no password of a server URL, and no character that acts on the
 * screen (escape sequences, bidi overrides). Line breaks stay: callers print several lines of their own at once.
 */
export function shown(text: string): string {
  return visibleLines(redactCredentials(text));
}

/**
 * One line of output that carries values from events or servers: the blank lines the caller puts before it stay,
 * every other line break is the data's own and is shown escaped, so a name cannot start a line of its own.
 */
export function shownLine(text: string): string {
  const blank = /^\n*/.exec(text)![0];
  return `${blank}${visible(redactCredentials(text.slice(blank.length)))}`;
}

/** The command line's word for an input the core names: its option. */
export const optionName: InputNamer = (field) => `--${field}`;

/** Prints an error for a person and returns the exit code: 2 for input they can fix, 1 otherwise. */
export function reportError(err: unknown, namer: InputNamer = optionName): number {
  const message = err instanceof InputError ? err.worded(namer) : errorMessage(err);
  process.stderr.write(`sox-report: ${shown(message)}\n`);
  return err instanceof InputError ? 2 : 1;
}
