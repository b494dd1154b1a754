import { createHttpHeaders, createPipelineRequest, type PipelineResponse, RestError } from '@azure/core-rest-pipeline';

import { AcsBadRequestError, AcsUnauthorizedError, translateAcsError } from '../../../src/acs/identity-client';
import { failFastOnLongRetryAfter, retryAfterInMs } from '../../../src/acs/retry';
import { UpstreamError } from '../../../src/domain/errors';
import { problemFor } from '../../../src/http/problem';

const request = createPipelineRequest({ url: 'https://acs.example.com/identities' });
const response = (status: number, headers: Record<string, string> = {}): PipelineResponse => ({
  status,
  headers: createHttpHeaders(headers),
  request,
});

describe('translateAcsError', () => {
  const rest = (statusCode?: number, headers?: Record<string, string>) =>
    new RestError('upstream message with accesskey=SECRET', {
      ...(statusCode ? { statusCode, response: response(statusCode, headers) } : {}),
    });

  it.each([
    [401, AcsUnauthorizedError, 502, 'acs_rejected'],
    [403, AcsUnauthorizedError, 502, 'acs_rejected'],
    [400, AcsBadRequestError, 502, 'acs_rejected'],
    [500, UpstreamError, 502, 'acs_failed'],
    [503, UpstreamError, 503, 'acs_unavailable'],
    [429, UpstreamError, 503, 'acs_throttled'],
  ])('maps status %i', (status, type, answer, code) => {
    const translated = translateAcsError(rest(status)) as UpstreamError;
    expect(translated).toBeInstanceOf(type);
    expect(problemFor(translated).status).toBe(answer);
    expect(translated.code).toBe(code);
    expect(translated.message).not.toContain('SECRET');
  });

  it('keeps the Retry-After of a throttled answer', () => {
    expect(
      problemFor(translateAcsError(rest(429, { 'retry-after': '7' })) as UpstreamError).headers['Retry-After'],
    ).toBe('7');
  });

  it('maps network failures and timeouts to 503, and rethrows unknown errors unchanged', () => {
    expect((translateAcsError(rest()) as UpstreamError).code).toBe('acs_unavailable');
    expect((translateAcsError(Object.assign(new Error('aborted'), { name: 'AbortError' })) as UpstreamError).code).toBe(
      'acs_timeout',
    );
    const bug = new TypeError('bug');
    expect(translateAcsError(bug)).toBe(bug);
  });
});

describe('failFastOnLongRetryAfter', () => {
  const policy = failFastOnLongRetryAfter(3000);

  it('lets short throttling through for the SDK to wait out', async () => {
    const answer = response(429, { 'retry-after': '2' });
    await expect(policy.sendRequest(request, async () => answer)).resolves.toBe(answer);
  });

  it('fails fast, with the delay, when the upstream asks to wait longer', async () => {
    const error = await policy
      .sendRequest(request, async () => response(429, { 'retry-after': '30' }))
      .catch((e: unknown) => e);
    const translated = translateAcsError(error) as UpstreamError;
    expect(translated.code).toBe('acs_throttled');
    expect(problemFor(translated).headers['Retry-After']).toBe('30');
  });

  it('reads every Retry-After form', () => {
    expect(retryAfterInMs(response(429, { 'retry-after-ms': '1500' }))).toBe(1500);
    expect(retryAfterInMs(response(503, { 'x-ms-retry-after-ms': '800' }))).toBe(800);
    expect(
      retryAfterInMs(response(429, { 'retry-after': new Date(Date.now() + 60_000).toUTCString() })),
    ).toBeGreaterThan(55_000);
    expect(retryAfterInMs(response(500, { 'retry-after': '5' }))).toBeUndefined();
  });
});
