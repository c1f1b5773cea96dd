import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateCommand } from '../../../functions/cli/certificate.js';
import { createKmsSigner } from '../../../functions/seal/kms-signer.js';
import { KMS_KEY_ARN, kmsHoldingKey } from '../../support/kms-mock.js';

describe('sox-report certificate: a certificate for a KMS key, signed through kms:Sign', () => {
  const kms = mockClient(KMSClient);
  const client = new KMSClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sox-kms-cert-'));
    kmsHoldingKey(kms, privateKey);
  });
  afterAll(async () => {
    kms.restore();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a self-signed certificate that openssl verifies and the KMS signer accepts', async () => {
    const out = path.join(dir, 'signing-cert.pem');
    expect(await certificateCommand({ kmsKey: 'alias/sox-reports', subject: 'Example Corp', out }, client)).toBe(0);
    const pem = await readFile(out, 'utf8');
    const certificate = new X509Certificate(pem);
    expect(certificate.subject).toBe('O=Example Corp\nCN=nats-sox-reports local signer');
    expect(execFileSync('openssl', ['verify', '-CAfile', out, out], { encoding: 'utf8' }).trim()).toBe(`${out}: OK`);
    // Only GetPublicKey and one Sign (over the TBS digest) reached KMS: the private key never left it.
    expect(kms.commandCalls(SignCommand).map((c) => [c.args[0].input.KeyId, c.args[0].input.MessageType])).toEqual([
      [KMS_KEY_ARN, 'DIGEST'],
    ]);
    expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(1);
    const signer = await createKmsSigner({ client, keyId: 'alias/sox-reports', certificatePem: pem });
    expect(signer.keyId).toBe(KMS_KEY_ARN);
  });

  it('never overwrites an existing file', async () => {
    const out = path.join(dir, 'existing.pem');
    await writeFile(out, 'keep me');
    expect(await certificateCommand({ kmsKey: 'alias/sox-reports', out }, client)).toBe(1);
    expect(await readFile(out, 'utf8')).toBe('keep me');
  });
});
