import type { HttpResponseInit, InvocationContext } from '@azure/functions';

import { ConfigError } from '../config/config';
import { describeError, type FailureKind, ServiceError, UpstreamError } from '../domain/errors';

export { describeError } from '../domain/errors';

/** RFC 9457 Problem Details, plus our stable `code`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
}

export const problemContentType = 'application/problem+json';

const statusOf: Record<FailureKind, { status: number; title: string }> = {
  invalid_request: { status: 400, title: 'Bad request' },
  unauthenticated: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  not_found: { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  gone: { status: 410, title: 'Gone' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  too_many_requests: { status: 429, title: 'Too many requests' },
};

/** What each upstream failure tells the caller: transient ones 503 with Retry-After, the rest 502. */
const defaultRetryAfterInSeconds = { throttled: 10, unavailable: 5, timeout: 5 } as const;
const upstreamName = {
  acs: 'Azure Communication Services',
  storage: 'Storage',
  'identity-provider': 'The identity provider',
  queue: 'The event queue',
};
const upstreamDetail = {
  throttled: 'is throttling requests; retry after the indicated delay.',
  timeout: 'did not answer in time; retry later.',
  unavailable: 'is unavailable; retry later.',
  failed: 'failed to process the request.',
  rejected: 'refused the request.',
};

export interface ProblemAnswer {
  status: number;
  code: string;
  title: string;
  detail: string;
  headers: Record<string, string>;
}

/** The one mapping from the service's errors to HTTP: status, title and headers. */
export function problemFor(error: ServiceError | UpstreamError): ProblemAnswer {
  if (error instanceof UpstreamError) {
    const detail = `${upstreamName[error.service]} ${upstreamDetail[error.kind]}`;
    if (!error.transient) return { status: 502, code: error.code, title: 'Bad gateway', detail, headers: {} };
    const retryAfter = Math.max(
      1,
      Math.ceil(
        error.retryAfterInSeconds ?? defaultRetryAfterInSeconds[error.kind as keyof typeof defaultRetryAfterInSeconds],
      ),
    );
    return {
      status: 503,
      code: error.code,
      title: 'Service unavailable',
      detail,
      headers: { 'Retry-After': String(retryAfter) },
    };
  }
  const { status, title } = statusOf[error.kind];
  const headers: Record<string, string> = {};
  if (error.options.retryAfterInSeconds) headers['Retry-After'] = String(error.options.retryAfterInSeconds);
  const rateLimit = error.options.rateLimit;
  if (rateLimit) {
    // draft-ietf-httpapi-ratelimit-headers: the policy and what is left of it.
    headers['RateLimit-Policy'] = `"${rateLimit.policy}";q=${rateLimit.limit};w=${rateLimit.windowInSeconds}`;
    headers['RateLimit'] = `"${rateLimit.policy}";r=${rateLimit.remaining};t=${rateLimit.resetInSeconds}`;
  }
  if (error.options.challenge) {
    headers['WWW-Authenticate'] =
      `Bearer error="${error.options.challenge}", error_description="${error.detail.replace(/["\\]/g, '')}"`;
  }
  return { status, code: error.code, title, detail: error.detail, headers };
}

export function problemResponse(
  answer: Omit<ProblemAnswer, 'headers'> & { headers?: Record<string, string> },
  invocationId?: string,
): HttpResponseInit {
  const body: Problem = {
    type: `urn:acs-token-service:problem:${answer.code}`,
    title: answer.title,
    status: answer.status,
    code: answer.code,
    ...(answer.detail ? { detail: answer.detail } : {}),
    ...(invocationId ? { instance: `urn:invocation:${invocationId}` } : {}),
  };
  return {
    status: answer.status,
    headers: { 'Content-Type': problemContentType, 'Cache-Control': 'no-store', ...answer.headers },
    body: JSON.stringify(body),
  };
}

/**
 * The one place where errors become HTTP answers. Known errors keep their kind and code; anything else is a
 * generic 500 that leaks nothing (the error is logged by name only: SDK messages may carry secrets or payloads).
 */
export function errorToResponse(error: unknown, context: InvocationContext): HttpResponseInit {
  if (error instanceof ServiceError || error instanceof UpstreamError) {
    const answer = problemFor(error);
    if (answer.status >= 500) context.warn(`${answer.code}: answered ${answer.status}`);
    return problemResponse(answer, context.invocationId);
  }
  // A ConfigError's message names settings, never their values: it is what an operator needs to see.
  context.error(error instanceof ConfigError ? error.message : `Unhandled ${describeError(error)}`);
  return problemResponse(
    { status: 500, code: 'internal_error', title: 'Internal server error', detail: 'An unexpected error occurred.' },
    context.invocationId,
  );
}
