/**
 * Node.js client for the ACS token service: an `AzureCommunicationTokenCredential` that gets its tokens from
 * `POST /api/tokens/refresh` and creates the caller's identity (`POST /api/tokens`) the first time.
 *
 * As a module: `createTokenCredential({ serviceUrl, getBearerToken })`, then hand the credential to ChatClient,
 * CallClient, ... (see samples/README.md).
 *
 * As a script (after `npm run build`):
 *   SERVICE_URL=http://127.0.0.1:7071 BEARER_TOKEN=$(npm run -s token -- alice) node dist/samples/node/acs-token-client.js
 * prints the user's ACS identity and when the token expires (never the token).
 */
import { AzureCommunicationTokenCredential, type CommunicationTokenRefreshOptions } from '@azure/communication-common';

export interface TokenClientOptions {
  /** The token service's base URL, e.g. `https://contoso-tokens.azurewebsites.net` (`/api/...` is appended). */
  serviceUrl: string;
  /**
   * Returns the signed-in user's access token for the service (from your OIDC library). Called before every
   * request, so it may refresh it.
   */
  getBearerToken: () => Promise<string>;
  /** ACS token scopes; the service's defaults (chat, voip) when omitted. */
  scopes?: string[];
  /** Token lifetime, 60..1440; the service's default (1440) when omitted. */
  expiresInMinutes?: number;
}

export interface IssuedToken {
  communicationUserId: string;
  /** The ACS access token. Treat it as a secret: never log or display it. */
  token: string;
  expiresOn: Date;
  scopes: string[];
  /** True when this call created the caller's ACS identity. */
  created: boolean;
}

/** The credential, plus the user's ACS identity once the first token has arrived (undefined before). */
export type ServiceTokenCredential = AzureCommunicationTokenCredential & {
  readonly communicationUserId: string | undefined;
};

/** What the SDK passes to the token refresher (its own `AbortSignalLike`). */
type RefresherAbortSignal = Parameters<CommunicationTokenRefreshOptions['tokenRefresher']>[0];

/** A failed call to the token service. `status` is undefined when the service could not be reached. */
export class TokenServiceError extends Error {
  override readonly name = 'TokenServiceError';
  /** The HTTP status the service answered with. */
  readonly status: number | undefined;
  /** The problem's `code`, e.g. `unauthorized`, `scope_not_allowed`. */
  readonly code: string | undefined;

  constructor(message: string, details: { status?: number; code?: string; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.code = details.code;
  }
}

/**
 * Gets a new ACS token for the signed-in user: refreshes, and when the user has no identity yet
 * (404 `identity_not_found`) creates it and takes the token issued with it.
 *
 * @param options - where the service is and how to get the bearer token.
 * @param abortSignal - cancels the request.
 */
export async function fetchToken(
  options: TokenClientOptions,
  abortSignal?: RefresherAbortSignal,
): Promise<IssuedToken> {
  try {
    return await post(options, '/api/tokens/refresh', abortSignal);
  } catch (error) {
    if (!(error instanceof TokenServiceError) || error.code !== 'identity_not_found') throw error;
    return post(options, '/api/tokens', abortSignal);
  }
}

/**
 * A credential for ChatClient, CallClient and the other ACS client SDKs. It fetches its first token right away
 * and a new one before each expires (`refreshProactively`). Call `dispose()` when done (e.g. on sign-out):
 * it stops the refresh timer, which otherwise keeps a Node process alive.
 *
 * The SDK (2.4.2) runs those proactive refreshes from a timer without catching: in Node a refresh that fails
 * there is an `unhandledRejection`, which ends the process unless the app handles that event.
 *
 * @param options - where the service is and how to get the bearer token.
 */
export function createTokenCredential(options: TokenClientOptions): ServiceTokenCredential {
  let communicationUserId: string | undefined;
  const credential = new AzureCommunicationTokenCredential({
    refreshProactively: true,
    tokenRefresher: async (abortSignal) => {
      const issued = await fetchToken(options, abortSignal);
      communicationUserId = issued.communicationUserId;
      return issued.token;
    },
  });
  return Object.defineProperty(credential, 'communicationUserId', {
    enumerable: true,
    get: () => communicationUserId,
  }) as ServiceTokenCredential;
}

interface TokenResponse {
  communicationUserId?: unknown;
  token?: unknown;
  expiresOn?: unknown;
  scopes?: unknown;
  code?: unknown;
  title?: unknown;
  detail?: unknown;
}

async function post(
  options: TokenClientOptions,
  path: string,
  abortSignal: RefresherAbortSignal,
): Promise<IssuedToken> {
  const url = new URL(`${options.serviceUrl.replace(/\/+$/, '')}${path}`);
  const bearerToken = await options.getBearerToken();
  const body = {
    ...(options.scopes !== undefined ? { scopes: options.scopes } : {}),
    ...(options.expiresInMinutes !== undefined ? { expiresInMinutes: options.expiresInMinutes } : {}),
  };
  const signal = toAbortSignal(abortSignal);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new TokenServiceError(`Could not reach the token service at ${url.origin}.`, { cause: error });
  }
  const payload = (await response.json().catch(() => undefined)) as TokenResponse | undefined;
  if (!response.ok) {
    // Problem Details: `code` is stable; `detail` (or `title`) says what went wrong, without secrets.
    const code = typeof payload?.code === 'string' ? payload.code : undefined;
    const explanation =
      typeof payload?.detail === 'string'
        ? payload.detail
        : typeof payload?.title === 'string'
          ? payload.title
          : undefined;
    throw new TokenServiceError(
      `POST ${url.pathname} failed with ${response.status}${code ? ` (${code})` : ''}${explanation ? `: ${explanation}` : '.'}`,
      {
        status: response.status,
        ...(code ? { code } : {}),
      },
    );
  }
  if (
    typeof payload?.token !== 'string' ||
    typeof payload.communicationUserId !== 'string' ||
    typeof payload.expiresOn !== 'string'
  ) {
    throw new TokenServiceError(`POST ${url.pathname} answered ${response.status} without a token.`, {
      status: response.status,
    });
  }
  return {
    communicationUserId: payload.communicationUserId,
    token: payload.token,
    expiresOn: new Date(payload.expiresOn),
    scopes: Array.isArray(payload.scopes)
      ? payload.scopes.filter((scope): scope is string => typeof scope === 'string')
      : [],
    created: response.status === 201,
  };
}

/** fetch wants a real AbortSignal; the SDK may hand over any `AbortSignalLike`. */
function toAbortSignal(like: RefresherAbortSignal): AbortSignal | undefined {
  if (like === undefined || like instanceof AbortSignal) return like;
  const controller = new AbortController();
  if (like.aborted) controller.abort();
  else like.addEventListener('abort', () => controller.abort(), { once: true });
  return controller.signal;
}

async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const serviceUrl = env['SERVICE_URL'];
  const bearerToken = env['BEARER_TOKEN'];
  if (!serviceUrl || !bearerToken) {
    throw new Error(
      'Set SERVICE_URL (e.g. http://127.0.0.1:7071) and BEARER_TOKEN (e.g. from "npm run token -- alice").',
    );
  }
  const credential = createTokenCredential({ serviceUrl, getBearerToken: () => Promise.resolve(bearerToken) });
  try {
    const { expiresOnTimestamp } = await credential.getToken();
    console.log(`ACS user:      ${credential.communicationUserId ?? '(unknown)'}`);
    console.log(`Token expires: ${new Date(expiresOnTimestamp).toISOString()}`);
  } finally {
    credential.dispose();
  }
}

if (require.main === module) {
  // The credential's first refresh runs on the SDK's timer too, which does not catch: when it fails, the same
  // TokenServiceError that main() reports would also surface as an unhandled rejection and end the process.
  process.on('unhandledRejection', (reason) => {
    if (!(reason instanceof TokenServiceError)) throw reason;
  });
  main(process.env).catch((error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    process.exitCode = 1;
  });
}
