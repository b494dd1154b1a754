/**
 * The service's one error type: everything a caller may see carries an HTTP status and a stable `code`.
 * Adapters translate SDK errors into these at the edge; `src/http/problem.ts` turns them into responses.
 */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
  }
}

export const badRequest = (code: string, detail: string) => new AppError(400, code, 'Bad request', detail);
export const forbidden = (code: string, detail: string) => new AppError(403, code, 'Forbidden', detail);
export const notFound = (code: string, detail: string) => new AppError(404, code, 'Not found', detail);
export const conflict = (code: string, detail: string, retryAfterInSeconds?: number) =>
  new AppError(409, code, 'Conflict', detail, retryAfterInSeconds ? { 'Retry-After': String(retryAfterInSeconds) } : {});

/** The caller is not authenticated; answered with `WWW-Authenticate: Bearer error="invalid_token"`. */
export const unauthenticated = (detail: string, error: 'invalid_token' | 'invalid_request' = 'invalid_token') =>
  new AppError(401, 'unauthenticated', 'Unauthorized', detail, {
    'WWW-Authenticate': `Bearer error="${error}", error_description="${detail.replace(/["\\]/g, '')}"`,
  });

export type UpstreamService = 'acs' | 'storage' | 'identity-provider' | 'queue';

/**
 * An upstream dependency failed. `kind` decides the answer: throttled and unavailable become 503 with Retry-After,
 * failed (an upstream 5xx) and rejected (the upstream refused us, e.g. ACS 401) become 502. The upstream's own message is never shown.
 */
export class UpstreamError extends AppError {
  override name = 'UpstreamError';
  constructor(
    readonly service: UpstreamService,
    readonly kind: 'throttled' | 'unavailable' | 'timeout' | 'failed' | 'rejected',
    readonly upstreamStatus?: number,
    retryAfterInSeconds?: number,
  ) {
    const status = kind === 'rejected' || kind === 'failed' ? 502 : 503;
    const retryAfter = status === 502 ? undefined : Math.max(1, Math.ceil(retryAfterInSeconds ?? defaultRetryAfterInSeconds[kind]));
    super(
      status,
      `${service.replace('-', '_')}_${kind}`,
      status === 502 ? 'Bad gateway' : 'Service unavailable',
      describe(service, kind),
      retryAfter ? { 'Retry-After': String(retryAfter) } : {},
    );
  }
}

const defaultRetryAfterInSeconds = { throttled: 10, unavailable: 5, timeout: 5, failed: 0, rejected: 0 } as const;

function describe(service: UpstreamService, kind: UpstreamError['kind']): string {
  const name = { acs: 'Azure Communication Services', storage: 'Storage', 'identity-provider': 'The identity provider', queue: 'The event queue' }[service];
  switch (kind) {
    case 'throttled':
      return `${name} is throttling requests; retry after the indicated delay.`;
    case 'timeout':
      return `${name} did not answer in time; retry later.`;
    case 'unavailable':
      return `${name} is unavailable; retry later.`;
    case 'failed':
      return `${name} failed to process the request.`;
    case 'rejected':
      return `${name} refused the request.`;
  }
}
