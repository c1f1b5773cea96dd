import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { readSlicePart } from '../../../functions/handlers/fan-out-staging.js';

const s3 = mockClient(S3Client);
const staging = { client: new S3Client({ region: 'us-east-1' }), bucket: 'sox-slice-staging', prefix: 'runs' };
const expected = { bytes: 9311, sha256: 'a'.repeat(64) };

afterEach(() => s3.reset());

describe("a slice's part in the staging bucket", () => {
  it('of another size than its slice function returned is refused before a byte of it is read', async () => {
    let read = false;
    let destroyed = false;
    const body = {
      transformToByteArray: async () => {
        read = true;
        return new Uint8Array(0);
      },
      destroy: () => {
        destroyed = true;
      },
    };
    s3.on(GetObjectCommand).resolves({ ContentLength: 8 * 1024 ** 3, Body: body as never });
    await expect(readSlicePart(staging, 'runs/r1/slice-0.json', expected, 'slice 1 of 2 of audit/SYS')).rejects.toThrow(
      's3://sox-slice-staging/runs/r1/slice-0.json (slice 1 of 2 of audit/SYS): 8589934592 bytes, but its slice ' +
        `function returned 9311 bytes with SHA-256 ${'a'.repeat(64)}: the part was replaced or is not this run's`,
    );
    expect({ read, destroyed }).toEqual({ read: false, destroyed: true });
  });
});
