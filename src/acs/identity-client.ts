import { CommunicationIdentityClient, type TokenScope } from '@azure/communication-identity';
import type { TokenCredential } from '@azure/core-auth';

import type { Connection } from '../config/config';
import { acsConnectionStringEndpoint, isLoopbackHttp } from '../config/urls';
import { UpstreamError } from '../errors/errors';
import { traceAcsCall } from '../telemetry';
import { boundedRetryOptions, failFastOnLongRetryAfter, throttledRetryAfterInMs } from './retry';

export interface AccessToken {
  token: string;
  expiresOn: Date;
}

/** What the service needs from ACS identity: one method per REST operation, errors already translated. */
export interface IdentityGateway {
  createUser(): Promise<string>;
  createUserAndToken(scopes: TokenScope[], expiresInMinutes?: number): Promise<AccessToken & { communicationUserId: string }>;
  getToken(communicationUserId: string, scopes: TokenScope[], expiresInMinutes?: number): Promise<AccessToken>;
  revokeTokens(communicationUserId: string): Promise<void>;
  deleteUser(communicationUserId: string): Promise<void>;
  exchangeTeamsToken(teamsUserAadToken: string, clientId: string, userObjectId: string): Promise<AccessToken>;
}

/**
 * ACS answers 401 both for "no such identity" and for "bad credentials". Callers that must tell the two apart
 * catch this and decide (see `IdentityService.deleteIdentity`).
 */
export class AcsUnauthorizedError extends UpstreamError {
  constructor() {
    super('acs', 'rejected', 401);
  }
}

/** ACS refused the request's content (400), e.g. a Teams token for another app or user. */
export class AcsBadRequestError extends UpstreamError {
  constructor(readonly upstreamCode: string | undefined) {
    super('acs', 'rejected', 400);
  }
}

export function createIdentityClient(connection: Connection, credential: () => TokenCredential): CommunicationIdentityClient {
  const endpoint = connection.kind === 'connectionString' ? acsConnectionStringEndpoint(connection.connectionString)! : connection.endpoint;
  const options = {
    retryOptions: boundedRetryOptions,
    additionalPolicies: [{ policy: failFastOnLongRetryAfter(), position: 'perRetry' as const }],
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
  ) {}

  createUser(): Promise<string> {
    return this.call('createUser', async (abortSignal) => (await this.client.createUser({ abortSignal })).communicationUserId);
  }

  createUserAndToken(scopes: TokenScope[], expiresInMinutes?: number) {
    return this.call('createUserAndToken', async (abortSignal) => {
      const result = await this.client.createUserAndToken(scopes, { abortSignal, ...(expiresInMinutes ? { tokenExpiresInMinutes: expiresInMinutes } : {}) });
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
    return this.call('revokeTokens', (abortSignal) => this.client.revokeTokens({ communicationUserId }, { abortSignal }));
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

/** SDK errors become UpstreamErrors (status kept, message dropped); anything else is rethrown unchanged. */
export function translateAcsError(error: unknown, timedOut = false): unknown {
  const throttledFor = throttledRetryAfterInMs(error);
  if (throttledFor !== undefined) return new UpstreamError('acs', 'throttled', 429, throttledFor / 1000);
  if (timedOut || (error instanceof Error && error.name === 'AbortError')) return new UpstreamError('acs', 'timeout');
  if (!(error instanceof Error) || error.name !== 'RestError') return error;
  const rest = error as Error & { statusCode?: number; code?: string; response?: { headers: { get(name: string): string | undefined } } };
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
