import type { AuthConfig } from '../config/config';
import { forbidden, unauthenticated } from '../domain/errors';
import type { Principal } from '../domain/model';
import type { Authenticator } from '../domain/ports';

interface ClientPrincipal {
  auth_typ?: string;
  claims?: Array<{ typ?: unknown; val?: unknown }>;
  role_typ?: string;
}

const claimAliases: Record<string, string[]> = {
  oid: ['oid', 'http://schemas.microsoft.com/identity/claims/objectidentifier'],
  tid: ['tid', 'http://schemas.microsoft.com/identity/claims/tenantid'],
  sub: ['sub', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier'],
  scp: ['scp', 'http://schemas.microsoft.com/identity/claims/scope'],
  roles: ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'],
  iss: ['iss'],
};

/**
 * App Service Authentication ("Easy Auth") mode: the platform validates the token and passes the caller as the
 * base64 JSON header `x-ms-client-principal`, stripping any copy a client sends. Only trusted when AUTH_MODE is
 * `appservice`; the issuer must still be one of AUTH_ISSUERS when that list is set.
 */
export class AppServiceAuthenticator implements Authenticator {
  constructor(private readonly config: AuthConfig) {}

  // eslint-disable-next-line @typescript-eslint/require-await -- async so that a refusal is a rejection, as with JWTs
  async authenticate(headers: { get(name: string): string | null }): Promise<Principal> {
    const header = headers.get('x-ms-client-principal');
    if (!header) throw unauthenticated('Sign in first: no client principal was provided.', 'invalid_request');
    let principal: ClientPrincipal;
    try {
      principal = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as ClientPrincipal;
    } catch {
      throw unauthenticated('The client principal is malformed.');
    }
    const claims = (principal.claims ?? []).filter(
      (claim): claim is { typ: string; val: string } => typeof claim.typ === 'string' && typeof claim.val === 'string',
    );
    const values = (name: string) => {
      const aliases = claimAliases[name] ?? [name];
      return claims
        .filter((claim) => aliases.includes(claim.typ) || (name === 'roles' && claim.typ === principal.role_typ))
        .map((claim) => claim.val);
    };
    const first = (name: string) => values(name)[0];

    const issuer = first('iss');
    if (!issuer) throw unauthenticated('The client principal has no issuer.');
    if (this.config.issuers.length > 0 && !this.config.issuers.includes(issuer))
      throw unauthenticated('The token issuer is not trusted.');
    const userId = this.config.userIdClaims.map(first).find((value) => !!value);
    if (!userId)
      throw unauthenticated(
        `The client principal has none of the user id claims (${this.config.userIdClaims.join(', ')}).`,
      );
    const scopes = values('scp')
      .flatMap((value) => value.split(' '))
      .filter(Boolean);
    const roles = values(this.config.adminRoleClaim === 'roles' ? 'roles' : this.config.adminRoleClaim);
    if (this.config.requiredScope && !scopes.includes(this.config.requiredScope)) {
      throw forbidden('missing_scope', `The token lacks the required scope ${this.config.requiredScope}.`);
    }
    if (this.config.requiredRole && !values('roles').includes(this.config.requiredRole)) {
      throw forbidden('missing_role', `The token lacks the required role ${this.config.requiredRole}.`);
    }
    const objectId = first('oid');
    const tenantId = first('tid');
    return { issuer, userId, roles, scopes, ...(objectId ? { objectId } : {}), ...(tenantId ? { tenantId } : {}) };
  }
}
