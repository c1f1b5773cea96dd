import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  GetPublicKeyCommand,
  SignCommand,
  type KMSClientResolvedConfig,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  type SignCommandInput,
} from '@aws-sdk/client-kms';
import type { AwsStub } from 'aws-sdk-client-mock';
import { signDigestWithKey } from '../../functions/seal/local-signer.js';

export const KMS_KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** A KMS stand-in backed by a real key: its signatures verify exactly as KMS's would. */
export function kmsHoldingKey(
  kms: AwsStub<ServiceInputTypes, ServiceOutputTypes, KMSClientResolvedConfig>,
  privateKey: KeyObject,
  keySpec = 'ECC_NIST_P256',
  signingAlgorithm = 'ECDSA_SHA_256',
): void {
  kms.on(GetPublicKeyCommand).resolves({
    KeyId: KMS_KEY_ARN,
    PublicKey: new Uint8Array(createPublicKey(privateKey).export({ type: 'spki', format: 'der' })),
    KeySpec: keySpec as 'ECC_NIST_P256',
    KeyUsage: 'SIGN_VERIFY',
    SigningAlgorithms: [signingAlgorithm as 'ECDSA_SHA_256'],
  });
  kms.on(SignCommand).callsFake((input: SignCommandInput) => ({
    KeyId: KMS_KEY_ARN,
    SigningAlgorithm: input.SigningAlgorithm,
    Signature: signDigestWithKey(privateKey, input.Message ?? new Uint8Array()),
  }));
}
