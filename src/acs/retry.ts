import type { PipelinePolicy, PipelineResponse } from '@azure/core-rest-pipeline';
import { RestError } from '@azure/core-rest-pipeline';

/** The SDK waits out a throttled answer's Retry-After only when it is at most this long; longer waits fail fast. */
export const maxRetryAfterWaitInMs = 3000;

/** Retry options for every SDK client: the SDK's own policy, bounded so that a request never hangs for long. */
export const boundedRetryOptions = { maxRetries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000 } as const;

export function retryAfterInMs(response: PipelineResponse | undefined): number | undefined {
  if (!response || ![429, 503].includes(response.status)) return undefined;
  const ms = Number(response.headers.get('retry-after-ms') ?? response.headers.get('x-ms-retry-after-ms') ?? NaN);
  if (Number.isFinite(ms)) return ms;
  const header = response.headers.get('retry-after');
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

const throttledCode = 'ThrottledTooLongToWait';

/**
 * A throttled answer whose Retry-After is too long to wait out in-request, carrying the delay for our client.
 * A plain RestError (its constructor resets the prototype, so subclasses would lose `instanceof`).
 */
export function throttledError(retryAfterInMs: number, statusCode: number): RestError & { retryAfterInMs: number } {
  return Object.assign(new RestError('Throttled by the upstream service', { statusCode, code: throttledCode }), {
    retryAfterInMs,
  });
}

/** The delay carried by {@link throttledError}, or undefined for any other error. */
export function throttledRetryAfterInMs(error: unknown): number | undefined {
  const candidate = error as { code?: unknown; retryAfterInMs?: unknown } | undefined;
  return candidate?.code === throttledCode && typeof candidate.retryAfterInMs === 'number'
    ? candidate.retryAfterInMs
    : undefined;
}

/**
 * Runs inside the SDK's retry loop (position `perRetry`). A 429/503 whose Retry-After exceeds `maxWaitInMs` is
 * turned into a {@link throttledError} without a response, so neither the throttling nor the exponential strategy
 * retries it; shorter delays are left to the SDK, which waits them out and retries.
 */
export function failFastOnLongRetryAfter(maxWaitInMs = maxRetryAfterWaitInMs): PipelinePolicy {
  return {
    name: 'failFastOnLongRetryAfter',
    async sendRequest(request, next) {
      const response = await next(request);
      const waitInMs = retryAfterInMs(response);
      if (waitInMs !== undefined && waitInMs > maxWaitInMs) throw throttledError(waitInMs, response.status);
      return response;
    },
  };
}
