import type { TokenScope } from '@azure/communication-identity';

import type { AccessDecision, AppUser, AuditCause } from '../domain/model';
import type { Logger } from '../domain/ports';

/** A token request after the scope policy: the scopes to issue and, if asked for, the lifetime. */
export interface TokenRequest {
  scopes: TokenScope[];
  expiresInMinutes?: number;
}

/** A token request as the caller sent it (validated in shape): no scopes means the deployment's defaults. */
export interface TokenRequestInput {
  scopes?: TokenScope[] | undefined;
  expiresInMinutes?: number | undefined;
}

export interface IssuedToken {
  communicationUserId: string;
  token: string;
  expiresOn: Date;
  scopes: TokenScope[];
}

export interface Identity {
  communicationUserId: string;
  createdOn: Date;
}

/** Who asked, for the audit trail and the logs. */
export interface Caller {
  cause: AuditCause;
  log: Logger;
}

/** The caller of a self-service operation: the app user, when their identity provider issued their token, their IP. */
export interface Requester extends AppUser {
  issuedAt?: Date;
  clientIp?: string;
  attributes?: Readonly<Record<string, string>>;
}

/** A decision to record (see `IdentityService.decide`). */
export type Decision = Omit<AccessDecision, 'etag'>;

export const appUser = (user: AppUser): AppUser => ({ issuer: user.issuer, userId: user.userId });

/** Which scopes this deployment issues, and which a request without scopes gets (TOKEN_* settings). */
export interface TokenPolicy {
  allowedScopes: readonly TokenScope[];
  defaultScopes: readonly TokenScope[];
}
