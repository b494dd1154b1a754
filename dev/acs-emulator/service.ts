import { randomUUID } from 'node:crypto';

import type { JWTVerifyGetKey } from 'jose';

import { denied } from './errors';
import type { EmulatorState, IdentityRecord } from './state';
import { checkTeamsUserToken } from './teams';
import { TOKEN_ISSUER, type TokenClaims, TokenSigner } from './tokens';
import { parseCustomId, parseExpiresInMinutes, parseScopes, type SupportedScope } from './validation';

/** What an operation answers: a status and, unless 204, a JSON body. */
export interface Reply {
  status: number;
  body?: unknown;
}

export interface EmulatedAccessToken {
  token: string;
  /** ISO 8601, what the SDK turns into `expiresOn: Date`. */
  expiresOn: string;
}

export type VerifyResult =
  | { valid: true; communicationUserId: string; scopes: string[]; expiresOn: string }
  | {
      valid: false;
      reason: 'malformed' | 'bad_signature' | 'expired' | 'revoked' | 'identity_deleted' | 'unknown_identity';
      communicationUserId?: string;
    };

/**
 * The identity API's use cases over the in-memory state: what the live service decides for each call.
 * Bodies arrive parsed (`undefined` = no body); errors are thrown as `AcsError`.
 */
export class EmulatedIdentityApi {
  readonly #signer: TokenSigner;

  constructor(
    private readonly state: EmulatorState,
    private readonly resourceId: string,
    private readonly teamsJwks?: JWTVerifyGetKey,
  ) {
    this.#signer = new TokenSigner(state.signingKey);
  }

  /** POST /identities: 201 `{identity}`, plus `accessToken` when `createTokenWithScopes` is given. */
  create(body: Record<string, unknown> | undefined, nowMs: number): Reply {
    const requestedScopes = body?.['createTokenWithScopes'];
    const withToken = requestedScopes !== undefined && requestedScopes !== null;
    // Validate before creating anything: a refused call leaves no identity behind.
    const scopes = withToken ? parseScopes(requestedScopes, 'createTokenWithScopes') : [];
    const expiresInMinutes = parseExpiresInMinutes(body?.['expiresInMinutes']);
    // customId (preview): the same customId always answers with the same live identity.
    const customId = parseCustomId(body?.['customId']);
    const identity =
      (customId === undefined ? undefined : this.state.findByCustomId(customId)) ??
      this.state.addIdentity(`8:acs:${this.resourceId}_${randomUUID()}`, nowMs, customId);
    const result: { identity: { id: string }; accessToken?: EmulatedAccessToken } = { identity: { id: identity.id } };
    if (withToken) result.accessToken = this.#issue(identity.id, scopes, expiresInMinutes * 60, nowMs, 'acs');
    return { status: 201, body: result };
  }

  /** POST /identities/{id}/:issueAccessToken: 200 `{token, expiresOn}`. */
  issueToken(id: string, body: Record<string, unknown> | undefined, nowMs: number): Reply {
    const identity = this.#liveIdentity(id);
    const scopes = parseScopes(body?.['scopes'], 'scopes');
    const expiresInMinutes = parseExpiresInMinutes(body?.['expiresInMinutes']);
    return { status: 200, body: this.#issue(identity.id, scopes, expiresInMinutes * 60, nowMs, 'acs') };
  }

  /** POST /identities/{id}/:revokeAccessTokens: 204; tokens issued before it stop verifying. */
  revokeTokens(id: string, nowMs: number): Reply {
    this.state.revokeTokens(this.#liveIdentity(id), nowMs);
    return { status: 204 };
  }

  /** DELETE /identities/{id}: 204; the identity and all its tokens are gone. */
  delete(id: string, nowMs: number): Reply {
    this.state.deleteIdentity(this.#liveIdentity(id), nowMs);
    return { status: 204 };
  }

  /** POST /teamsUser/:exchangeAccessToken: 200 `{token, expiresOn}` for `8:orgid:<userId>`, expiring with the Entra token. */
  async exchangeTeamsToken(body: Record<string, unknown> | undefined, nowMs: number): Promise<Reply> {
    const user = await checkTeamsUserToken(body, nowMs, this.teamsJwks);
    const lifetimeInSeconds = user.expiresAt - Math.floor(nowMs / 1000);
    // emulator: which scopes a Teams user's ACS token carries is not documented; calling and chat are what it is for.
    return {
      status: 200,
      body: this.#issue(`8:orgid:${user.userId}`, ['voip', 'chat'], lifetimeInSeconds, nowMs, 'teams'),
    };
  }

  /** Checks a token the emulator issued: signature, expiry, then identity deletion and revocation (once propagated). */
  verify(token: string, nowMs: number): VerifyResult {
    const decoded = this.#signer.decode(token);
    if (!decoded.ok) return { valid: false, reason: decoded.reason };
    const { claims } = decoded;
    const communicationUserId = claims.sub;
    if (claims.exp * 1000 <= nowMs) return { valid: false, reason: 'expired', communicationUserId };
    const status = this.state.tokenStatus(claims.jti, communicationUserId, nowMs);
    if (status !== 'valid') return { valid: false, reason: status, communicationUserId };
    return {
      valid: true,
      communicationUserId,
      scopes: claims.scp,
      expiresOn: new Date(claims.exp * 1000).toISOString(),
    };
  }

  /** Unknown, foreign and deleted identities all answer 401, as the live service does. */
  #liveIdentity(id: string): IdentityRecord {
    const identity = this.state.findLiveIdentity(id);
    if (identity === undefined) throw denied('unknown or deleted identity');
    return identity;
  }

  #issue(
    communicationUserId: string,
    scopes: SupportedScope[],
    lifetimeInSeconds: number,
    nowMs: number,
    kind: 'acs' | 'teams',
  ): EmulatedAccessToken {
    const issuedAt = Math.floor(nowMs / 1000);
    const expiresAt = issuedAt + lifetimeInSeconds;
    const claims: TokenClaims = {
      iss: TOKEN_ISSUER,
      sub: communicationUserId,
      skypeid: communicationUserId.replace(/^8:/, ''),
      scp: scopes,
      acsScope: scopes.join(','),
      resourceId: this.resourceId,
      jti: TokenSigner.newTokenId(),
      iat: issuedAt,
      exp: expiresAt,
    };
    this.state.recordToken(claims.jti, communicationUserId, kind, expiresAt * 1000);
    return { token: this.#signer.sign(claims), expiresOn: new Date(expiresAt * 1000).toISOString() };
  }
}
