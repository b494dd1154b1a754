import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { RegisteredFunction } from './core-api';
import { isPreflightRequest, preflightHeaders, responseHeaders, type CorsPolicy } from './cors';
import { describeWithStack, type HostLog, type InvocationInput, type InvocationOutcome } from './invoker';
import { decodeRequestTarget, parseQueryString } from './request-target';
import type { RouteTable } from './routing';
import type { RpcHttpData, RpcInvocationResponse } from './rpc';

/** The real host's default request body limit (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT): 100 MB. */
export const MAX_REQUEST_BODY_SIZE_IN_BYTES = 100 * 1024 * 1024;
const STOP_GRACE_IN_MS = 5_000;

/** A dev-only endpoint served outside the route prefix (e.g. a token helper). */
export interface ExtraRoute {
  /** HTTP method, or `*` for any. */
  method: string;
  /** Exact path, e.g. `/dev/token`. */
  path: string;
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  routes: RouteTable<RegisteredFunction>;
  cors: CorsPolicy | undefined;
  extraRoutes: readonly ExtraRoute[];
  invoke(fn: RegisteredFunction, input: InvocationInput): Promise<InvocationOutcome>;
  /**
   * `POST /admin/functions/{name}`: runs a non-HTTP function now, as the real host's admin API does. Undefined when
   * no such function exists. Unlike the real host (202 at once), the local host answers when the run has ended.
   */
  invokeByName?(name: string, input: string | undefined): Promise<InvocationOutcome | undefined>;
  log: HostLog;
  maxRequestBodySizeInBytes?: number;
}

export interface RunningHttpServer {
  port: number;
  /** Stops accepting connections and waits (a few seconds at most) for requests in flight. */
  close(): Promise<void>;
}

/** A Host header: a registered name, IPv4 or bracketed IPv6 literal, with an optional port (RFC 9110, 3986). */
const VALID_HOST = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const server = createServer((req, res) => {
    handleRequest(options, req, res).catch((error: unknown) => {
      options.log('error', `Request ${req.method ?? ''} ${pathOf(req)} failed: ${describeWithStack(error)}`);
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Length': '0' });
      }
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { port: (server.address() as AddressInfo).port, close: async () => closeServer(server) };
}

async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), STOP_GRACE_IN_MS);
  await closed;
  clearTimeout(timer);
}

async function handleRequest(options: HttpServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  // The path as Kestrel decodes it, which is what the real host routes and hands the worker.
  const target = decodeRequestTarget(req.url ?? '/');
  if (target === undefined) {
    writeBody(res, 400, {}, undefined);
    return;
  }
  const path = target.path;
  const origin = header(req, 'origin');

  const host = header(req, 'host');
  if (host !== undefined && !VALID_HOST.test(host)) {
    // Kestrel refuses an invalid Host header with 400 before any function runs.
    writeBody(res, 400, {}, undefined);
    return;
  }

  if (options.cors !== undefined && isPreflightRequest(method, req.headers)) {
    const headers = preflightHeaders(
      options.cors,
      origin ?? '',
      header(req, 'access-control-request-method') ?? '',
      header(req, 'access-control-request-headers'),
    );
    // Like ASP.NET Core's CORS middleware: 204 either way, CORS headers only for allowed origins.
    res.writeHead(204, headers ?? {});
    res.end();
    return;
  }
  if (options.cors !== undefined) {
    for (const [name, value] of Object.entries(responseHeaders(options.cors, origin) ?? {})) {
      res.setHeader(name, value);
    }
  }

  const extra = options.extraRoutes.find(
    (route) => route.path === path && (route.method === '*' || route.method.toUpperCase() === method),
  );
  if (extra !== undefined) {
    await extra.handler(req, res);
    return;
  }
  const adminFunction = /^\/admin\/functions\/([^/]+)$/.exec(path);
  if (adminFunction !== null && method === 'POST' && options.invokeByName !== undefined) {
    const body = await readLimitedBody(req, 1024 * 1024);
    let input: string | undefined;
    try {
      const parsed = body && body.length > 0 ? (JSON.parse(body.toString('utf8')) as { input?: unknown }) : {};
      input = typeof parsed.input === 'string' ? parsed.input : undefined;
    } catch {
      writeBody(res, 400, {}, undefined);
      return;
    }
    const outcome = await options.invokeByName(adminFunction[1], input);
    writeBody(res, outcome === undefined ? 404 : outcome.succeeded ? 202 : 500, {}, undefined);
    return;
  }
  if (path === '/admin/host/status' && method === 'GET') {
    writeBody(res, 200, { 'Content-Type': 'application/json; charset=utf-8' }, JSON.stringify({ state: 'Running' }));
    return;
  }

  const match = options.routes.match(method, path);
  if (match === undefined) {
    if (path === '/' && method === 'GET') {
      writeBody(
        res,
        200,
        { 'Content-Type': 'text/plain; charset=utf-8' },
        'Your Functions 4.0 app is up and running\n',
      );
      return;
    }
    writeBody(res, 404, {}, undefined);
    return;
  }

  const body = await readLimitedBody(req, options.maxRequestBodySizeInBytes ?? MAX_REQUEST_BODY_SIZE_IN_BYTES);
  if (body === undefined) {
    res.setHeader('Connection', 'close');
    writeBody(res, 413, {}, undefined);
    req.resume();
    return;
  }

  const fn = match.target;
  const request: RpcHttpData = {
    method,
    // RpcHttp.url as GrpcMessageConversionExtensions builds it: scheme, Host, Path (re-escaped), raw query.
    url: `http://${header(req, 'host') ?? options.host}${target.urlPath}${target.queryString}`,
    headers: requestHeaders(req),
    query: parseQueryString(target.queryString),
    params: match.params,
    body: body.length > 0 ? { bytes: body } : null,
  };
  const outcome = await options.invoke(fn, {
    reason: 'This function was programmatically called via the host APIs.',
    triggerData: { http: request },
  });
  if (!outcome.succeeded) {
    // The real host answers a failed invocation with a bare 500: no message, no stack.
    writeBody(res, 500, {}, undefined);
    return;
  }
  writeHttpResponse(res, method, httpOutput(fn, outcome.response));
}

/** The HTTP output of an invocation: `$return` or a named `http` output binding. */
function httpOutput(fn: RegisteredFunction, response: RpcInvocationResponse): RpcHttpData | undefined {
  for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
    if (binding.direction === 'out' && binding.type.toLowerCase() === 'http') {
      const data = name === '$return' ? response.returnValue : response.outputData?.find((o) => o.name === name)?.data;
      if (data?.http?.cookies?.length) {
        throw new Error(
          `Function '${fn.metadata.name}' set cookies on its response: the local host does not support them.`,
        );
      }
      return data?.http ?? undefined;
    }
  }
  return undefined;
}

function writeHttpResponse(res: ServerResponse, method: string, http: RpcHttpData | undefined): void {
  if (http === undefined) {
    // "The default return value for an HTTP-triggered function is HTTP 204 No Content with an empty body."
    writeBody(res, 204, {}, undefined);
    return;
  }
  const status = Number(http.statusCode ?? '200');
  if (!Number.isInteger(status) || status < 100 || status > 999) {
    throw new Error(`The function returned the invalid HTTP status '${http.statusCode ?? ''}'.`);
  }
  const bytes = http.body?.bytes ?? (typeof http.body?.string === 'string' ? Buffer.from(http.body.string) : undefined);
  const noBody = method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
  writeBody(
    res,
    status,
    http.headers ?? {},
    noBody || bytes === undefined || bytes === null ? undefined : Buffer.from(bytes),
  );
}

function writeBody(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | string[]>,
  body: string | Buffer | undefined,
): void {
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) {
    res.setHeader(name, value);
  }
  if (body === undefined && status !== 204 && status !== 304) {
    res.setHeader('Content-Length', '0');
  }
  res.end(body);
}

/**
 * The request body, or undefined when it exceeds the limit (checked against Content-Length
 * first, then while reading).
 */
function readLimitedBody(req: IncomingMessage, limitInBytes: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitInBytes) {
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitInBytes) {
        tooLarge = true;
        chunks.length = 0;
      } else if (!tooLarge) {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function requestHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) {
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
  }
  // As the platform's front end does: the address it saw is appended to X-Forwarded-For.
  const remote = req.socket.remoteAddress;
  if (remote !== undefined)
    headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${remote}` : remote;
  return headers;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const queryStart = url.indexOf('?');
  return queryStart === -1 ? url : url.slice(0, queryStart);
}
