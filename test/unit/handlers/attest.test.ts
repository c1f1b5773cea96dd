import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Attestation } from '../../../functions/attest/model.js';
import { InputError, RunError } from '../../../functions/errors.js';
import { ENV } from '../../../functions/handlers/environment.js';
import { createAttestHandler, type AttestCore } from '../../../functions/handlers/attest.js';
import { nanosFromMillis } from '../../../functions/time/nanos.js';
import { functionUrlEvent, REVIEWER } from '../../support/function-url.js';
import {
  captureOutput,
  handlerDeps,
  lambdaConfigDocument,
  lambdaContext,
  mockedClients,
  type MockedClients,
} from '../../support/lambda-fakes.js';

/**
 * The attest handler with function URL events, the core handed in: what reaches the core (the request, the identity
 * from the request context, ports on the configured archive) and what the caller gets back for each outcome. The
 * same handler with the real core, against a real nats-server, is in test/integration/attest-function-url.test.ts.
 */
const NOW = Date.parse('2026-11-26T15:00:00Z');
const JSON_HEADERS = { 'content-type': 'application/json' };

type CoreCall = Parameters<AttestCore>;

let aws: MockedClients;
let output: ReturnType<typeof captureOutput>;
let calls: CoreCall[];

beforeEach(() => {
  aws = mockedClients();
  output = captureOutput();
  calls = [];
});
afterEach(() => {
  output.restore();
  aws.restore();
});

/** The core's answer: the request as recorded, with the identity it was given. */
function recorded(request: CoreCall[2], identity: CoreCall[3]): Attestation {
  return {
    schema: 'sox-report-attestation/v1',
    ...request,
    manifestSha256: 'ab'.repeat(32),
    at: '2026-11-26T15:00:00.000000000Z',
    identity: { nats: { account: 'AUDIT', user: null }, iamPrincipal: identity.iamPrincipal },
  };
}

const recordingCore: AttestCore = async (...args) => {
  calls.push(args);
  return recorded(args[2], args[3]);
};

async function post(
  body: unknown,
  options: { iam?: Record<string, string> | null; env?: Record<string, string>; core?: AttestCore } = {},
) {
  const env = { [ENV.config]: JSON.stringify(lambdaConfigDocument()), ...options.env };
  const handler = createAttestHandler(handlerDeps(env, aws.clients, NOW), options.core ?? recordingCore);
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return handler(functionUrlEvent({ body: text, iam: options.iam }), lambdaContext('req-attest'));
}

const refusal = (statusCode: number, code: string, message: string) => ({
  statusCode,
  headers: JSON_HEADERS,
  body: JSON.stringify({ ok: false, error: { code, message } }),
});

describe("the attest handler records the caller's IAM principal", () => {
  it("200: the date's daily bundle, by defaulting to the principal ARN, and the attestation as recorded", async () => {
    const response = await post({ date: '2026-11-24', decision: 'approved' });
    const request = { bundle: 'daily/2026/11/24', decision: 'approved', note: null, by: REVIEWER };
    expect(response).toEqual({
      statusCode: 200,
      headers: JSON_HEADERS,
      body: JSON.stringify(recorded(request as CoreCall[2], { iamPrincipal: REVIEWER })),
    });
    expect(calls).toHaveLength(1);
    const [config, ports, asked, identity] = calls[0]!;
    expect(asked).toEqual(request);
    expect(identity).toEqual({ iamPrincipal: REVIEWER });
    expect(config.timezone).toBe('America/New_York');
    expect(Object.keys(ports).sort()).toEqual(['archive', 'connect', 'now']);
    expect(ports.now()).toBe(nanosFromMillis(NOW));
    // No secret is configured: nothing was asked of AWS.
    expect(aws.calls()).toBe(0);
    const logged = output.text();
    expect(logged).toContain('"message":"attestation recorded"');
    expect(logged).toContain(`"iamPrincipal":"${REVIEWER}"`);
  });

  it('keeps a typed "by" beside the principal, never instead of it', async () => {
    const response = await post({
      bundle: 'adhoc/20261120T00Z_20261125T1730Z',
      decision: 'exception',
      note: 'ticket SOX-42: late access review',
      by: 'Alice Auditor',
    });
    expect(response.statusCode).toBe(200);
    expect(calls[0]![2]).toEqual({
      bundle: 'adhoc/20261120T00Z_20261125T1730Z',
      decision: 'exception',
      note: 'ticket SOX-42: late access review',
      by: 'Alice Auditor',
    });
    expect(calls[0]![3]).toEqual({ iamPrincipal: REVIEWER });
    expect(JSON.parse(response.body).identity.iamPrincipal).toBe(REVIEWER);
  });

  it('reads a base64-encoded body', async () => {
    const handler = createAttestHandler(
      handlerDeps({ [ENV.config]: JSON.stringify(lambdaConfigDocument()) }, aws.clients, NOW),
      recordingCore,
    );
    const event = functionUrlEvent({ body: '{"date":"2026-11-24","decision":"approved"}', base64: true });
    const response = await handler(event, lambdaContext());
    expect(response.statusCode).toBe(200);
    expect(calls[0]![2].bundle).toBe('daily/2026/11/24');
  });
});

describe('403 without an IAM identity, before the body is read', () => {
  const message = 'no IAM identity: call the function URL with a request signed by an IAM principal (SigV4)';

  it('no authorizer in the request context', async () => {
    expect(await post({ date: '2026-11-24', decision: 'approved' }, { iam: null })).toEqual(
      refusal(403, 'forbidden', message),
    );
    expect(calls).toEqual([]);
  });

  it('an IAM authorizer without a user ARN, a typed "by" notwithstanding', async () => {
    expect(await post({ date: '2026-11-24', decision: 'approved', by: REVIEWER }, { iam: { userArn: '' } })).toEqual(
      refusal(403, 'forbidden', message),
    );
    expect(calls).toEqual([]);
  });
});

describe('400 naming the field, with nothing recorded', () => {
  const cases: [string, unknown, string][] = [
    ['no body', '', 'the request has no body: send {"date" or "bundle", "decision", "note"?, "by"?}'],
    ['a body that is not JSON', '{"date": ', 'the body is not valid JSON'],
    [
      'no decision',
      { date: '2026-11-24' },
      'invalid body (allowed keys: date, bundle, decision, note, by): "decision": must be "approved" or "exception"',
    ],
    [
      'a decision that is not one',
      { date: '2026-11-24', decision: 'maybe' },
      'invalid body (allowed keys: date, bundle, decision, note, by): "decision": must be "approved" or "exception"',
    ],
    [
      'an unknown key (an identity cannot be typed in)',
      { date: '2026-11-24', decision: 'approved', iamPrincipal: 'arn:aws:iam::111122223333:user/mallory' },
      'invalid body (allowed keys: date, bundle, decision, note, by): unknown key "iamPrincipal"',
    ],
    [
      'a note that is not text',
      { date: '2026-11-24', decision: 'exception', note: 42 },
      'invalid body (allowed keys: date, bundle, decision, note, by): "note": Invalid input: expected string, ' +
        'received number',
    ],
    [
      'both date and bundle',
      { date: '2026-11-24', bundle: 'daily/2026/11/24', decision: 'approved' },
      'use either "date" or "bundle", not both',
    ],
    ['neither date nor bundle', { decision: 'approved' }, '"date" or "bundle" is required: the bundle to attest'],
    [
      'a date that is not one',
      { date: '2026-02-30', decision: 'approved' },
      '"date": "2026-02-30" is not a calendar date (YYYY-MM-DD)',
    ],
    [
      'a date of another form',
      { date: '24/11/2026', decision: 'approved' },
      '"date": "24/11/2026" is not a calendar date (YYYY-MM-DD)',
    ],
  ];
  for (const [what, body, message] of cases) {
    it(what, async () => {
      expect(await post(body)).toEqual(refusal(400, 'bad-input', message));
      expect(calls).toEqual([]);
      expect(aws.calls()).toBe(0);
    });
  }

  it("the core's InputError: no such bundle, an exception without a note", async () => {
    const missing: AttestCore = async () => {
      throw new InputError('bundle daily/2026/11/24 is not in the archive at s3://sox-evidence/reports');
    };
    expect(await post({ date: '2026-11-24', decision: 'approved' }, { core: missing })).toEqual(
      refusal(400, 'bad-input', 'bundle daily/2026/11/24 is not in the archive at s3://sox-evidence/reports'),
    );
    const noNote: AttestCore = async () => {
      throw new InputError({ field: 'date', problem: 'an exception needs a note' });
    };
    expect(await post({ date: '2026-11-24', decision: 'exception' }, { core: noNote })).toEqual(
      refusal(400, 'bad-input', '"date": an exception needs a note'),
    );
  });
});

describe('405 for anything but POST', () => {
  it('GET', async () => {
    const handler = createAttestHandler(handlerDeps({}, aws.clients, NOW), recordingCore);
    expect(await handler(functionUrlEvent({ method: 'GET' }), lambdaContext())).toEqual(
      refusal(405, 'method-not-allowed', 'GET is not allowed: POST'),
    );
    expect(calls).toEqual([]);
  });
});

describe('500 without internals or secrets', () => {
  const failed = refusal(
    500,
    'failed',
    "the attestation could not be recorded; the function's log says why (request req-attest)",
  );

  it('NATS out of reach: the log has the cause, its password redacted; the caller only the request id', async () => {
    const down: AttestCore = async () => {
      throw new RunError('source "audit" at nats://sox:hunter2@nats.internal:4222: connection refused');
    };
    expect(await post({ date: '2026-11-24', decision: 'approved' }, { core: down })).toEqual(failed);
    const logged = output.text();
    expect(logged).toContain(
      'attestation failed: source \\"audit\\" at nats://***@nats.internal:4222: connection refused',
    );
    expect(logged).not.toContain('hunter2');
  });

  it('a deployment without a configuration: the core is never called', async () => {
    const handler = createAttestHandler(handlerDeps({}, aws.clients, NOW), recordingCore);
    const event = functionUrlEvent({ body: '{"date":"2026-11-24","decision":"approved"}' });
    expect(await handler(event, lambdaContext('req-attest'))).toEqual(failed);
    expect(calls).toEqual([]);
    expect(output.text()).toContain('attestation failed: no configuration: set SOX_CONFIG');
  });

  it('a NATS secret Secrets Manager refuses to give', async () => {
    aws.mocks.secrets.rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    const env = { [ENV.natsSecretArn]: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:nats-AbCdEf' };
    expect(await post({ date: '2026-11-24', decision: 'approved' }, { env })).toEqual(failed);
    expect(calls).toEqual([]);
  });
});
