import { InputError, errorMessage, type InputNamer } from '../errors.js';
import { redactCredentials } from '../text/redact.js';
import { visibleLines } from '../text/visible.js';

/**
 * Text as it may reach a person's terminal: no password of a server URL, and no character that acts on the
 * screen (escape sequences, bidi overrides). Line breaks stay: callers print several lines of their own at once.
 */
export function shown(text: string): string {
  return visibleLines(redactCredentials(text));
}

/** The command line's word for an input the core names: its option. */
export const optionName: InputNamer = (field) => `--${field}`;

/** Prints an error for a person and returns the exit code: 2 for input they can fix, 1 otherwise. */
export function reportError(err: unknown, namer: InputNamer = optionName): number {
  const message = err instanceof InputError ? err.worded(namer) : errorMessage(err);
  process.stderr.write(`sox-report: ${shown(message)}\n`);
  return err instanceof InputError ? 2 : 1;
}
