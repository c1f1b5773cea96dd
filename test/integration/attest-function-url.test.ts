import { createHash } from 'node:crypto';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureAttestationStream, readAttestations } from '../../functions/attest/stream.js';
import { demoConfig } from '../../functions/cli/demo.js';
import { parseConfig } from '../../functions/config/load.js';
import type { Config } from '../../functions/config/schema.js';
import type { AwsClients } from '../../functions/handlers/aws-clients.js';
import { createAttestHandler } from '../../functions/handlers/attest.js';
import { ENV } from '../../functions/handlers/environment.js';
import { connectSource } from '../../functions/source/connect.js';
import { functionUrlEvent, REVIEWER } from '../support/function-url.js';
import { startTestBed, type TestBed } from '../support/hub.js';
import {
  captureOutput,
  NATS_SECRET_ARN,
  handlerDeps,
  lambdaContext,
  mockedClients,
  type MockedClients,
} from '../support/lambda-fakes.js';
import { FakeBucket } from '../support/s3-fake.js';

/**
 * The attest function as deployed, but for AWS: function URL events into the handler, the real core, a real
 * nats-server (the hub layout) whose attestation stream records the sign-off, the NATS credentials from a mocked
 * Secrets Manager (the configuration holds none), and the archive on an in-memory S3 bucket holding one manifest.
 */
const NOW = Date.parse('2026-11-26T15:00:00Z');
const MANIFEST = new TextEncoder().encode('{"schema":"sox-report-manifest/v2","bundle":"daily/2026/11/24"}\n');
const MANIFEST_SHA256 = createHash('sha256').update(MANIFEST).digest('hex');

let bed: TestBed;
/** The configuration the function reads (SOX_CONFIG): the test bed's, without passwords, archived on S3. */
let lambdaDocument: Record<string, unknown>;
let config: Config;
let bucket: FakeBucket;
let aws: MockedClients;
let output: ReturnType<typeof captureOutput>;

beforeAll(async () => {
  bed = await startTestBed('2.10.27');
  const document = demoConfig(bed.hub.url, bed.hub.passwords, '/unused') as Record<string, unknown>;
  const sources = (document.sources as { nats: Record<string, unknown> }[]).map((source) => {
    const { user: _user, pass: _pass, ...nats } = source.nats;
    return { ...source, nats };
  });
  lambdaDocument = { ...document, sources, archive: 's3://sox-evidence/reports', signing: undefined, email: undefined };
  config = parseConfig(JSON.parse(JSON.stringify(lambdaDocument)));
  const nc = await connectSource(bed.config.sources[0]!.name, bed.config.sources[0]!.nats);
  await ensureAttestationStream(await jetstreamManager(nc), bed.config);
  await nc.close();
}, 60_000);

afterAll(async () => {
  await bed?.close();
});

beforeEach(() => {
  bucket = new FakeBucket();
  bucket.plant('reports/daily/2026/11/24/manifest.json', MANIFEST);
  aws = mockedClients();
  output = captureOutput();
});
afterEach(() => {
  output.restore();
  aws.restore();
  bucket.restore();
});

/** Stores the NATS secret as an operator would; `auditPass` replaces the audit user's password. */
function natsSecret(auditPass = bed.hub.passwords.audit): void {
  aws.mocks.secrets.on(GetSecretValueCommand, { SecretId: NATS_SECRET_ARN }).resolves({
    SecretString: JSON.stringify({
      audit: { user: 'audit', pass: auditPass },
      app: { user: 'app', pass: bed.hub.passwords.app },
    }),
  });
}

async function post(body: unknown, options: { iam?: null } = {}) {
  const clients: AwsClients = { ...aws.clients, s3: bucket.client };
  const env = { [ENV.config]: JSON.stringify(lambdaDocument), [ENV.natsSecretArn]: NATS_SECRET_ARN };
  const handler = createAttestHandler(handlerDeps(env, clients, NOW));
  return handler(functionUrlEvent({ body: JSON.stringify(body), ...options }), lambdaContext('req-attest'));
}

async function recorded() {
  const nc = await connectSource(bed.config.sources[0]!.name, bed.config.sources[0]!.nats);
  try {
    return (await readAttestations(nc, config))!;
  } finally {
    await nc.close();
  }
}

describe('the attest function URL with the real core and a real nats-server', () => {
  it("records the sign-off with the caller's IAM principal and the manifest's hash, and returns it", async () => {
    natsSecret();
    const before = (await recorded()).attestations.length;
    const response = await post({ date: '2026-11-24', decision: 'approved' });
    const expected = {
      schema: 'sox-report-attestation/v1',
      bundle: 'daily/2026/11/24',
      decision: 'approved',
      note: null,
      by: REVIEWER,
      manifestSha256: MANIFEST_SHA256,
      at: '2026-11-26T15:00:00.000000000Z',
      identity: { nats: { account: 'AUDIT', user: 'audit' }, iamPrincipal: REVIEWER },
    };
    expect({ ...response, body: JSON.parse(response.body) }).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: expected,
    });
    const record = await recorded();
    expect(record.anomalies).toEqual([]);
    expect(record.attestations.slice(before).map((s) => s.attestation)).toEqual([expected]);
  });

  it('400 for an exception without a note, and for a bundle that is not archived: nothing recorded', async () => {
    natsSecret();
    const before = (await recorded()).attestations.length;
    const noNote = await post({ date: '2026-11-24', decision: 'exception', note: '  ' });
    expect({ ...noNote, body: JSON.parse(noNote.body) }).toMatchObject({
      statusCode: 400,
      body: {
        ok: false,
        error: { code: 'bad-input', message: '"note": an exception needs a note saying what is wrong' },
      },
    });
    const missing = await post({ bundle: 'daily/2026/11/23', decision: 'approved' });
    expect(JSON.parse(missing.body)).toEqual({
      ok: false,
      error: {
        code: 'bad-input',
        message:
          '"bundle": the daily bundle of 2026-11-23 (daily/2026/11/23) is not in the archive (no manifest.json): ' +
          'nothing to attest',
      },
    });
    expect(missing.statusCode).toBe(400);
    expect((await recorded()).attestations.length).toBe(before);
  });

  it('403 without the IAM authorizer: nothing read, nothing recorded', async () => {
    natsSecret();
    const before = (await recorded()).attestations.length;
    const response = await post({ date: '2026-11-24', decision: 'approved' }, { iam: null });
    expect(response.statusCode).toBe(403);
    expect(aws.calls() + bucket.mock.calls().length).toBe(0);
    expect((await recorded()).attestations.length).toBe(before);
  });

  it('500 when NATS refuses the stored credentials: no password in the response or the log', async () => {
    natsSecret('wrong-password-Zq9');
    const response = await post({ date: '2026-11-24', decision: 'approved' });
    expect(response).toEqual({
      statusCode: 500,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        ok: false,
        error: {
          code: 'failed',
          message: "the attestation could not be recorded; the function's log says why (request req-attest)",
        },
      }),
    });
    const logged = output.text();
    expect(logged).toContain(
      '"message":"attestation failed: cannot connect to NATS for source \\"audit\\" at nats://127.0.0.1:' +
        `${new URL(bed.hub.url).port}: Authorization Violation ` +
        '(check the user, password, token or creds of this source)"',
    );
    for (const secret of ['wrong-password-Zq9', bed.hub.passwords.audit, bed.hub.passwords.app])
      expect(logged).not.toContain(secret);
  }, 60_000);
});
