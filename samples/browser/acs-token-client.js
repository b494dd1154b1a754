// Browser client for the ACS token service: an AzureCommunicationTokenCredential that gets its tokens from
// POST /api/tokens/refresh and creates the caller's identity (POST /api/tokens) the first time.
// Copy this file into your bundler project (Vite, webpack, esbuild, ...); it needs @azure/communication-common.
import { AzureCommunicationTokenCredential } from '@azure/communication-common';

/**
 * @typedef {object} TokenClientOptions
 * @property {string} serviceUrl - The token service's base URL, e.g. `https://contoso-tokens.azurewebsites.net` (`/api/...` is appended).
 * @property {() => Promise<string>} getBearerToken - Returns the signed-in user's access token for the service
 *   (from your OIDC library, e.g. MSAL's acquireTokenSilent). Called before every request, so it may refresh it.
 * @property {string[]} [scopes] - ACS token scopes; the service's defaults (chat, voip) when omitted.
 * @property {number} [expiresInMinutes] - Token lifetime, 60..1440; the service's default (1440) when omitted.
 */

/**
 * @typedef {object} IssuedToken
 * @property {string} communicationUserId
 * @property {string} token - The ACS access token. Treat it as a secret: never log or display it.
 * @property {Date} expiresOn
 * @property {string[]} scopes
 * @property {boolean} created - True when this call created the caller's ACS identity.
 */

/** A failed call to the token service. `status` is undefined when the service could not be reached. */
export class TokenServiceError extends Error {
  /**
   * @param {string} message
   * @param {{ status?: number, code?: string, cause?: unknown }} [details]
   */
  constructor(message, details = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TokenServiceError';
    /** @type {number | undefined} */
    this.status = details.status;
    /** @type {string | undefined} The problem's `code`, e.g. `unauthorized`, `scope_not_allowed`. */
    this.code = details.code;
  }
}

/**
 * Gets a new ACS token for the signed-in user: refreshes, and when the user has no identity yet
 * (404 `identity_not_found`) creates it and takes the token issued with it.
 *
 * @param {TokenClientOptions} options
 * @param {AbortSignal} [abortSignal]
 * @returns {Promise<IssuedToken>}
 */
export async function fetchToken(options, abortSignal) {
  try {
    return await post(options, '/api/tokens/refresh', abortSignal);
  } catch (error) {
    if (!(error instanceof TokenServiceError) || error.code !== 'identity_not_found') throw error;
    return post(options, '/api/tokens', abortSignal);
  }
}

/**
 * A credential for ChatClient, CallClient and the other ACS client SDKs. It fetches its first token right away
 * and a new one before each expires (`refreshProactively`). `credential.communicationUserId` is the user's ACS
 * identity once the first token has arrived (undefined before). Call `credential.dispose()` on sign-out.
 *
 * @param {TokenClientOptions} options
 * @returns {AzureCommunicationTokenCredential & { readonly communicationUserId: string | undefined }}
 */
export function createTokenCredential(options) {
  /** @type {string | undefined} */
  let communicationUserId;
  const credential = new AzureCommunicationTokenCredential({
    refreshProactively: true,
    tokenRefresher: async (abortSignal) => {
      const issued = await fetchToken(options, abortSignal);
      communicationUserId = issued.communicationUserId;
      return issued.token;
    },
  });
  return Object.defineProperty(credential, 'communicationUserId', { enumerable: true, get: () => communicationUserId });
}

/**
 * @param {TokenClientOptions} options
 * @param {string} path
 * @param {AbortSignal} [abortSignal]
 * @returns {Promise<IssuedToken>}
 */
async function post(options, path, abortSignal) {
  const url = new URL(`${options.serviceUrl.replace(/\/+$/, '')}${path}`);
  const bearerToken = await options.getBearerToken();
  const body = {
    ...(options.scopes !== undefined ? { scopes: options.scopes } : {}),
    ...(options.expiresInMinutes !== undefined ? { expiresInMinutes: options.expiresInMinutes } : {}),
  };
  let response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: abortSignal,
    });
  } catch (error) {
    if (abortSignal?.aborted) throw error;
    throw new TokenServiceError(`Could not reach the token service at ${url.origin}.`, { cause: error });
  }
  const payload = await response.json().catch(() => undefined);
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
      { status: response.status, code },
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
    scopes: Array.isArray(payload.scopes) ? payload.scopes : [],
    created: response.status === 201,
  };
}
