import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { isJetStreamApiError } from '../../../functions/source/api-error.js';

describe('isJetStreamApiError', () => {
  it('decides by the error code, not by the text', () => {
    const notFound = new JetStreamApiError({
      code: 404,
      err_code: JetStreamApiCodes.StreamNotFound,
      description: 'no such thing',
    });
    expect(isJetStreamApiError(notFound, JetStreamApiCodes.StreamNotFound)).toBe(true);
    expect(isJetStreamApiError(notFound, JetStreamApiCodes.StreamWrongLastSequence)).toBe(false);
    expect(isJetStreamApiError(new Error('stream not found'), JetStreamApiCodes.StreamNotFound)).toBe(false);
    expect(isJetStreamApiError('stream not found', JetStreamApiCodes.StreamNotFound)).toBe(false);
  });
});
