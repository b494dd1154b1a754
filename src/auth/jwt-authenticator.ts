import { createHash } from 'node:crypto';

import { createRemoteJWKSet, decodeJwt, errors as joseErrors, type JWTPayload, jwtVerify } from 'jose';

import type { AuthConfig } from '../config/config';
import { forbidden, unauthenticated, UpstreamError } from '../domain/errors';
import type { Principal } from '../domain/model';
import type { Authenticator } from '../domain/ports';

type KeySet = ReturnType<typeof createRemoteJWKSet>;

const discoveryTimeoutInMs = 5000;
const verifiedCacheSize = 10_000;
const verifiedCacheMaxAgeInMs = 5 * 60_000;

/**
 * Verifies `Authorization: Bearer <JWT>` from the app's own identity provider(s) with jose: the issuer must be one
 * of the configured issuers, the signature must verify against that issuer's JWKS (discovered once from
 * `/.well-known/openid-configuration`, cached by jose and re-fetched on an unknown `kid` at most every 30 s), the
 * algorithm must be an allowed asymmetric one, and `aud`, `exp`, `nbf` are checked with bounded clock skew.
 */
export class JwtAuthenticator implements Authenticator {
  private readonly keySets = new Map<string, Promise<KeySet>>();
  /** Tokens verified recently, by SHA-256 of the token: a client refreshing with the same IdP token skips the signature check. */
  private readonly verified = new Map<string, { principal: Principal; expiresAtMs: number }>();

  constructor(
    private readonly config: AuthConfig,
    private readonly fetchJson: (url: string) => Promise<unknown> = defaultFetchJson,
  ) {}

  async authenticate(headers: { get(name: string): string | null }): Promise<Principal> {
    const token = bearerToken(headers.get('authorization'));
    const cacheKey = createHash('sha256').update(token).digest('base64url');
    const cached = this.verified.get(cacheKey);
    if (cached && Date.now() < cached.expiresAtMs) return cached.principal;
    const { principal, exp } = await this.verify(token);
    this.remember(cacheKey, principal, exp);
    return principal;
  }

  /**
   * Keeps a verified token's principal until the token expires (clock skew included) or 5 minutes pass, whichever
   * comes first; at most {@link verifiedCacheSize} tokens, the oldest dropped first. Tokens without `exp` are refused
   * earlier (requiredClaims), so every entry has an end.
   */
  private remember(cacheKey: string, principal: Principal, exp: number | undefined): void {
    if (typeof exp !== 'number') return;
    const expiresAtMs = Math.min((exp + this.config.clockSkewInSeconds) * 1000, Date.now() + verifiedCacheMaxAgeInMs);
    this.verified.set(cacheKey, { principal: Object.freeze(principal), expiresAtMs });
    while (this.verified.size > verifiedCacheSize) this.verified.delete(this.verified.keys().next().value as string);
  }

  private async verify(token: string): Promise<{ principal: Principal; exp: number | undefined }> {
    let claimedIssuer: string | undefined;
    try {
      claimedIssuer = decodeJwt(token).iss;
    } catch {
      throw unauthenticated('The bearer token is malformed.');
    }
    if (!claimedIssuer || !this.config.issuers.includes(claimedIssuer))
      throw unauthenticated('The token issuer is not trusted.');

    const keySet = await this.keySetFor(claimedIssuer);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keySet, {
        issuer: claimedIssuer,
        audience: this.config.audiences,
        algorithms: this.config.algorithms,
        clockTolerance: this.config.clockSkewInSeconds,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      throw verificationError(error);
    }
    return { principal: this.toPrincipal(claimedIssuer, payload), exp: payload.exp };
  }

  private toPrincipal(issuer: string, payload: JWTPayload): Principal {
    const userId = this.config.userIdClaims
      .map((claim) => payload[claim])
      .find((value): value is string => typeof value === 'string' && value.length > 0);
    if (!userId)
      throw unauthenticated(`The token has none of the user id claims (${this.config.userIdClaims.join(', ')}).`);
    const roles = stringList(payload[this.config.adminRoleClaim] ?? payload['roles']);
    const scopes =
      typeof payload['scp'] === 'string' ? payload['scp'].split(' ').filter(Boolean) : stringList(payload['scp']);
    if (this.config.requiredScope && !scopes.includes(this.config.requiredScope)) {
      throw forbidden('missing_scope', `The token lacks the required scope ${this.config.requiredScope}.`);
    }
    if (this.config.requiredRole && !stringList(payload['roles']).includes(this.config.requiredRole)) {
      throw forbidden('missing_role', `The token lacks the required role ${this.config.requiredRole}.`);
    }
    return {
      issuer,
      userId,
      roles,
      scopes,
      ...(typeof payload['oid'] === 'string' ? { objectId: payload['oid'] } : {}),
      ...(typeof payload['tid'] === 'string' ? { tenantId: payload['tid'] } : {}),
      ...(typeof payload.iat === 'number' && Number.isFinite(payload.iat)
        ? { issuedAt: new Date(payload.iat * 1000) }
        : {}),
      attributes: Object.fromEntries(
        Object.entries(payload).filter(
          (entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1].length <= 256,
        ),
      ),
    };
  }

  /** One JWKS per issuer per process; a failed discovery is forgotten so the next request tries again. */
  private keySetFor(issuer: string): Promise<KeySet> {
    let keySet = this.keySets.get(issuer);
    if (!keySet) {
      keySet = this.discover(issuer);
      keySet.catch(() => this.keySets.delete(issuer));
      this.keySets.set(issuer, keySet);
    }
    return keySet;
  }

  private async discover(issuer: string): Promise<KeySet> {
    let jwksUri = this.config.jwksUri;
    if (!jwksUri) {
      const metadata = (await this.fetchJson(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`)) as {
        jwks_uri?: unknown;
        issuer?: unknown;
      };
      if (typeof metadata.jwks_uri !== 'string') throw new UpstreamError('identity-provider', 'unavailable');
      jwksUri = metadata.jwks_uri;
    }
    return createRemoteJWKSet(new URL(jwksUri), {
      timeoutDuration: discoveryTimeoutInMs,
      cooldownDuration: 30_000,
      cacheMaxAge: 10 * 60_000,
    });
  }
}

async function defaultFetchJson(url: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      signal: AbortSignal.timeout(discoveryTimeoutInMs),
      headers: { accept: 'application/json' },
    });
  } catch {
    throw new UpstreamError('identity-provider', 'unavailable');
  }
  if (!response.ok) throw new UpstreamError('identity-provider', 'unavailable', response.status);
  try {
    return await response.json();
  } catch {
    throw new UpstreamError('identity-provider', 'unavailable');
  }
}

export function bearerToken(header: string | null): string {
  if (!header) throw unauthenticated('A bearer token is required.', 'invalid_request');
  const match = /^Bearer[ ]+([A-Za-z0-9\-_.~+/]+=*)$/i.exec(header.trim());
  if (!match) throw unauthenticated('The Authorization header must be "Bearer <token>".', 'invalid_request');
  const token = match[1];
  if (!isCanonicalCompactJws(token)) throw unauthenticated('The bearer token is malformed.');
  return token;
}

const base64url = /^[A-Za-z0-9_-]+$/;

/**
 * A compact JWS has exactly one spelling: three unpadded base64url segments whose unused trailing bits are zero
 * (RFC 7515 section 2 and RFC 4648 section 3.5). Decoders accept `=`, `+`, `/` and non-zero padding bits, which
 * would give one token several accepted spellings (and several cache or replay keys).
 */
export function isCanonicalCompactJws(token: string): boolean {
  const segments = token.split('.');
  return (
    segments.length === 3 &&
    segments.every(
      (segment) => base64url.test(segment) && Buffer.from(segment, 'base64url').toString('base64url') === segment,
    )
  );
}

function verificationError(error: unknown) {
  if (error instanceof joseErrors.JWTExpired) return unauthenticated('The token has expired.');
  if (error instanceof joseErrors.JWTClaimValidationFailed)
    return unauthenticated(`The token's ${error.claim} claim is not acceptable.`);
  if (error instanceof joseErrors.JOSEAlgNotAllowed)
    return unauthenticated('The token is signed with an algorithm that is not allowed.');
  if (error instanceof joseErrors.JWKSNoMatchingKey) return unauthenticated('The token is signed with an unknown key.');
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return unauthenticated('The token signature is invalid.');
  if (error instanceof joseErrors.JWKSTimeout) return new UpstreamError('identity-provider', 'timeout');
  if (error instanceof joseErrors.JOSEError) return unauthenticated('The token is invalid.');
  // Network failures while fetching the JWKS.
  return new UpstreamError('identity-provider', 'unavailable');
}

function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  if (typeof value === 'string') return [value];
  return [];
}
