import { describe, expect, it } from 'vitest';
import { pullBatch } from '../../../functions/source/replay.js';

describe('pullBatch sizes each pull to about 4 MiB of the stream’s average message', () => {
  it('asks for 2048 of small audit events, fewer of large ones, never under 64', () => {
    expect(pullBatch({ messages: 100_000, bytes: 73_000_000 })).toBe(2048);
    expect(pullBatch({ messages: 1000, bytes: 8 * 1024 * 1000 })).toBe(512);
    expect(pullBatch({ messages: 10, bytes: 10 * 1024 * 1024 })).toBe(64);
    expect(pullBatch({ messages: 0, bytes: 0 })).toBe(2048);
  });
});
