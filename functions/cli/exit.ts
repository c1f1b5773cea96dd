import { InputError, errorMessage } from '../errors.js';

/** Prints an error for a person and returns the exit code: 2 for input they can fix, 1 otherwise. */
export function reportError(err: unknown): number {
  process.stderr.write(`sox-report: ${errorMessage(err)}\n`);
  return err instanceof InputError ? 2 : 1;
}
