/**
 * The core of a sign-off, shared by `sox-report attest` and the Lambda attest function: check the request, find the
 * bundle's manifest in the archive and hash its exact bytes, and append the attestation to the record.
 */
import { createHash } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { MANIFEST } from '../archive/layout.js';
import type { Config, SourceConfig } from '../config/schema.js';
import { InputError } from '../errors.js';
import type { Ports } from '../pipeline/contracts.js';
import { connectWithin } from '../source/nats-steps.js';
import { ownIdentity } from '../source/own-identity.js';
import { formatInstant } from '../time/nanos.js';
import { ATTESTATION_SCHEMA, type Attestation, type AttestationIdentity, type AttestationRequest } from './model.js';
import { checkAttestationRequest, describeBundle } from './request.js';
import { appendAttestation, reviewSource } from './stream.js';

/** A manifest larger than this is no manifest this software wrote (archive/verify-limits.ts allows 4 MiB). */
export const MANIFEST_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Who the connection is, as the server vouches for it (source/own-identity.ts: USER.INFO, or its own CONNZ entry
 * on nats-server 2.9), with the JWTs' names in operator mode; where the server says nothing, the configured account
 * and user stand in (null where the configuration names none).
 */
export async function natsIdentity(nc: NatsConnection, source: SourceConfig): Promise<AttestationIdentity['nats']> {
  const own = await ownIdentity(nc);
  if (own !== null) return own;
  return { account: source.account ?? null, user: source.nats.user ?? null };
}

/** The archived manifest's bytes and their SHA-256; an InputError naming the bundle when it is not archived. */
export async function archivedManifest(
  archive: Ports['archive'],
  bundle: string,
): Promise<{ bytes: Uint8Array; sha256: string }> {
  const bytes = await archive.read(`${bundle}/${MANIFEST}`, { maxBytes: MANIFEST_MAX_BYTES });
  if (bytes === null) {
    throw new InputError({
      field: 'bundle',
      problem: `${describeBundle(bundle)} is not in the archive (no ${MANIFEST}): nothing to attest`,
    });
  }
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * Records a reviewer's sign-off of one archived bundle and returns it as recorded. It attests exactly the manifest's
 * bytes as archived now (their SHA-256); several reviewers may attest one bundle, and nothing is ever replaced.
 */
export async function attest(
  config: Config,
  ports: Pick<Ports, 'archive' | 'connect' | 'now'>,
  request: AttestationRequest,
  identity: { iamPrincipal: string | null },
): Promise<Attestation> {
  const checked = checkAttestationRequest(request);
  const manifest = await archivedManifest(ports.archive, checked.bundle);
  const source = reviewSource(config);
  const nc = await connectWithin(source, (s) => ports.connect(s), { purpose: 'to record the attestation' });
  try {
    const attestation: Attestation = {
      schema: ATTESTATION_SCHEMA,
      ...checked,
      manifestSha256: manifest.sha256,
      at: formatInstant(ports.now()),
      identity: { nats: await natsIdentity(nc, source), iamPrincipal: identity.iamPrincipal },
    };
    await appendAttestation(nc, config, attestation);
    return attestation;
  } finally {
    await nc.close().catch(() => undefined);
  }
}
