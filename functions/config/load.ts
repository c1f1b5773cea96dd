import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { InputError, errorMessage } from '../errors.js';
import { issueText } from '../text/zod-issue.js';
import { configSchema, type Config } from './schema.js';

function describeIssues(error: z.ZodError, where: string): string {
  return `invalid configuration in ${where}:\n${error.issues.map((issue) => `  ${issueText(issue)}`).join('\n')}`;
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
  } catch {
    // The parser's own message quotes the text around the error, which may be a password.
    throw new InputError(`configuration file ${file} is not valid JSON${jsonErrorLine(text)}`);
  }
  return parseConfig(document, file);
}

/** " (near line N)" for the first line that does not parse on its own as part of the document, or "". */
function jsonErrorLine(text: string): string {
  const lines = text.split('\n');
  let valid = 0;
  // The longest prefix of whole lines that is still a possible JSON start tells roughly where it breaks.
  for (let i = 1; i <= lines.length; i++) {
    try {
      JSON.parse(lines.slice(0, i).join('\n'));
      return '';
    } catch (err) {
      if (/end of JSON input|Unterminated string/i.test(String(err))) valid = i;
      else return ` (near line ${valid + 1})`;
    }
  }
  return ` (near line ${valid + 1})`;
}
