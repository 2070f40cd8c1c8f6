import { correlationPaths, search } from '@aws-lambda-powertools/logger/correlationId';
import { describe, expect, it } from 'vitest';
import { API_CORRELATION_PATH, searchDottedPath } from '../../functions/adapters/logger';

describe('the correlation id of an API request', () => {
  const event = { requestContext: { requestId: 'req-123', http: { method: 'GET' } }, headers: {} };

  it('is read where Powertools reads it, with the same answer as its JMESPath search', () => {
    expect(API_CORRELATION_PATH).toBe(correlationPaths.API_GATEWAY_HTTP);
    expect(searchDottedPath(API_CORRELATION_PATH, event)).toBe('req-123');
    expect(searchDottedPath(API_CORRELATION_PATH, event)).toBe(search(API_CORRELATION_PATH, event));
  });

  it('is absent, never an error, when the event has none or the path is not a dotted path', () => {
    expect(searchDottedPath(API_CORRELATION_PATH, {})).toBeUndefined();
    expect(searchDottedPath(API_CORRELATION_PATH, { requestContext: null })).toBeUndefined();
    expect(searchDottedPath('headers."x-amzn-trace-id"', { headers: { 'x-amzn-trace-id': 'Root=1' } })).toBeUndefined();
  });
});
