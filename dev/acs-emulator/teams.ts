import { decodeJwt, type JWTPayload, jwtVerify, type JWTVerifyGetKey } from 'jose';

import { invalidTeamsToken, validationError } from './errors';
import { guidPattern } from './validation';

/** Audiences ACS accepts in a Teams user's Entra token. */
const COMMUNICATION_AUDIENCES = ['https://communication.azure.com', 'https://communication.azure.com/'];

export interface TeamsUser {
  /** The Entra object id, lower-cased: the token's `oid`. */
  userId: string;
  /** Seconds since the epoch: the Entra token's `exp`, which the ACS token gets too. */
  expiresAt: number;
}

const sameGuid = (a: unknown, b: string): boolean => typeof a === 'string' && a.toLowerCase() === b.toLowerCase();

/**
 * Checks a `POST /teamsUser/:exchangeAccessToken` body as the service does, in the service's order
 * (learned from the SDK recordings: a bad token wins over a missing userId, a good token with a missing
 * appId is a 400):
 *  1. `token` is an unexpired JWT for `https://communication.azure.com` (signature checked against `jwks`
 *     when one is configured) - else 401 `InvalidAccessToken` "Provided access token is not valid.";
 *  2. `appId` and `userId` are present GUIDs - else 400 `ValidationError` ("AppId: The AppId field is required.",
 *     "Provided AppId has invalid format.", and the same for UserId);
 *  3. the token's `appid` (v1) or `azp` (v2) is `appId` - else 400 "AAD application is not the expected one.";
 *  4. its `oid` is `userId` - else 400 "Provided AAD token issued for unexpected user.".
 * Every message and status above is the live service's.
 * @throws AcsError
 */
export async function checkTeamsUserToken(
  body: Record<string, unknown> | undefined,
  nowMs: number,
  jwks?: JWTVerifyGetKey,
): Promise<TeamsUser> {
  const token = body?.['token'];
  if (typeof token !== 'string' || token === '') throw invalidTeamsToken('no token');
  let claims: JWTPayload;
  try {
    claims = decodeJwt(token);
  } catch {
    throw invalidTeamsToken('token is not a JWT');
  }
  if (jwks !== undefined) {
    try {
      await jwtVerify(token, jwks, { currentDate: new Date(nowMs) });
    } catch (error) {
      throw invalidTeamsToken(`token signature rejected (${error instanceof Error ? error.name : 'error'})`);
    }
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.some((audience) => typeof audience === 'string' && COMMUNICATION_AUDIENCES.includes(audience))) {
    throw invalidTeamsToken('token audience is not https://communication.azure.com');
  }
  const nowSeconds = Math.floor(nowMs / 1000);
  if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds)
    throw invalidTeamsToken('token expired or has no exp');
  if (typeof claims.nbf === 'number' && claims.nbf > nowSeconds) throw invalidTeamsToken('token not yet valid');

  const appId = body?.['appId'];
  if (typeof appId !== 'string' || appId === '') throw validationError('AppId: The AppId field is required.', 'AppId');
  if (!guidPattern.test(appId)) throw validationError('Provided AppId has invalid format.', 'appId');
  const userId = body?.['userId'];
  if (typeof userId !== 'string' || userId === '')
    throw validationError('UserId: The UserId field is required.', 'UserId');
  if (!guidPattern.test(userId)) throw validationError('Provided UserId has invalid format.', 'userId');

  if (!sameGuid(claims['appid'], appId) && !sameGuid(claims['azp'], appId)) {
    throw validationError('AAD application is not the expected one.', 'appId');
  }
  if (!sameGuid(claims['oid'], userId))
    throw validationError('Provided AAD token issued for unexpected user.', 'userId');
  return { userId: userId.toLowerCase(), expiresAt: claims.exp };
}
