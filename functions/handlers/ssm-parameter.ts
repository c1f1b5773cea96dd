import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { RunError, errorMessage } from '../errors.js';
import type { EnvName } from './environment.js';

/**
 * The value of an SSM parameter (SecureString decrypted). Errors name the parameter and the variable that named
 * it, and quote only SSM's error, never a value.
 */
export async function readParameter(ssm: SSMClient, name: string, namedBy: EnvName): Promise<string> {
  let value: string | undefined;
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    value = out.Parameter?.Value;
  } catch (err) {
    const code = err instanceof Error ? err.name : 'Error';
    const hint = code === 'ParameterNotFound' ? ' (the parameter does not exist in this account and region)' : '';
    throw new RunError(`SSM GetParameter ${name} (named by ${namedBy}) failed: ${code}: ${errorMessage(err)}${hint}`, {
      cause: err,
    });
  }
  if (value === undefined) throw new RunError(`SSM parameter ${name} (named by ${namedBy}) has no value`);
  return value;
}
