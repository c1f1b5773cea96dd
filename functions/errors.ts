/** Input the user can fix (config, period, arguments): the CLI exits 2 and prints the message. */
export class InputError extends Error {
  override name = 'InputError';
}

/** The report could not be produced (server unreachable, archive unwritable): the CLI exits 1. */
export class RunError extends Error {
  override name = 'RunError';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
