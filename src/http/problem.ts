import type { HttpResponseInit, InvocationContext } from '@azure/functions';

import { ConfigError } from '../config/config';
import { AppError } from '../errors/errors';

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

export function problemResponse(error: AppError, invocationId?: string): HttpResponseInit {
  const body: Problem = {
    type: `urn:acs-token-service:problem:${error.code}`,
    title: error.title,
    status: error.status,
    code: error.code,
    ...(error.detail ? { detail: error.detail } : {}),
    ...(invocationId ? { instance: `urn:invocation:${invocationId}` } : {}),
  };
  return {
    status: error.status,
    headers: { 'Content-Type': problemContentType, 'Cache-Control': 'no-store', ...error.headers },
    body: JSON.stringify(body),
  };
}

/**
 * The one place where errors become HTTP answers. Known errors keep their status and code; anything else is a
 * generic 500 that leaks nothing (the error is logged by name only: SDK messages may carry secrets or payloads).
 */
export function errorToResponse(error: unknown, context: InvocationContext): HttpResponseInit {
  if (error instanceof AppError) {
    if (error.status >= 500) context.warn(`${error.code}: answered ${error.status}`);
    return problemResponse(error, context.invocationId);
  }
  // A ConfigError's message names settings, never their values: it is what an operator needs to see.
  context.error(error instanceof ConfigError ? error.message : `Unhandled ${describeError(error)}`);
  return problemResponse(new AppError(500, 'internal_error', 'Internal server error', 'An unexpected error occurred.'), context.invocationId);
}

/** A log-safe description of an unknown error: its name and, for our own errors, the code. */
export function describeError(error: unknown): string {
  if (error instanceof AppError) return `${error.name}(${error.code})`;
  if (error instanceof Error) return `${error.name}${(error as { code?: unknown }).code ? `(${String((error as { code?: unknown }).code)})` : ''}`;
  return typeof error;
}
