import type { Principal } from '../domain/model';

export type { AppUser, Principal } from '../domain/model';

export interface Authenticator {
  /** Resolves the caller or throws an `unauthenticated` ServiceError. */
  authenticate(headers: { get(name: string): string | null }): Promise<Principal>;
}
