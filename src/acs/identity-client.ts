import { CommunicationIdentityClient } from '@azure/communication-identity';
import type { TokenScope } from '@azure/communication-identity';
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';

import type { Connection } from '../config/config';
import { acsConnectionStringEndpoint, isLoopbackHttp } from '../config/urls';
import { AcsBadRequestError, AcsUnauthorizedError, UpstreamError } from '../domain/errors';
import type { AccessToken, CreateOptions, IdentityGateway } from '../domain/ports';
import { traceAcsCall } from '../telemetry';
import { boundedRetryOptions, failFastOnLongRetryAfter, throttledRetryAfterInMs } from './retry';

export type { AccessToken, CreateOptions, IdentityGateway } from '../domain/ports';

export { AcsBadRequestError, AcsUnauthorizedError } from '../domain/errors';

/** The identity API version that accepts `customId` on create (preview; the GA versions up to 2026-09-23 do not). */
export const customIdApiVersion = '2025-03-02-preview';
const customIdHeader = 'x-token-service-custom-id';

/**
 * Runs before the SDK's HMAC or bearer policy (position `perCall`), so the signature covers what it changes: a create
 * that carries our private header gets `customId` in its body and the preview api-version; the header is removed.
 */
export function customIdPolicy(): PipelinePolicy {
  return {
    name: 'customIdPolicy',
    sendRequest(request, next) {
      const customId = request.headers.get(customIdHeader);
      if (customId !== undefined) {
        request.headers.delete(customIdHeader);
        const body =
          typeof request.body === 'string' && request.body.length > 0
            ? (JSON.parse(request.body) as Record<string, unknown>)
            : {};
        request.body = JSON.stringify({ ...body, customId });
        request.headers.set('content-type', 'application/json');
        const url = new URL(request.url);
        url.searchParams.set('api-version', customIdApiVersion);
        request.url = url.toString();
      }
      return next(request);
    },
  };
}

/** The origin of an ACS endpoint, the resource's identity in mappings (`https://name.communication.azure.com`). */
export const resourceOf = (endpoint: string): string => new URL(endpoint).origin.toLowerCase();

export function acsEndpointOf(connection: Connection): string {
  return connection.kind === 'connectionString'
    ? acsConnectionStringEndpoint(connection.connectionString)!
    : connection.endpoint;
}

export function createIdentityClient(
  connection: Connection,
  credential: () => TokenCredential,
): CommunicationIdentityClient {
  const endpoint = acsEndpointOf(connection);
  const options = {
    retryOptions: boundedRetryOptions,
    additionalPolicies: [
      { policy: customIdPolicy(), position: 'perCall' as const },
      { policy: failFastOnLongRetryAfter(), position: 'perRetry' as const },
    ],
    ...(isLoopbackHttp(endpoint) ? { allowInsecureConnection: true } : {}),
  };
  return connection.kind === 'connectionString'
    ? new CommunicationIdentityClient(connection.connectionString, options)
    : new CommunicationIdentityClient(connection.endpoint, credential(), options);
}

/** The SDK-backed gateway. Every call carries a deadline so that a request never hangs past `timeoutInMs`. */
export class AcsIdentityGateway implements IdentityGateway {
  constructor(
    private readonly client: CommunicationIdentityClient,
    private readonly timeoutInMs: number,
    readonly resource: string,
  ) {}

  createUser(options: CreateOptions = {}): Promise<string> {
    return this.call(
      'createUser',
      async (abortSignal) =>
        (await this.client.createUser({ abortSignal, ...withCustomId(options) })).communicationUserId,
    );
  }

  createUserAndToken(scopes: TokenScope[], expiresInMinutes?: number, options: CreateOptions = {}) {
    return this.call('createUserAndToken', async (abortSignal) => {
      const result = await this.client.createUserAndToken(scopes, {
        abortSignal,
        ...(expiresInMinutes ? { tokenExpiresInMinutes: expiresInMinutes } : {}),
        ...withCustomId(options),
      });
      return { communicationUserId: result.user.communicationUserId, token: result.token, expiresOn: result.expiresOn };
    });
  }

  getToken(communicationUserId: string, scopes: TokenScope[], expiresInMinutes?: number): Promise<AccessToken> {
    return this.call('getToken', async (abortSignal) => {
      const result = await this.client.getToken({ communicationUserId }, scopes, {
        abortSignal,
        ...(expiresInMinutes ? { tokenExpiresInMinutes: expiresInMinutes } : {}),
      });
      return { token: result.token, expiresOn: result.expiresOn };
    });
  }

  revokeTokens(communicationUserId: string): Promise<void> {
    return this.call('revokeTokens', (abortSignal) =>
      this.client.revokeTokens({ communicationUserId }, { abortSignal }),
    );
  }

  deleteUser(communicationUserId: string): Promise<void> {
    return this.call('deleteUser', (abortSignal) => this.client.deleteUser({ communicationUserId }, { abortSignal }));
  }

  exchangeTeamsToken(teamsUserAadToken: string, clientId: string, userObjectId: string): Promise<AccessToken> {
    return this.call('getTokenForTeamsUser', async (abortSignal) => {
      const result = await this.client.getTokenForTeamsUser({ teamsUserAadToken, clientId, userObjectId, abortSignal });
      return { token: result.token, expiresOn: result.expiresOn };
    });
  }

  /** `name` is the ACS operation, for telemetry (a span, `identity.acs.duration`, `identity.acs.throttled`). */
  private call<T>(name: string, operation: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    return traceAcsCall(name, async () => {
      const abortSignal = AbortSignal.timeout(this.timeoutInMs);
      try {
        return await operation(abortSignal);
      } catch (error) {
        throw translateAcsError(error, abortSignal.aborted);
      }
    });
  }
}

const withCustomId = (options: CreateOptions) =>
  options.customId ? { requestOptions: { customHeaders: { [customIdHeader]: options.customId } } } : {};

/** SDK errors become UpstreamErrors (status kept, message dropped); anything else is rethrown unchanged. */
export function translateAcsError(error: unknown, timedOut = false): unknown {
  const throttledFor = throttledRetryAfterInMs(error);
  if (throttledFor !== undefined) return new UpstreamError('acs', 'throttled', 429, throttledFor / 1000);
  if (timedOut || (error instanceof Error && error.name === 'AbortError')) return new UpstreamError('acs', 'timeout');
  if (!(error instanceof Error) || error.name !== 'RestError') return error;
  const rest = error as Error & {
    statusCode?: number;
    code?: string;
    response?: { headers: { get(name: string): string | undefined } };
  };
  const status = rest.statusCode;
  if (status === undefined) return new UpstreamError('acs', 'unavailable'); // network failure after the SDK's retries
  if (status === 401 || status === 403) return new AcsUnauthorizedError();
  if (status === 400) return new AcsBadRequestError(rest.code);
  if (status === 429 || status === 503) {
    const header = rest.response?.headers.get('retry-after');
    const seconds = header !== undefined && Number.isFinite(Number(header)) ? Number(header) : undefined;
    return new UpstreamError('acs', status === 429 ? 'throttled' : 'unavailable', status, seconds);
  }
  if (status >= 500) return new UpstreamError('acs', 'failed', status);
  return new UpstreamError('acs', 'rejected', status);
}
