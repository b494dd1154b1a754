/** An authenticated caller: the app user is `(issuer, userId)`, so two identity providers can never collide. */
export interface Principal {
  issuer: string;
  userId: string;
  roles: readonly string[];
  scopes: readonly string[];
  /** Entra object id and tenant id when the token carries them (used by the Teams exchange). */
  objectId?: string;
  tenantId?: string;
  /** When the identity provider issued the caller's token (`iat`, seconds resolution); undefined when absent. */
  issuedAt?: Date;
}

export type { AppUser } from '../domain/model';

export interface Authenticator {
  /** Resolves the caller or throws an `unauthenticated` AppError. */
  authenticate(headers: { get(name: string): string | null }): Promise<Principal>;
}
