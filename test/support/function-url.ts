import type { AttestEvent } from '../../functions/handlers/attest.js';

/** The IAM principal of the reviewer who signs the tests' requests (an assumed role's session). */
export const REVIEWER = 'arn:aws:sts::111122223333:assumed-role/SoxReviewer/alice';
const EVENT_TIME_EPOCH = Date.parse('2026-11-26T15:00:00Z');

/** A function URL event as Lambda delivers it: `iam` null leaves the authorizer out (a URL without AWS_IAM). */
export function functionUrlEvent(
  options: { body?: string; method?: string; iam?: Record<string, string> | null; base64?: boolean } = {},
): AttestEvent {
  const iam =
    options.iam === undefined
      ? {
          accessKey: 'ASIAEXAMPLE',
          accountId: '111122223333',
          callerId: 'AROAEXAMPLE:alice',
          principalOrgId: 'o-example',
          userArn: REVIEWER,
          userId: 'AROAEXAMPLE:alice',
        }
      : options.iam;
  const body = options.body;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', host: 'abc123.lambda-url.us-east-1.on.aws' },
    requestContext: {
      accountId: '111122223333',
      apiId: 'abc123',
      domainName: 'abc123.lambda-url.us-east-1.on.aws',
      domainPrefix: 'abc123',
      http: {
        method: options.method ?? 'POST',
        path: '/',
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'awscurl',
      },
      requestId: 'url-req-1',
      routeKey: '$default',
      stage: '$default',
      time: '26/Nov/2026:15:00:00 +0000',
      timeEpoch: EVENT_TIME_EPOCH,
      ...(iam === null ? {} : { authorizer: { iam: { cognitoIdentity: null, ...iam } } }),
    },
    ...(body === undefined ? {} : { body: options.base64 ? Buffer.from(body, 'utf8').toString('base64') : body }),
    isBase64Encoded: options.base64 ?? false,
  } as AttestEvent;
}
