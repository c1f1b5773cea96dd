import { writeFile } from 'node:fs/promises';
import { KMSClient } from '@aws-sdk/client-kms';
import { selfSignedCertificateFor } from '../seal/certificate.js';
import { openKmsKey } from '../seal/kms-signer.js';
import { reportError } from './exit.js';

export interface CertificateOptions {
  kmsKey: string;
  subject?: string;
  region?: string;
  out?: string;
}

/**
 * Makes the self-signed certificate a KMS signing key needs (the configuration's `signing.certFile`, or on AWS the
 * SSM parameter `SOX_SIGNING_CERT_PARAMETER`): signed by the key itself through kms:Sign, so the private key never
 * leaves KMS.
 */
export async function certificateCommand(opts: CertificateOptions, client?: KMSClient): Promise<number> {
  try {
    const kms = client ?? new KMSClient(opts.region ? { region: opts.region } : {});
    const key = await openKmsKey(kms, opts.kmsKey);
    const pem = await selfSignedCertificateFor(key.publicKey, key, opts.subject ?? '', new Date());
    if (opts.out) {
      await writeFile(opts.out, pem, { flag: 'wx' });
      process.stderr.write(`certificate for ${key.keyArn} written to ${opts.out}\n`);
    } else {
      process.stdout.write(pem);
    }
    return 0;
  } catch (err) {
    return reportError(err);
  }
}
