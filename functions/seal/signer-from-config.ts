import { readFile } from 'node:fs/promises';
import { KMSClient } from '@aws-sdk/client-kms';
import type { Config } from '../config/schema.js';
import { InputError } from '../errors.js';
import { createKmsSigner } from './kms-signer.js';
import { loadOrCreateLocalSigner } from './local-signer.js';
import type { Signer } from './signer.js';

/** Builds the configured signer; a KMS client can be handed in (tests, Lambda's shared client). */
export async function signerFromConfig(config: Config, options: { kms?: KMSClient } = {}): Promise<Signer> {
  const signing = config.signing;
  switch (signing.kind) {
    case 'local':
      return loadOrCreateLocalSigner({ dir: signing.dir, subject: config.branding.company ?? '' });
    case 'local-files':
      return loadOrCreateLocalSigner({ keyFile: signing.keyFile, certFile: signing.certFile });
    case 'kms': {
      let certificatePem: string;
      try {
        certificatePem = await readFile(signing.certFile, 'utf8');
      } catch (err) {
        throw new InputError(
          `signing.certFile: cannot read ${signing.certFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      }
      const client = options.kms ?? new KMSClient(signing.region ? { region: signing.region } : {});
      return createKmsSigner({
        client,
        keyId: signing.keyId,
        certificatePem,
        ...(signing.algorithm ? { algorithm: signing.algorithm } : {}),
      });
    }
  }
}
