/**
 * The service's errors, in domain terms. Use cases and adapters throw these; `src/http/problem.ts` alone decides
 * which HTTP status and headers each becomes.
 */
export type FailureKind =
  | 'invalid_request'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'gone'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'too_many_requests';

export interface ServiceErrorOptions {
  /** The caller may retry after this many seconds. */
  retryAfterInSeconds?: number;
  /** For `unauthenticated`: the bearer-token error to report (RFC 6750). */
  challenge?: 'invalid_token' | 'invalid_request';
  /** For `too_many_requests`: the quota that was met (IETF RateLimit-Policy / RateLimit fields). */
  rateLimit?: { policy: string; limit: number; windowInSeconds: number; remaining: number; resetInSeconds: number };
}

/** A request the service refuses: what kind of refusal, a stable `code`, and a safe, human-readable `detail`. */
export class ServiceError extends Error {
  override name = 'ServiceError';
  constructor(
    readonly kind: FailureKind,
    readonly code: string,
    readonly detail: string,
    readonly options: ServiceErrorOptions = {},
  ) {
    super(detail);
  }
}

export const badRequest = (code: string, detail: string) => new ServiceError('invalid_request', code, detail);
export const forbidden = (code: string, detail: string) => new ServiceError('forbidden', code, detail);
export const notFound = (code: string, detail: string) => new ServiceError('not_found', code, detail);
export const gone = (code: string, detail: string) => new ServiceError('gone', code, detail);
export const conflict = (code: string, detail: string, retryAfterInSeconds?: number) =>
  new ServiceError('conflict', code, detail, retryAfterInSeconds ? { retryAfterInSeconds } : {});
/** The caller is not authenticated. */
export const unauthenticated = (detail: string, challenge: 'invalid_token' | 'invalid_request' = 'invalid_token') =>
  new ServiceError('unauthenticated', 'unauthenticated', detail, { challenge });

export type UpstreamService = 'acs' | 'storage' | 'identity-provider' | 'queue';
export type UpstreamFailure = 'throttled' | 'unavailable' | 'timeout' | 'failed' | 'rejected';

/**
 * An upstream dependency failed: throttled, unavailable or timed out (worth retrying later), failed (an upstream
 * 5xx) or rejected (the upstream refused us, e.g. ACS 401). The upstream's own message is never kept.
 */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  readonly code: string;
  constructor(
    readonly service: UpstreamService,
    readonly kind: UpstreamFailure,
    readonly upstreamStatus?: number,
    readonly retryAfterInSeconds?: number,
  ) {
    super(`${service} ${kind}`);
    this.code = `${service.replace('-', '_')}_${kind}`;
  }

  /** Whether retrying later may succeed (throttled, unavailable, timeout). */
  get transient(): boolean {
    return this.kind === 'throttled' || this.kind === 'unavailable' || this.kind === 'timeout';
  }
}

/** A log-safe description of an unknown error: its name and, for our own errors, the code (never its message). */
export function describeError(error: unknown): string {
  if (error instanceof ServiceError || error instanceof UpstreamError) return `${error.name}(${error.code})`;
  if (error instanceof Error)
    return `${error.name}${(error as { code?: unknown }).code ? `(${String((error as { code?: unknown }).code)})` : ''}`;
  return typeof error;
}

/**
 * The identity service answered 401: "no such identity" or "bad credentials", which ACS does not tell apart.
 * Use cases that must tell the two apart catch this and decide (see `IdentityService`).
 */
export class AcsUnauthorizedError extends UpstreamError {
  constructor() {
    super('acs', 'rejected', 401);
  }
}

/** The identity service refused the request's content (400), e.g. a Teams token for another app or user. */
export class AcsBadRequestError extends UpstreamError {
  constructor(readonly upstreamCode: string | undefined) {
    super('acs', 'rejected', 400);
  }
}

/** A per-caller quota is used up until its window ends. */
export const quotaExceeded = (policy: string, limit: number, windowInSeconds: number, resetInSeconds: number) =>
  new ServiceError(
    'too_many_requests',
    'quota_exceeded',
    `The ${policy} quota (${limit} per ${windowInSeconds} s) is used up; retry after the indicated delay.`,
    {
      retryAfterInSeconds: resetInSeconds,
      rateLimit: { policy, limit, windowInSeconds, remaining: 0, resetInSeconds },
    },
  );
