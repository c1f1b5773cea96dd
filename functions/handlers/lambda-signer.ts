import type { KMSClient } from '@aws-sdk/client-kms';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { InputError } from '../errors.js';
import { createKmsSigner } from '../seal/kms-signer.js';
import type { Signer } from '../seal/signer.js';
import { ENV } from './environment.js';
import { nonEmpty, type Environment } from './lambda-config.js';
import { readParameter } from './ssm-parameter.js';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----/;

/** The KMS key `SOX_KMS_KEY_ID` names, with the certificate from the SSM parameter `SOX_SIGNING_CERT_PARAMETER`. */
export async function lambdaSigner(env: Environment, kms: KMSClient, ssm: SSMClient): Promise<Signer> {
  const keyId = nonEmpty(env[ENV.kmsKeyId]);
  const parameter = nonEmpty(env[ENV.certificateParameter]);
  if (keyId === undefined || parameter === undefined) {
    const missing = [
      keyId === undefined ? ENV.kmsKeyId : null,
      parameter === undefined ? ENV.certificateParameter : null,
    ].filter(Boolean);
    throw new InputError(
      `signing on AWS needs ${ENV.kmsKeyId} (the KMS key) ` +
        `and ${ENV.certificateParameter} (the SSM parameter with its certificate); ${missing.join(' and ')} not set`,
    );
  }
  const certificatePem = await readParameter(ssm, parameter, ENV.certificateParameter);
  checkCertificatePem(certificatePem, parameter, keyId);
  return createKmsSigner({ client: kms, keyId, certificatePem });
}

/**
 * A stack deploys the parameter with a placeholder, since the certificate can only be made once the key exists:
 * say how to make and store the real one rather than failing deep inside X.509 parsing.
 */
export function checkCertificatePem(value: string, parameter: string, keyId: string): void {
  if (PEM_CERTIFICATE.test(value)) return;
  throw new InputError(
    `SSM parameter ${parameter} (${ENV.certificateParameter}) does not hold a PEM certificate ` +
      '("-----BEGIN CERTIFICATE-----" … "-----END CERTIFICATE-----"); ' +
      'it still holds a placeholder or something else. Make the certificate of the signing key with ' +
      `\`sox-report certificate --kms-key ${keyId} --out cert.pem\` and store it with ` +
      `\`aws ssm put-parameter --name ${parameter} --type String --overwrite --value file://cert.pem\``,
  );
}
