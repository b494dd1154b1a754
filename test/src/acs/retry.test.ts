import { createHttpHeaders, createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';

import {
  failFastOnLongRetryAfter,
  retryAfterInMs,
  throttledError,
  throttledRetryAfterInMs,
} from '../../../src/acs/retry';

const response = (status: number, headers: Record<string, string> = {}): PipelineResponse => ({
  status,
  headers: createHttpHeaders(headers),
  request: createPipelineRequest({ url: 'https://acs.example.communication.azure.com/identities' }),
});

describe('retryAfterInMs', () => {
  it('reads retry-after-ms, x-ms-retry-after-ms, seconds and an HTTP date, only on 429 and 503', () => {
    expect(retryAfterInMs(response(429, { 'retry-after-ms': '1500' }))).toBe(1500);
    expect(retryAfterInMs(response(503, { 'x-ms-retry-after-ms': '250' }))).toBe(250);
    expect(retryAfterInMs(response(429, { 'retry-after': '7' }))).toBe(7000);
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    expect(retryAfterInMs(response(429, { 'retry-after': inTenSeconds }))).toBeGreaterThan(8000);
    expect(retryAfterInMs(response(500, { 'retry-after': '7' }))).toBeUndefined();
    expect(retryAfterInMs(response(429))).toBeUndefined();
    expect(retryAfterInMs(undefined)).toBeUndefined();
  });
});

describe('failFastOnLongRetryAfter', () => {
  const send = (answer: PipelineResponse) =>
    failFastOnLongRetryAfter(3000).sendRequest(answer.request, async () => answer);

  it('passes a short Retry-After to the SDK (which waits it out) and fails fast on a long one, keeping the delay', async () => {
    const short = response(429, { 'retry-after': '2' });
    expect(await send(short)).toBe(short);
    const error: unknown = await send(response(429, { 'retry-after': '30' })).catch((thrown: unknown) => thrown);
    expect(throttledRetryAfterInMs(error)).toBe(30_000);
    expect(error).toMatchObject({ name: 'RestError', statusCode: 429 });
  });

  it('knows only its own errors', () => {
    expect(throttledRetryAfterInMs(throttledError(5000, 503))).toBe(5000);
    expect(throttledRetryAfterInMs(new Error('other'))).toBeUndefined();
    expect(throttledRetryAfterInMs(undefined)).toBeUndefined();
  });
});
