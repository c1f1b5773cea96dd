import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { attest } from '../attest/attest.js';
import type { Attestation } from '../attest/model.js';
import { InputError, errorMessage } from '../errors.js';
import { redactCredentials } from '../text/redact.js';
import { parseAttestBody } from './attest-body.js';
import { archiveAndNatsPorts } from './aws-ports.js';
import { loadLambdaConfig } from './lambda-config.js';
import { payloadKeyName } from './on-demand-payload.js';
import { lambdaDeps, type HandlerDeps } from './run-period.js';

/** The core the handler calls: `attest` of functions/attest/attest.ts (tests may hand in their own). */
export type AttestCore = typeof attest;

/**
 * A function URL event, whatever its authorizer: with `AuthType: AWS_IAM` Lambda puts the signer of the request in
 * `requestContext.authorizer.iam`; any other way in (a direct invoke, a URL without IAM) has none.
 */
export type AttestEvent = APIGatewayProxyEventV2 & {
  requestContext: { authorizer?: { iam?: { userArn?: string | null } | null } | null };
};

export type AttestResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number; body: string };

/** What the caller gets back when nothing was recorded: the status, a code and a message they can act on. */
export interface AttestRefusal {
  ok: false;
  error: { code: 'bad-input' | 'forbidden' | 'method-not-allowed' | 'failed'; message: string };
}

/**
 * A reviewer's sign-off through the attest function's URL. The identity recorded is the IAM principal that signed
 * the request (the function URL's `AWS_IAM` authorization proves it), never a name in the body: `by` is kept beside
 * it and defaults to it. 200 with the attestation as recorded; 400 naming what to fix; 403 without an IAM principal;
 * 405 for anything but POST; 500 with the request id only (the log has the cause, with no secret in it).
 */
export function createAttestHandler(deps: HandlerDeps, core: AttestCore = attest) {
  return async (event: AttestEvent, context: Context): Promise<AttestResponse> => {
    const { logger } = deps.observability;
    logger.addContext(context);
    logger.appendPersistentKeys({ runId: context.awsRequestId });
    const refuse = (statusCode: number, code: AttestRefusal['error']['code'], message: string): AttestResponse => {
      logger.warn('attestation refused', { statusCode, error: message });
      return respond(statusCode, { ok: false, error: { code, message } } satisfies AttestRefusal);
    };
    try {
      const method = event.requestContext?.http?.method ?? '';
      if (method !== 'POST') return refuse(405, 'method-not-allowed', `${method || 'a request'} is not allowed: POST`);
      const iamPrincipal = nonEmptyText(event.requestContext?.authorizer?.iam?.userArn);
      if (iamPrincipal === null) {
        return refuse(
          403,
          'forbidden',
          'no IAM identity: call the function URL with a request signed by an IAM principal (SigV4)',
        );
      }
      logger.appendPersistentKeys({ iamPrincipal });
      const asked = parseAttestBody(bodyText(event));
      if (!asked.ok) return refuse(400, 'bad-input', asked.message);

      let attestation: Attestation;
      try {
        const config = await loadLambdaConfig(deps.env, deps.clients().ssm);
        const ports = await archiveAndNatsPorts(deps.env, deps.clients(), config, deps.now);
        const request = { ...asked.value, by: asked.value.by ?? iamPrincipal };
        attestation = await core(config, ports, request, { iamPrincipal }).catch((err: unknown) => {
          throw err instanceof InputError ? new CallerInputError(err) : err;
        });
      } catch (err) {
        if (err instanceof CallerInputError) return refuse(400, 'bad-input', err.message);
        throw err;
      }
      logger.info('attestation recorded', {
        bundle: attestation.bundle,
        decision: attestation.decision,
        manifestSha256: attestation.manifestSha256,
        at: attestation.at,
      });
      return respond(200, attestation);
    } catch (err) {
      const requestId = context.awsRequestId;
      // The deployment's fault or an outage (configuration, secret, archive, NATS): said in the log, not to the caller.
      logger.error(redactCredentials(`attestation failed: ${errorMessage(err)}`), {
        errorName: err instanceof Error ? err.name : typeof err,
      });
      return respond(500, {
        ok: false,
        error: {
          code: 'failed',
          message: `the attestation could not be recorded; the function's log says why (request ${requestId})`,
        },
      } satisfies AttestRefusal);
    } finally {
      logger.removePersistentKeys(['runId', 'iamPrincipal']);
    }
  };
}

/** An InputError of the core, which is the request's (no bundle there, an exception without a note). */
class CallerInputError extends Error {
  constructor(cause: InputError) {
    super(redactCredentials(cause.worded(payloadKeyName)), { cause });
  }
}

function respond(statusCode: number, body: unknown): AttestResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function bodyText(event: AttestEvent): string | undefined {
  if (event.body === undefined || event.body === null) return undefined;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

function nonEmptyText(value: string | null | undefined): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

const container = lambdaDeps();
export const handler = createAttestHandler(container);
/** This container's AWS clients, as the other handlers export them for a harness that runs the bundle. */
export const awsClients = container.clients;
