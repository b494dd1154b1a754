// CORS the way `func start` applies `Host.CORS` / `Host.CORSCredentials`: Core Tools registers
// ASP.NET Core's CORS middleware with `WithOrigins(origins).AllowAnyHeader().AllowAnyMethod()`
// (+ `AllowCredentials()`), see src/Azure.Functions.Cli/Actions/HostActions/Startup.cs.

export interface CorsPolicy {
  /** Lower-cased allowed origins; `any` for `*`. */
  origins: ReadonlySet<string> | 'any';
  supportsCredentials: boolean;
}

export type Headers = Record<string, string>;

/**
 * @param origins - `Host.CORS`: comma-separated origins or `*`; undefined or empty disables CORS.
 * @param credentials - `Host.CORSCredentials`; ignored with `*`, which the CORS protocol forbids with credentials.
 */
export function createCorsPolicy(origins: string | undefined, credentials: boolean): CorsPolicy | undefined {
  const list = (origins ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  if (list.length === 0) {
    return undefined;
  }
  if (list.includes('*')) {
    return { origins: 'any', supportsCredentials: false };
  }
  return {
    origins: new Set(list.map((origin) => origin.replace(/\/+$/, '').toLowerCase())),
    supportsCredentials: credentials,
  };
}

/** A preflight is an OPTIONS request with `Origin` and `Access-Control-Request-Method`. */
export function isPreflightRequest(method: string, headers: Readonly<Record<string, unknown>>): boolean {
  return (
    method.toUpperCase() === 'OPTIONS' &&
    typeof headers.origin === 'string' &&
    typeof headers['access-control-request-method'] === 'string'
  );
}

function allowedOrigin(policy: CorsPolicy, origin: string): string | undefined {
  if (policy.origins === 'any') {
    return '*';
  }
  return policy.origins.has(origin.toLowerCase()) ? origin : undefined;
}

/**
 * Headers for the response to a preflight; undefined when the origin is not allowed (the
 * middleware then still answers 204, without any CORS header, so the browser blocks the call).
 */
export function preflightHeaders(
  policy: CorsPolicy,
  origin: string,
  requestMethod: string,
  requestHeaders: string | undefined,
): Headers | undefined {
  const headers = responseHeaders(policy, origin);
  if (headers === undefined) {
    return undefined;
  }
  // AllowAnyMethod / AllowAnyHeader: echo what the browser asks for.
  headers['Access-Control-Allow-Methods'] = requestMethod;
  if (requestHeaders !== undefined && requestHeaders.trim() !== '') {
    headers['Access-Control-Allow-Headers'] = requestHeaders;
  }
  return headers;
}

/** Headers added to an actual (non-preflight) response; undefined when the origin is not allowed. */
export function responseHeaders(policy: CorsPolicy, origin: string | undefined): Headers | undefined {
  if (origin === undefined) {
    return undefined;
  }
  const allowed = allowedOrigin(policy, origin);
  if (allowed === undefined) {
    return undefined;
  }
  const headers: Headers = { 'Access-Control-Allow-Origin': allowed };
  if (allowed !== '*') {
    headers.Vary = 'Origin';
    if (policy.supportsCredentials) {
      headers['Access-Control-Allow-Credentials'] = 'true';
    }
  }
  return headers;
}
