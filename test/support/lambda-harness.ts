/**
 * Runs in a child process beside a copy of a bundled handler, with plain node: stands in for the Lambda runtime
 * and for the AWS services the test cannot reach. S3, KMS, SSM and Secrets Manager are aws-sdk-client-mock
 * mocks of the bundle's own client instances (its `awsClients` export), whether the bundle brings its own SDK or
 * takes the runtime's; commands are told apart by operation name, since a bundled SDK's command classes cannot be
 * imported from outside. SES stays real, and the environment points it at the emulator. Compiled by esbuild into
 * the temp folder with aws-sdk-client-mock left external; imports nothing from this repository at run time.
 */
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { p256 } from '@noble/curves/nist.js';
import { mockClient } from 'aws-sdk-client-mock';

export interface HarnessInput {
  /** Absolute path of the bundle's entry file (index.mjs) inside the task folder. */
  handlerFile: string;
  exportName: string;
  invocations: { payload: unknown; requestId: string }[];
  kms: { keyArn: string; privateKeyPem: string };
  /** SSM parameter values by name. */
  parameters: Record<string, string>;
  /** SecretString by secret id. */
  secrets: Record<string, string>;
  /** What the bucket holds before the first invocation (an earlier run's objects): absent, it starts empty. */
  objects?: StoredObject[];
  outFile: string;
}

export interface StoredObject {
  bucket: string;
  key: string;
  base64: string;
  lockMode: string | null;
  retainUntil: string | null;
  checksumSha256: string | null;
  contentType: string | null;
}

export type InvocationOutcome = { result: unknown } | { error: { name: string; message: string } };

export interface HarnessOutput {
  outcomes: InvocationOutcome[];
  objects: StoredObject[];
  calls: { service: string; command: string; input: Record<string, unknown> }[];
}

interface Stored {
  body: Uint8Array;
  lockMode: string | null;
  retainUntil: Date | null;
  checksum: string;
  contentType: string | null;
  versionId: string;
}

const input = JSON.parse(await readFile(process.argv[2]!, 'utf8')) as HarnessInput;
const calls: HarnessOutput['calls'] = [];

/** Fakes one service's operations, by name, with the `input` of the command. */
type Operations = Record<string, (input: any) => Promise<object>>;

const awsError = (name: string, status: number, message: string) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

// ---- S3: an in-memory bucket that behaves as Object Lock + conditional writes do -------------------------------

const objects = new Map<string, Stored>();
const objectId = (bucket: string, key: string) => `${bucket}\u0000${key}`;
let versions = 0;
for (const seeded of input.objects ?? []) {
  objects.set(objectId(seeded.bucket, seeded.key), {
    body: new Uint8Array(Buffer.from(seeded.base64, 'base64')),
    lockMode: seeded.lockMode,
    retainUntil: seeded.retainUntil === null ? null : new Date(seeded.retainUntil),
    checksum:
      seeded.checksumSha256 ?? createHash('sha256').update(Buffer.from(seeded.base64, 'base64')).digest('base64'),
    contentType: seeded.contentType,
    versionId: `v${++versions}`,
  });
}

const s3: Operations = {
  async PutObject(put) {
    const body = toBytes(put.Body);
    const id = objectId(put.Bucket, put.Key);
    if (put.IfNoneMatch === '*' && objects.has(id))
      throw awsError('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold');
    const checksum = createHash('sha256').update(body).digest('base64');
    if (put.ChecksumSHA256 !== undefined && put.ChecksumSHA256 !== checksum)
      throw awsError('BadDigest', 400, 'The SHA256 you specified did not match the calculated checksum.');
    const stored: Stored = {
      body,
      lockMode: put.ObjectLockMode ?? null,
      retainUntil: put.ObjectLockRetainUntilDate ? new Date(put.ObjectLockRetainUntilDate) : null,
      checksum,
      contentType: put.ContentType ?? null,
      versionId: `v${++versions}`,
    };
    objects.set(id, stored);
    return {
      VersionId: stored.versionId,
      ETag: `"${createHash('md5').update(body).digest('hex')}"`,
      ChecksumSHA256: checksum,
    };
  },
  async HeadObject(head) {
    const stored = objects.get(objectId(head.Bucket, head.Key));
    if (!stored || (head.VersionId && head.VersionId !== stored.versionId))
      throw awsError('NotFound', 404, 'Not Found');
    return {
      ContentLength: stored.body.length,
      VersionId: stored.versionId,
      ...(stored.contentType ? { ContentType: stored.contentType } : {}),
      ...(stored.lockMode ? { ObjectLockMode: stored.lockMode } : {}),
      ...(stored.retainUntil ? { ObjectLockRetainUntilDate: stored.retainUntil } : {}),
      ...(head.ChecksumMode === 'ENABLED' ? { ChecksumSHA256: stored.checksum } : {}),
    };
  },
  async GetObject(get) {
    const stored = objects.get(objectId(get.Bucket, get.Key));
    if (!stored || (get.VersionId && get.VersionId !== stored.versionId))
      throw awsError('NoSuchKey', 404, 'The specified key does not exist.');
    const body = stored.body;
    return {
      ContentLength: body.length,
      // As the SDK's Node body: read whole, or iterated chunk by chunk (the fan-out's merge streams evidence parts).
      Body: {
        transformToByteArray: async () => new Uint8Array(body),
        transformToString: async () => Buffer.from(body).toString('utf8'),
        async *[Symbol.asyncIterator]() {
          for (let at = 0; at < body.length; at += 64 * 1024) yield body.slice(at, at + 64 * 1024);
        },
      },
    };
  },
  // As Object Lock does: a locked object stays until its retain-until date (the fan-out's staging is not locked).
  async DeleteObject(del) {
    const id = objectId(del.Bucket, del.Key);
    const stored = objects.get(id);
    if (stored?.retainUntil && stored.retainUntil > new Date())
      throw awsError('AccessDenied', 403, 'Access Denied because object protected by object lock.');
    objects.delete(id);
    return {};
  },
  async ListObjectsV2(list) {
    const keys = [...objects.keys()]
      .map((id) => id.split('\u0000') as [string, string])
      .filter(([bucket, key]) => bucket === list.Bucket && key.startsWith(list.Prefix ?? ''))
      .map(([, key]) => key)
      .sort();
    return {
      Contents: keys.map((Key) => ({ Key, Size: objects.get(objectId(list.Bucket, Key))!.body.length })),
      IsTruncated: false,
      KeyCount: keys.length,
    };
  },
  // One version per key: every object here was written once.
  async ListObjectVersions(list) {
    const keys = [...objects.keys()]
      .map((id) => id.split('\u0000') as [string, string])
      .filter(([bucket, key]) => bucket === list.Bucket && key.startsWith(list.Prefix ?? ''))
      .map(([, key]) => key)
      .sort();
    const versionsOf = keys.map((Key) => {
      const stored = objects.get(objectId(list.Bucket, Key))!;
      return { Key, VersionId: stored.versionId, IsLatest: true, Size: stored.body.length };
    });
    return { Versions: versionsOf, DeleteMarkers: [], IsTruncated: false };
  },
};

// ---- KMS: GetPublicKey and Sign (MessageType DIGEST) backed by a real P-256 key ---------------------------------

const privateKey = createPrivateKey(input.kms.privateKeyPem);
const scalar = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
const kms: Operations = {
  async GetPublicKey() {
    return {
      KeyId: input.kms.keyArn,
      PublicKey: new Uint8Array(createPublicKey(privateKey).export({ type: 'spki', format: 'der' })),
      KeyUsage: 'SIGN_VERIFY',
      KeySpec: 'ECC_NIST_P256',
      SigningAlgorithms: ['ECDSA_SHA_256'],
    };
  },
  async Sign(sign) {
    if (sign.KeyId !== input.kms.keyArn) throw awsError('NotFoundException', 400, `Key '${sign.KeyId}' does not exist`);
    if (sign.MessageType !== 'DIGEST' || sign.SigningAlgorithm !== 'ECDSA_SHA_256')
      throw awsError('ValidationException', 400, 'expected an ECDSA_SHA_256 DIGEST');
    const digest = toBytes(sign.Message);
    if (digest.length !== 32)
      throw awsError('ValidationException', 400, 'Digest is invalid length for algorithm ECDSA_SHA_256.');
    return {
      KeyId: input.kms.keyArn,
      SigningAlgorithm: 'ECDSA_SHA_256',
      Signature: p256.sign(digest, scalar, { prehash: false, format: 'der', lowS: false }),
    };
  },
};

// ---- SSM and Secrets Manager ---------------------------------------------------------------------------------

const ssm: Operations = {
  async GetParameter(get) {
    const value = input.parameters[get.Name];
    if (value === undefined) throw awsError('ParameterNotFound', 400, 'Parameter not found.');
    return { Parameter: { Name: get.Name, Type: 'String', Value: value, Version: 1 } };
  },
};

const secretsmanager: Operations = {
  async GetSecretValue(get) {
    const value = input.secrets[get.SecretId];
    if (value === undefined)
      throw awsError('ResourceNotFoundException', 400, "Secrets Manager can't find the specified secret.");
    return { ARN: get.SecretId, Name: 'sox-nats', SecretString: value };
  },
};

let published = 0;
const sns: Operations = {
  async Publish() {
    published += 1;
    return { MessageId: `alert-${published}` };
  },
};

/** `PutObjectCommand` → `PutObject`; esbuild may have suffixed a class name with a number to keep it unique. */
function operationOf(command: object): string {
  return command.constructor.name.replace(/Command\d*$/, '');
}

/** Stubs `send` of one client instance with aws-sdk-client-mock; an operation the fake lacks is an error. */
function mockService(service: string, client: unknown, operations: Operations): void {
  if (typeof client !== 'object' || client === null || typeof (client as { send?: unknown }).send !== 'function') {
    throw new Error(`the bundle's awsClients() has no ${service} client`);
  }
  mockClient(client as never).send.callsFake(async (command) => {
    const operation = operationOf(command);
    calls.push({
      service,
      command: operation,
      input: JSON.parse(
        JSON.stringify(command.input, (_k, v) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v)),
      ),
    });
    const fake = operations[operation];
    if (!fake) throw awsError('UnknownOperation', 400, `the harness does not fake ${service} ${operation}`);
    return { $metadata: {}, ...(await fake(command.input)) };
  });
}

// ---- The runtime: import the handler once (a cold start), invoke it as Lambda would, one event after another ----

const module = (await import(pathToFileURL(input.handlerFile).href)) as Record<string, unknown>;
const handler = module[input.exportName];
if (typeof handler !== 'function') throw new Error(`${input.handlerFile} exports no function "${input.exportName}"`);
if (typeof module.awsClients !== 'function') throw new Error(`${input.handlerFile} exports no awsClients() to mock`);
const clients = module.awsClients() as Record<string, unknown>;
mockService('s3', clients.s3, s3);
mockService('kms', clients.kms, kms);
mockService('ssm', clients.ssm, ssm);
mockService('secretsmanager', clients.secrets, secretsmanager);
mockService('sns', clients.sns, sns);
// clients.ses stays real: AWS_ENDPOINT_URL_SESV2 points it at the emulator.

const outcomes: InvocationOutcome[] = [];
for (const { payload, requestId } of input.invocations) {
  try {
    outcomes.push({ result: await handler(payload, lambdaContext(requestId)) });
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    outcomes.push({ error: { name: error.name, message: error.message } });
  }
}

const stored: StoredObject[] = [...objects.entries()].map(([id, o]) => {
  const [bucket, key] = id.split('\u0000') as [string, string];
  return {
    bucket,
    key,
    base64: Buffer.from(o.body).toString('base64'),
    lockMode: o.lockMode,
    retainUntil: o.retainUntil?.toISOString() ?? null,
    checksumSha256: o.checksum,
    contentType: o.contentType,
  };
});
const output: HarnessOutput = { outcomes, objects: stored, calls };
await writeFile(input.outFile, JSON.stringify(output));
// Lambda freezes the process after the response; keep-alive sockets must not keep this one waiting.
process.exit(0);

function lambdaContext(awsRequestId: string) {
  const deadline = Date.now() + 900_000;
  const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'sox-report';
  return {
    awsRequestId,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION ?? 'us-east-1'}:111122223333:function:${functionName}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '1024',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/26/[$LATEST]0123456789abcdef',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
}

function toBytes(body: unknown): Uint8Array {
  if (body instanceof Uint8Array) return body;
  if (typeof body === 'string') return new TextEncoder().encode(body);
  throw new Error(`the harness's S3 and KMS take bytes or text, not ${Object.prototype.toString.call(body)}`);
}
