import type { SSMClient } from '@aws-sdk/client-ssm';
import { parseConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { InputError } from '../errors.js';
import { ENV } from './environment.js';
import { readParameter } from './ssm-parameter.js';

export type Environment = Readonly<Record<string, string | undefined>>;

/** The longest period allowed when neither the environment nor the configuration says (the schema's default). */
export const DEFAULT_MAX_PERIOD_DAYS = 31;
const MAX_PERIOD_DAYS_LIMIT = 3660;

/** The configuration document from `SOX_CONFIG`, or from the SSM parameter `SOX_CONFIG_PARAMETER`; validated. */
export async function loadLambdaConfig(env: Environment, ssm: SSMClient): Promise<Config> {
  const inline = nonEmpty(env[ENV.config]);
  const parameter = nonEmpty(env[ENV.configParameter]);
  if (inline !== undefined && parameter !== undefined) {
    throw new InputError(
      `set either ${ENV.config} or ${ENV.configParameter}, not both: which configuration applies would be a guess`,
    );
  }
  if (inline !== undefined) return parseDocument(inline, `environment variable ${ENV.config}`);
  if (parameter !== undefined) {
    const text = await readParameter(ssm, parameter, ENV.configParameter);
    const where = `SSM parameter ${parameter}`;
    // The stack deploys the parameter with a placeholder: say how to store the document rather than "not JSON".
    if (!text.trimStart().startsWith('{')) {
      throw new InputError(
        `invalid configuration in ${where}: it holds no JSON document yet (a placeholder?). ` +
          'Store the configuration with `aws ssm put-parameter ' +
          `--name ${parameter} --type String --overwrite --value file://sox-report.json\``,
      );
    }
    return parseDocument(text, where);
  }
  throw new InputError(
    `no configuration: set ${ENV.config} (the JSON document) ` +
      `or ${ENV.configParameter} (the name of an SSM parameter holding it)`,
  );
}

function parseDocument(text: string, where: string): Config {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // The parser's message quotes the text around the error, which may hold a password.
    throw new InputError(`invalid configuration in ${where}: it is not valid JSON`);
  }
  return parseConfig(document, where);
}

/** `SOX_MAX_PERIOD_DAYS` when set (a deployment's limit), else the configuration's `report.maxPeriodDays`. */
export function maxPeriodDays(env: Environment, config: Config): number {
  const text = nonEmpty(env[ENV.maxPeriodDays]);
  if (text === undefined) return config.report.maxPeriodDays ?? DEFAULT_MAX_PERIOD_DAYS;
  const days = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(days) || days < 1 || days > MAX_PERIOD_DAYS_LIMIT) {
    throw new InputError(
      `${ENV.maxPeriodDays} must be a whole number of days from 1 to ${MAX_PERIOD_DAYS_LIMIT}, ` +
        `not ${JSON.stringify(text)}`,
    );
  }
  return days;
}

export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
