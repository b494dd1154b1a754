import type { TokenScope } from '@azure/communication-identity';

import { AcsUnauthorizedError, type IdentityGateway } from '../acs/identity-client';
import type { AppUser } from '../auth/principal';
import { conflict, notFound } from '../errors/errors';
import { describeError } from '../http/problem';
import type { AuditCause, AuditEntry, IdentityMapping, MappingRepository } from '../storage/mapping-repository';
import type { Logger } from './logger';

export interface TokenRequest {
  scopes: TokenScope[];
  expiresInMinutes?: number;
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

type SaveResult = { created: true; createdOn: Date } | { created: false; mapping: IdentityMapping };

const deletionInProgress = () =>
  conflict('deletion_in_progress', 'This identity is being deleted; repeat DELETE to finish, then try again.', 1);

/**
 * The identity lifecycle: each method reads the mapping, decides, calls ACS, and saves.
 * Cost rule: a token for an existing identity is one table read and one ACS call; a first token is one read,
 * one ACS call (`createUserAndToken`) and the mapping writes.
 */
export class IdentityService {
  constructor(
    private readonly mappings: MappingRepository,
    private readonly acs: IdentityGateway,
  ) {}

  async getIdentity(user: AppUser): Promise<Identity> {
    const mapping = await this.mappings.get(user);
    if (!mapping || mapping.state !== 'active') throw notFound('identity_not_found', 'No ACS identity exists for this user.');
    return { communicationUserId: mapping.communicationUserId, createdOn: mapping.createdOn };
  }

  /** Idempotent per user: `created` is false when the user already had an identity. */
  async createIdentity(user: AppUser, caller: Caller): Promise<Identity & { created: boolean }> {
    const existing = await this.mappings.get(user);
    if (existing) return this.existing(existing);
    const communicationUserId = await this.acs.createUser();
    const saved = await this.saveNewIdentity(user, communicationUserId, caller);
    return saved.created ? { communicationUserId, createdOn: saved.createdOn, created: true } : this.existing(saved.mapping);
  }

  /** A token for the user's identity; the identity is created in the same ACS call when there is none. */
  async issueToken(user: AppUser, request: TokenRequest, caller: Caller): Promise<IssuedToken & { created: boolean }> {
    const existing = await this.mappings.get(user);
    if (existing) return { ...(await this.tokenFor(this.active(existing), request)), created: false };

    const created = await this.acs.createUserAndToken(request.scopes, request.expiresInMinutes);
    const saved = await this.saveNewIdentity(user, created.communicationUserId, caller);
    if (saved.created) return { communicationUserId: created.communicationUserId, token: created.token, expiresOn: created.expiresOn, scopes: request.scopes, created: true };
    return { ...(await this.tokenFor(this.active(saved.mapping), request)), created: false };
  }

  /** Re-issues a token for an existing identity; never creates one. */
  async refreshToken(user: AppUser, request: TokenRequest): Promise<IssuedToken> {
    const mapping = await this.mappings.get(user);
    if (!mapping) throw notFound('identity_not_found', 'No ACS identity exists for this user; request POST /api/tokens first.');
    return this.tokenFor(this.active(mapping), request);
  }

  /** Revokes every token issued so far for the user's identity. */
  async revokeTokens(user: AppUser, caller: Caller): Promise<IdentityMapping> {
    const mapping = await this.mappings.get(user);
    if (!mapping) throw notFound('identity_not_found', 'No ACS identity exists for this user.');
    await this.revokeMapped(mapping, caller);
    return mapping;
  }

  /** Revokes the tokens of an identity whose mapping the caller has just read. */
  async revokeMapped(mapping: IdentityMapping, caller: Caller): Promise<void> {
    await this.acs.revokeTokens(this.active(mapping).communicationUserId);
    await this.mappings.recordRevocation(mapping, caller.cause);
  }

  /**
   * Deletes the ACS identity (which revokes its tokens) and then the mapping. Safe to repeat: the mapping is first
   * marked `deleting`, so an attempt interrupted at any step is finished by the next one. Returns false when
   * there was nothing to delete.
   */
  async deleteIdentity(user: AppUser, caller: Caller): Promise<boolean> {
    const mapping = await this.mappings.get(user);
    if (!mapping) return false;
    await this.deleteMapped(mapping, caller);
    return true;
  }

  /** Deletes an identity whose mapping the caller has just read (see {@link deleteIdentity}). */
  async deleteMapped(found: IdentityMapping, caller: Caller): Promise<void> {
    const mapping = found.state === 'deleting' ? found : await this.mappings.markDeleting(found);
    try {
      await this.acs.deleteUser(mapping.communicationUserId);
    } catch (error) {
      // 401 means "no such identity" or "bad credentials". Only when our credentials demonstrably work is the
      // identity gone (e.g. an earlier attempt deleted it); otherwise keep the mapping and fail.
      if (!(error instanceof AcsUnauthorizedError) || !(await this.credentialsWork(caller.log))) throw error;
      // The credentials work now; one more attempt tells a passing credential fault from an identity that is gone.
      try {
        await this.acs.deleteUser(mapping.communicationUserId);
      } catch (again) {
        if (!(again instanceof AcsUnauthorizedError)) throw again;
        caller.log.warn('ACS no longer knows the identity being deleted; removing the mapping.');
      }
    }
    await this.mappings.remove(mapping, caller.cause);
  }

  async auditTrail(user: AppUser): Promise<AuditEntry[]> {
    return this.mappings.listAudit(user);
  }

  async findMapping(user: AppUser): Promise<IdentityMapping | undefined> {
    return this.mappings.get(user);
  }

  private active(mapping: IdentityMapping): IdentityMapping {
    if (mapping.state === 'deleting') throw deletionInProgress();
    return mapping;
  }

  private existing(mapping: IdentityMapping): Identity & { created: false } {
    return { communicationUserId: this.active(mapping).communicationUserId, createdOn: mapping.createdOn, created: false };
  }

  private async tokenFor(mapping: IdentityMapping, request: TokenRequest): Promise<IssuedToken> {
    const token = await this.acs.getToken(mapping.communicationUserId, request.scopes, request.expiresInMinutes);
    return { communicationUserId: mapping.communicationUserId, token: token.token, expiresOn: token.expiresOn, scopes: request.scopes };
  }

  /**
   * Saves a freshly created ACS identity: reverse row first (no contention: the id is new), then the mapping with
   * its audit record, create-only. The loser of a race for the same user deletes its own identity and gets the
   * winner's mapping. When saving fails, the new identity is deleted again so that nothing is orphaned.
   */
  private async saveNewIdentity(user: AppUser, communicationUserId: string, caller: Caller): Promise<SaveResult> {
    let created: boolean;
    const now = new Date();
    try {
      await this.mappings.putReverse(communicationUserId, user);
      created = await this.mappings.create(user, communicationUserId, caller.cause, now);
    } catch (error) {
      await this.discard(communicationUserId, caller.log);
      throw error;
    }
    if (created) return { created: true, createdOn: now };

    await this.discard(communicationUserId, caller.log);
    const winner = await this.mappings.get(user);
    if (!winner) throw conflict('identity_conflict', 'The identity changed concurrently; retry the request.', 1);
    return { created: false, mapping: winner };
  }

  /** Deletes an ACS identity that lost a race or could not be saved, and its reverse row. */
  private async discard(communicationUserId: string, log: Logger): Promise<void> {
    try {
      await this.acs.deleteUser(communicationUserId);
    } catch (error) {
      log.error(`Could not delete unsaved ACS identity ${communicationUserId} (${describeError(error)}); delete it manually.`);
      return;
    }
    try {
      await this.mappings.deleteReverse(communicationUserId);
    } catch (error) {
      log.warn(`Could not delete the reverse row of discarded identity ${communicationUserId} (${describeError(error)}).`);
    }
  }

  /** Proves the ACS credentials work by creating and deleting a throwaway identity (only on the ambiguous-401 path). */
  private async credentialsWork(log: Logger): Promise<boolean> {
    let probe: string;
    try {
      probe = await this.acs.createUser();
    } catch (error) {
      if (error instanceof AcsUnauthorizedError) return false;
      throw error;
    }
    await this.discard(probe, log);
    return true;
  }
}
