import { conflict, forbidden, notFound } from '../domain/errors';
import {
  type AppUser,
  type AuditCause,
  type AuditEntry,
  ConcurrentChangeError,
  type IdentityMapping,
  type UserRecord,
} from '../domain/model';
import type { MappingStore } from '../domain/ports';
import { recordTokenIssued } from '../telemetry';
import type { IdentityCreation } from './identity-creation';
import { type IdentityDeletion, raceLost } from './identity-deletion';
import { CHANGED, type LiveIdentity, STALE } from './live-identity';
import { nothingTaken, type QuotaReceipt, type Quotas } from './quotas';
import { resolveTokenRequest } from './token-policy';
import {
  appUser,
  type Caller,
  type Decision,
  type Identity,
  type IssuedToken,
  type Requester,
  type TokenRequest,
  type TokenPolicy,
  type TokenRequestInput,
} from './types';

export type * from './types';
export type { ReconcileOutcome } from './reconciler';
export { createIdentityUseCases, type IdentityUseCaseOptions } from './use-cases';

const deletionInProgress = () =>
  conflict('deletion_in_progress', 'This identity is being deleted; repeat DELETE to finish, then try again.', 1);
const noIdentity = (detail = 'No ACS identity exists for this user.') => notFound('identity_not_found', detail);
const userDisabled = () =>
  forbidden(
    'user_disabled',
    'The identity provider disabled or deleted this user after this sign-in; sign in again once the account is enabled.',
  );

/**
 * The identity lifecycle, one method per operation: each reads the user's record, decides, calls ACS and saves
 * under a condition, and applies the scope policy, the quotas and the metrics on the way. Cost rule: a token for an
 * existing identity is one record read (often from the instance's cache) and one ACS call; a first token is one
 * read, an intent write, one ACS call (`createUserAndToken`), the mapping write and the intent delete.
 */
export class IdentityService {
  private readonly mappings: MappingStore;
  private readonly live: LiveIdentity;
  private readonly creation: IdentityCreation;
  private readonly deletion: IdentityDeletion;
  private readonly tokens: TokenPolicy;
  private readonly quotas: Quotas | undefined;

  constructor(parts: {
    mappings: MappingStore;
    live: LiveIdentity;
    creation: IdentityCreation;
    deletion: IdentityDeletion;
    tokens: TokenPolicy;
    quotas?: Quotas | undefined;
  }) {
    ({
      mappings: this.mappings,
      live: this.live,
      creation: this.creation,
      deletion: this.deletion,
      tokens: this.tokens,
    } = parts);
    this.quotas = parts.quotas;
  }

  async getIdentity(requester: AppUser): Promise<Identity> {
    const mapping = await this.mappings.get(appUser(requester));
    if (!mapping || mapping.state !== 'active') throw noIdentity();
    return { communicationUserId: mapping.communicationUserId, createdOn: mapping.createdOn };
  }

  /** Idempotent per user: `created` is false when the user already had an identity. */
  async createIdentity(requester: Requester, caller: Caller): Promise<Identity & { created: boolean }> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const record = await this.readAllowed(requester, attempt > 0);
      if (record.mapping) {
        const mapping = active(record.mapping);
        if (!this.live.ownedHere(mapping)) {
          await this.live.dropStale(mapping, caller);
          continue;
        }
        return { communicationUserId: mapping.communicationUserId, createdOn: mapping.createdOn, created: false };
      }
      const saved = await this.creation.createOnce(
        requester,
        undefined,
        caller,
        this.identityCharge(requester, caller),
        record.claim,
      );
      if (saved) return { communicationUserId: saved.communicationUserId, createdOn: saved.createdOn, created: true };
    }
    throw raceLost();
  }

  /**
   * A token for the user's identity; the identity is created in the same ACS call when there is none (by one of
   * several concurrent first requests, the others get a token for it). The token quota is charged once and given
   * back when no token is handed out.
   */
  async issueToken(
    requester: Requester,
    body: TokenRequestInput,
    caller: Caller,
  ): Promise<IssuedToken & { created: boolean }> {
    const request = resolveTokenRequest(body, this.tokens);
    let receipt: QuotaReceipt | undefined;
    try {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const { mapping, claim } = await this.readAllowed(requester, attempt > 0);
        receipt ??= (await this.quotas?.token(requester, caller.log)) ?? nothingTaken;
        if (mapping) {
          const token = await this.tokenFor(active(mapping), request, caller);
          if (token !== STALE && token !== CHANGED) {
            recordTokenIssued('existing', token.scopes);
            return { ...token, created: false };
          }
          continue; // changed meanwhile, or it pointed at an identity ACS no longer has (removed): read again
        }
        const saved = await this.creation.createOnce(
          requester,
          request,
          caller,
          this.identityCharge(requester, caller),
          claim,
        );
        if (saved?.token) {
          recordTokenIssued('created', saved.token.scopes);
          return { ...saved.token, created: true };
        }
        // Another request created the identity meanwhile: read it again and get a token for it.
      }
      throw raceLost();
    } catch (error) {
      await receipt?.refund(caller.log);
      throw error;
    }
  }

  /** Re-issues a token for an existing identity; never creates one. */
  async refreshToken(requester: Requester, body: TokenRequestInput, caller: Caller): Promise<IssuedToken> {
    const request = resolveTokenRequest(body, this.tokens);
    let receipt: QuotaReceipt | undefined;
    try {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const { mapping } = await this.readAllowed(requester, attempt > 0);
        if (!mapping) throw noIdentity('No ACS identity exists for this user; request POST /api/tokens first.');
        receipt ??= (await this.quotas?.token(requester, caller.log)) ?? nothingTaken;
        const token = await this.tokenFor(active(mapping), request, caller);
        if (token === STALE)
          throw noIdentity('The ACS identity of this user no longer exists; request POST /api/tokens for a new one.');
        if (token !== CHANGED) {
          recordTokenIssued('refresh', token.scopes);
          return token;
        }
      }
      throw raceLost();
    } catch (error) {
      await receipt?.refund(caller.log);
      throw error;
    }
  }

  /** Revokes every token issued so far for the user's identity. */
  async revokeTokens(user: AppUser, caller: Caller): Promise<IdentityMapping> {
    const mapping = await this.mappings.get(appUser(user));
    if (!mapping) throw noIdentity();
    if ((await this.revokeMapped(mapping, caller)) === 'stale_removed') throw noIdentity();
    return mapping;
  }

  /**
   * Revokes the tokens of an identity whose mapping the caller has just read. A mapping being deleted needs no
   * revocation (deleting revokes); one whose identity ACS no longer has is removed.
   */
  async revokeMapped(mapping: IdentityMapping, caller: Caller): Promise<'revoked' | 'deleting' | 'stale_removed'> {
    if (mapping.state === 'deleting') return 'deleting';
    const revoked = await this.live.call(mapping, caller, (id, acs) => acs.revokeTokens(id));
    if (revoked === STALE) return 'stale_removed';
    if (revoked === CHANGED) {
      const current = await this.mappings.get(mapping.user);
      return current ? this.revokeMapped(current, caller) : 'stale_removed';
    }
    await this.mappings.recordRevocation(mapping, caller.cause);
    return 'revoked';
  }

  /**
   * Deletes the ACS identity (which revokes its tokens) and then the mapping. Safe to repeat and to run
   * concurrently (see {@link IdentityDeletion}). Returns false when there was nothing.
   */
  async deleteIdentity(user: AppUser, caller: Caller): Promise<boolean> {
    const mapping = await this.mappings.get(appUser(user));
    if (!mapping) return false;
    await this.deletion.deleteMapped(mapping, caller);
    return true;
  }

  /** Deletes an identity whose mapping the caller has just read. */
  async deleteMapped(mapping: IdentityMapping, caller: Caller): Promise<void> {
    await this.deletion.deleteMapped(mapping, caller);
  }

  /**
   * Records an identity provider's (or an operator's) decision about a user, unless a later one is recorded.
   * @returns false when a decision at the same time or later was already there (this one is stale)
   */
  async decide(user: AppUser, decision: Decision, cause: AuditCause): Promise<boolean> {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const { decision: current } = await this.mappings.read(appUser(user), { fresh: true });
      try {
        return await this.mappings.recordDecision(appUser(user), decision, current, cause);
      } catch (error) {
        if (!(error instanceof ConcurrentChangeError)) throw error;
      }
    }
    throw raceLost();
  }

  async auditTrail(user: AppUser): Promise<AuditEntry[]> {
    return this.mappings.listAudit(appUser(user));
  }

  async findMapping(user: AppUser): Promise<IdentityMapping | undefined> {
    return this.mappings.get(appUser(user));
  }

  async findUser(user: AppUser): Promise<UserRecord> {
    return this.mappings.read(appUser(user), { fresh: true });
  }

  /** Takes the identity quota for a creation (charged only to the request that calls ACS). */
  private identityCharge(requester: Requester, caller: Caller): () => Promise<QuotaReceipt> {
    return async () => (await this.quotas?.identity(requester, caller.log)) ?? nothingTaken;
  }

  /**
   * The user's record (`fresh` past the first attempt: the cache cannot know what other requests did meanwhile),
   * refusing callers whose identity provider has since disabled or deleted them.
   */
  private async readAllowed(requester: Requester, fresh: boolean): Promise<UserRecord> {
    const record = await this.mappings.read(appUser(requester), fresh ? { fresh } : undefined);
    const { decision } = record;
    if (decision && decision.kind !== 'restored') {
      // `iat` has whole seconds: a token issued within the decision's second counts as issued before it.
      if (!requester.issuedAt || requester.issuedAt.getTime() <= decision.at.getTime()) throw userDisabled();
    }
    return record;
  }

  private async tokenFor(
    mapping: IdentityMapping,
    request: TokenRequest,
    caller: Caller,
  ): Promise<IssuedToken | typeof STALE | typeof CHANGED> {
    const token = await this.live.call(mapping, caller, (id, acs) =>
      acs.getToken(id, request.scopes, request.expiresInMinutes),
    );
    if (token === STALE || token === CHANGED) return token;
    return {
      communicationUserId: mapping.communicationUserId,
      token: token.token,
      expiresOn: token.expiresOn,
      scopes: request.scopes,
    };
  }
}

function active(mapping: IdentityMapping): IdentityMapping {
  if (mapping.state === 'deleting') throw deletionInProgress();
  return mapping;
}
