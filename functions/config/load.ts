import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { InputError, errorMessage } from '../errors.js';
import { configSchema, type Config } from './schema.js';

/** Formats a zod path as the key a person would look for: sources[0].nats.servers[1]. */
export function keyPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('') || '(top level)';
}

function describeIssues(error: z.ZodError, where: string): string {
  const lines = error.issues.map((issue) => {
    // Never echo a received value: it may be a password or token.
    const key = keyPath(issue.path);
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : issue.message;
    return `  ${key}: ${message}`;
  });
  return `invalid configuration in ${where}:\n${lines.join('\n')}`;
}

export function parseConfig(document: unknown, where = 'configuration'): Config {
  const result = configSchema.safeParse(document);
  if (!result.success) throw new InputError(describeIssues(result.error, where));
  return result.data;
}

export async function loadConfigFile(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read configuration file ${file}: ${errorMessage(err)}`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new InputError(`configuration file ${file} is not valid JSON: ${errorMessage(err)}`);
  }
  return parseConfig(document, file);
}
