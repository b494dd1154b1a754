import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import { createRemoteJWKSet } from 'jose';

import { API_VERSIONS, type ApiVersion, SUPPORTED_API_VERSIONS } from './api-versions';
import { handleControl } from './control';
import { AcsError } from './errors';
import { faultBody } from './faults';
import { verifyHmac } from './hmac';
import type { Operation } from './operations';
import { EmulatedIdentityApi, type Reply } from './service';
import { EmulatorState, type StateOptions } from './state';
import { parseRequestJson } from './validation';

/** Only this (preview) version accepts `customId` on create. */
export const CUSTOM_ID_API_VERSION = '2025-03-02-preview';

const MAX_BODY_BYTES = 1024 * 1024;
const CONTROL_PREFIX = '/_emulator/';

export interface EmulatorSettings {
  accessKey: string;
  resourceId: string;
  state: StateOptions;
  teamsJwksUrl?: string;
  log: (line: string) => void;
}

type Body = Record<string, unknown> | undefined;

interface ApiRoute {
  operation: Operation;
  run(body: Body, nowMs: number): Reply | Promise<Reply>;
}

const unknownRoute = (method: string, pathname: string): AcsError =>
  new AcsError(404, 'NotFound', `No ACS identity operation matches ${method} ${pathname}.`);

const methodNotAllowed = (method: string): AcsError =>
  new AcsError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`);

/** `null` when the segment is not valid percent-encoding. */
const decodeSegment = (segment: string): string | null => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
};

/** Reads the body without failing: the route needs it to tell createUser from createUserAndToken before the call is authenticated. */
const peekJson = (body: Buffer): Body => {
  try {
    return parseRequestJson(body);
  } catch {
    return undefined;
  }
};

function matchApiRoute(service: EmulatedIdentityApi, method: string, pathname: string, rawBody: Buffer): ApiRoute {
  const segments = pathname.replace(/\/+$/, '').split('/').slice(1).map(decodeSegment);
  const [first, second, third] = segments;
  const only = (expected: string, route: ApiRoute): ApiRoute => {
    if (method !== expected) throw methodNotAllowed(method);
    return route;
  };
  if (segments.length === 1 && first === 'identities') {
    const wantsToken = (peekJson(rawBody)?.['createTokenWithScopes'] ?? null) !== null;
    return only('POST', {
      operation: wantsToken ? 'createUserAndToken' : 'createUser',
      run: (body, nowMs) => service.create(body, nowMs),
    });
  }
  if (first === 'identities' && typeof second === 'string' && second !== '') {
    const id = second;
    if (segments.length === 2)
      return only('DELETE', { operation: 'deleteUser', run: (_body, nowMs) => service.delete(id, nowMs) });
    if (segments.length === 3 && third === ':issueAccessToken') {
      return only('POST', { operation: 'getToken', run: (body, nowMs) => service.issueToken(id, body, nowMs) });
    }
    if (segments.length === 3 && third === ':revokeAccessTokens') {
      return only('POST', { operation: 'revokeTokens', run: (_body, nowMs) => service.revokeTokens(id, nowMs) });
    }
  }
  if (segments.length === 2 && first === 'teamsUser' && second === ':exchangeAccessToken') {
    return only('POST', {
      operation: 'exchangeTeamsToken',
      run: (body, nowMs) => service.exchangeTeamsToken(body, nowMs),
    });
  }
  throw unknownRoute(method, pathname);
}

/** Parses a request target (origin-form `/path?query`) without letting `//x` turn into a host. */
const parseTarget = (target: string): URL => {
  try {
    return new URL(target.startsWith('/') ? `http://emulator.invalid${target}` : target);
  } catch {
    return new URL('http://emulator.invalid/');
  }
};

/**
 * ASP.NET API versioning's answers, which ACS returns (code and message as seen live): no version, an unknown one,
 * or one that lacks the operation (e.g. Teams exchange before 2022-06-01) are all 400.
 */
function checkApiVersion(url: URL, host: string, operation: Operation): ApiVersion {
  const version = url.searchParams.get('api-version');
  if (version === null || version === '') {
    throw new AcsError(400, 'ApiVersionUnspecified', 'An API version is required, but was not specified.');
  }
  const supported = Object.hasOwn(API_VERSIONS, version) ? API_VERSIONS[version] : undefined;
  if (supported === undefined || !supported.operations.includes(operation)) {
    throw new AcsError(
      400,
      'UnsupportedApiVersion',
      `The HTTP resource that matches the request URI 'http://${host}${url.pathname}' does not support the API version '${version}'.`,
    );
  }
  return supported;
}

/**
 * The body as the version's contract reads it. emulator: a member the version does not define (`expiresInMinutes`
 * before it existed) is ignored, as ASP.NET model binding ignores unknown JSON members; the token gets the default lifetime.
 */
function bodyForVersion(body: Body, version: ApiVersion, operation: Operation): Body {
  if (body === undefined || version.expiresInMinutes.includes(operation) || !('expiresInMinutes' in body)) return body;
  const { expiresInMinutes: _ignored, ...rest } = body;
  return rest;
}

function readRequestBytes(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new AcsError(413, 'RequestEntityTooLarge', 'The request body is too large.'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
  const clientRequestId = req.headers['x-ms-client-request-id'];
  res.writeHead(status, {
    'api-supported-versions': SUPPORTED_API_VERSIONS.join(', '),
    'ms-cv': randomUUID(),
    ...(typeof clientRequestId === 'string' ? { 'x-ms-client-request-id': clientRequestId } : {}),
    ...(payload === undefined
      ? { 'content-length': '0' }
      : { 'content-type': 'application/json; charset=utf-8', 'content-length': String(payload.length) }),
    ...headers,
  });
  res.end(payload);
}

/** The emulator's HTTP server: routing, faults, HMAC, api-version, and the one place errors become responses. */
export class EmulatorServer {
  readonly state: EmulatorState;
  readonly server: Server;
  readonly #service: EmulatedIdentityApi;
  readonly #settings: EmulatorSettings;
  readonly #delays = new Map<NodeJS.Timeout, () => void>();
  #stopping = false;

  constructor(settings: EmulatorSettings) {
    this.#settings = settings;
    this.state = new EmulatorState(settings.state);
    const jwks = settings.teamsJwksUrl === undefined ? undefined : createRemoteJWKSet(new URL(settings.teamsJwksUrl));
    this.#service = new EmulatedIdentityApi(this.state, settings.resourceId, jwks);
    this.server = createServer((req, res) => {
      void this.#handle(req, res);
    });
  }

  /** Stops accepting requests, ends pending fault delays and drops open connections. */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const [timer, resolve] of this.#delays) {
      clearTimeout(timer);
      resolve();
    }
    this.#delays.clear();
    const closed = new Promise<void>((resolve, reject) => {
      this.server.close((error) =>
        error === undefined || (error as NodeJS.ErrnoException).code === 'ERR_SERVER_NOT_RUNNING'
          ? resolve()
          : reject(error),
      );
    });
    this.server.closeAllConnections();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedMs = Date.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const target = req.url ?? '/';
    const url = parseTarget(target);
    let operation: Operation | undefined;
    let status = 500;
    let note = '';
    try {
      const rawBody = await readRequestBytes(req);
      if (url.pathname.startsWith(CONTROL_PREFIX)) {
        const reply = handleControl(method, url.pathname, rawBody, this.state, this.#service, Date.now());
        if (reply === undefined)
          throw new AcsError(404, 'NotFound', `No emulator control route matches ${method} ${url.pathname}.`);
        status = reply.status;
        send(req, res, reply.status, reply.body);
        return;
      }

      const route = matchApiRoute(this.#service, method, url.pathname, rawBody);
      operation = route.operation;
      this.state.countCall(operation);

      const fault = this.state.faults.take(operation);
      if (fault !== undefined) {
        if (fault.delayMs !== undefined && fault.delayMs > 0) await this.#sleep(fault.delayMs);
        if (this.#stopping) return;
        if (fault.status !== undefined && fault.status !== 0) {
          status = fault.status;
          note = 'injected fault';
          const headers: Record<string, string> =
            fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
          send(req, res, fault.status, faultBody(fault), headers);
          return;
        }
        note = `delayed ${fault.delayMs ?? 0} ms`;
      }

      verifyHmac({ method, target, headers: req.headers, body: rawBody }, this.#settings.accessKey, Date.now());
      const version = checkApiVersion(url, req.headers.host ?? 'localhost', operation);
      const body = bodyForVersion(parseRequestJson(rawBody), version, operation);
      if (body?.['customId'] !== undefined && url.searchParams.get('api-version') !== CUSTOM_ID_API_VERSION) {
        throw new AcsError(
          400,
          'InvalidRequest',
          `customId is not supported by api-version ${url.searchParams.get('api-version')}.`,
        );
      }
      const reply = await route.run(body, Date.now());
      status = reply.status;
      send(req, res, reply.status, reply.body);
    } catch (error) {
      if (error instanceof AcsError) {
        status = error.status;
        note = error.logReason ?? error.code;
        send(req, res, error.status, error.toBody());
      } else {
        // Never echo an unexpected error to the client; its name is enough for the log.
        status = 500;
        note = `unexpected ${error instanceof Error ? error.name : 'error'}`;
        send(req, res, 500, { error: { code: 'InternalServerError', message: 'An internal error occurred.' } });
      }
    } finally {
      // Path and status only: never headers or bodies, which carry signatures and tokens.
      const parts = [`${method} ${url.pathname}`, String(status), operation, note, `${Date.now() - startedMs} ms`];
      this.#settings.log(parts.filter((part) => part !== undefined && part !== '').join(' '));
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#delays.delete(timer);
        resolve();
      }, ms);
      this.#delays.set(timer, resolve);
    });
  }
}
