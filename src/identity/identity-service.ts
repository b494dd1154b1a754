import type { TokenScope } from '@azure/communication-identity';

import { AcsUnauthorizedError } from '../domain/errors';
import type { IdentityGateway, IdentityGateways } from '../domain/ports';
import { ResourceRouter } from './resource-router';
import {
  type AccessDecision,
  type AppUser,
  type AuditCause,
  type AuditEntry,
  ConcurrentChangeError,
  type IdentityMapping,
  type Intent,
  type UserRecord,
} from '../domain/model';
import { conflict, describeError, forbidden, notFound, UpstreamError } from '../domain/errors';
import type { MappingStore } from '../domain/ports';
import type { Logger } from '../domain/ports';
import type { Quotas } from './quotas';

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

/** The caller of a self-service operation: the app user, when their identity provider issued their token, their IP. */
export interface Requester extends AppUser {
  issuedAt?: Date;
  clientIp?: string;
}

/** A decision to record (see {@link IdentityService.decide}). */
export type Decision = Omit<AccessDecision, 'etag'>;

export interface IdentityServiceOptions {
  /** Send a customId with every create so that a create whose answer was lost can be found again. */
  idempotentCreate: boolean;
  /** The reconciler's bound; a create older than half of it no longer saves its mapping. */
  reconcileAfterInMs: number;
  /** Per-caller quotas (none when absent). */
  quotas?: Quotas;
}

export type ReconcileOutcome = 'completed' | 'orphan_deleted' | 'orphan_unknown' | 'delete_finished';

const deletionInProgress = () =>
  conflict('deletion_in_progress', 'This identity is being deleted; repeat DELETE to finish, then try again.', 1);
const noIdentity = (detail = 'No ACS identity exists for this user.') => notFound('identity_not_found', detail);
const userDisabled = () =>
  forbidden(
    'user_disabled',
    'The identity provider disabled or deleted this user after this sign-in; sign in again once the account is enabled.',
  );

/** Marks a mapping that pointed at an identity ACS no longer has (removed; the caller decides what comes next). */
const STALE = Symbol('stale');
/** The mapping read (possibly from the instance's cache) is no longer the stored one: read again and retry. */
const CHANGED = Symbol('changed');

/**
 * The identity lifecycle: each method reads the user's record, decides, calls ACS, and saves under a condition.
 * Cost rule: a token for an existing identity is one table read and one ACS call; a first token is one read,
 * an intent write, one ACS call (`createUserAndToken`), the mapping write and the intent delete.
 * Every multi-step change writes an intent first, so the reconciler can finish or undo it after a crash.
 */
export class IdentityService {
  constructor(
    private readonly mappings: MappingStore,
    acs: IdentityGateway | IdentityGateways,
    private readonly options: IdentityServiceOptions,
  ) {
    this.gateways = 'forUser' in acs ? acs : new ResourceRouter(acs);
  }

  private readonly gateways: IdentityGateways;

  async getIdentity(user: AppUser): Promise<Identity> {
    const mapping = await this.mappings.get(user);
    if (!mapping || mapping.state !== 'active') throw noIdentity();
    return { communicationUserId: mapping.communicationUserId, createdOn: mapping.createdOn };
  }

  /** Idempotent per user: `created` is false when the user already had an identity. */
  async createIdentity(requester: Requester, caller: Caller): Promise<Identity & { created: boolean }> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const record = await this.readAllowed(requester);
      if (record.mapping) {
        const mapping = active(record.mapping);
        if (!this.ownedHere(mapping)) {
          await this.dropStale(mapping, caller);
          continue;
        }
        return { communicationUserId: mapping.communicationUserId, createdOn: mapping.createdOn, created: false };
      }
      await this.options.quotas?.identity(requester, caller.log);
      const saved = await this.createNew(requester, undefined, caller);
      if (saved) return { communicationUserId: saved.communicationUserId, createdOn: saved.createdOn, created: true };
    }
    throw raceLost();
  }

  /** A token for the user's identity; the identity is created in the same ACS call when there is none. */
  async issueToken(
    requester: Requester,
    request: TokenRequest,
    caller: Caller,
  ): Promise<IssuedToken & { created: boolean }> {
    const user = appUser(requester);
    let counted = false;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const { mapping } = await this.readAllowed(requester);
      if (!counted) {
        await this.options.quotas?.token(user, caller.log);
        counted = true;
      }
      if (mapping) {
        const token = await this.tokenFor(active(mapping), request, caller);
        if (token !== STALE && token !== CHANGED) return { ...token, created: false };
        continue; // changed meanwhile, or it pointed at an identity ACS no longer has (removed): read again
      }
      await this.options.quotas?.identity(requester, caller.log);
      const saved = await this.createNew(requester, request, caller);
      if (saved?.token) return { ...saved.token, created: true };
    }
    throw raceLost();
  }

  /** Re-issues a token for an existing identity; never creates one. */
  async refreshToken(requester: Requester, request: TokenRequest, caller: Caller): Promise<IssuedToken> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const { mapping } = await this.readAllowed(requester);
      if (!mapping) throw noIdentity('No ACS identity exists for this user; request POST /api/tokens first.');
      if (attempt === 0) await this.options.quotas?.token(requester, caller.log);
      const token = await this.tokenFor(active(mapping), request, caller);
      if (token === STALE)
        throw noIdentity('The ACS identity of this user no longer exists; request POST /api/tokens for a new one.');
      if (token !== CHANGED) return token;
    }
    throw raceLost();
  }

  /** Revokes every token issued so far for the user's identity. */
  async revokeTokens(user: AppUser, caller: Caller): Promise<IdentityMapping> {
    const mapping = await this.mappings.get(user);
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
    const revoked = await this.withLiveIdentity(mapping, caller, (id, acs) => acs.revokeTokens(id));
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
   * concurrently: an intent is written first and the mapping is marked `deleting` on its ETag, so an attempt
   * interrupted at any step is finished by the next one or by the reconciler. Returns false when there was nothing.
   */
  async deleteIdentity(user: AppUser, caller: Caller): Promise<boolean> {
    const mapping = await this.mappings.get(user);
    if (!mapping) return false;
    await this.deleteMapped(mapping, caller);
    return true;
  }

  /** Deletes an identity whose mapping the caller has just read (see {@link deleteIdentity}). */
  async deleteMapped(found: IdentityMapping, caller: Caller, existingIntent?: Intent): Promise<void> {
    const intent =
      existingIntent ??
      (await this.mappings.putIntent('delete', found.user, found.communicationUserId, undefined, found.resource));
    const mapping = await this.markDeleting(found);
    if (mapping) {
      const acs = this.gateways.forResource(mapping.resource);
      if (acs) await this.deleteAcsIdentity(mapping.communicationUserId, caller.log, acs);
      else
        caller.log.warn(
          'The identity belongs to an ACS resource this deployment no longer uses; only its mapping is removed.',
        );
      await this.removeMapping(mapping, caller.cause, 'deleted');
    }
    await this.forgetIntent(intent, caller.log);
  }

  /**
   * Records an identity provider's (or an operator's) decision about a user, unless a later one is recorded.
   * @returns false when a decision at the same time or later was already there (this one is stale)
   */
  async decide(user: AppUser, decision: Decision, cause: AuditCause): Promise<boolean> {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const { decision: current } = await this.mappings.read(user);
      try {
        return await this.mappings.recordDecision(user, decision, current, cause);
      } catch (error) {
        if (!(error instanceof ConcurrentChangeError)) throw error;
      }
    }
    throw raceLost();
  }

  async auditTrail(user: AppUser): Promise<AuditEntry[]> {
    return this.mappings.listAudit(user);
  }

  async findMapping(user: AppUser): Promise<IdentityMapping | undefined> {
    return this.mappings.get(user);
  }

  async findUser(user: AppUser): Promise<UserRecord> {
    return this.mappings.read(user);
  }

  /**
   * Finishes or undoes one change left unfinished (the intent is older than the bound, so its request has ended):
   * a create whose mapping was saved is complete; otherwise the identity it created, if any, is deleted (found by
   * the id recorded in the intent, or again through its customId). A delete is finished.
   */
  async reconcile(intent: Intent, log: Logger): Promise<ReconcileOutcome> {
    const caller: Caller = { cause: { kind: 'reconciler' }, log };
    const mapping = await this.mappings.get(intent.user);
    if (intent.kind === 'delete') {
      if (mapping && mapping.communicationUserId === intent.communicationUserId)
        await this.deleteMapped(mapping, caller, intent);
      else await this.mappings.deleteIntent(intent);
      return 'delete_finished';
    }
    if (mapping?.intentId === intent.id) {
      await this.mappings.deleteIntent(intent);
      return 'completed';
    }
    const acs = this.gateways.forResource(intent.resource);
    let orphan = intent.communicationUserId;
    if (!orphan && acs && this.options.idempotentCreate) orphan = await acs.createUser({ customId: intent.id });
    if (!orphan || !acs) {
      log.warn(
        `Create intent ${intent.id} ended without a mapping; an identity created by it cannot be found (ACS_IDEMPOTENT_CREATE is off).`,
      );
      await this.mappings.deleteIntent(intent);
      return 'orphan_unknown';
    }
    // With a customId this may create the identity now (the crashed call never reached ACS): deleted all the same.
    if (mapping?.communicationUserId !== orphan) await this.deleteAcsIdentity(orphan, log, acs);
    await this.mappings.deleteIntent(intent);
    return 'orphan_deleted';
  }

  // --- steps ---

  /** The user's record, refusing callers whose identity provider has since disabled or deleted them. */
  private async readAllowed(requester: Requester): Promise<UserRecord> {
    const record = await this.mappings.read(appUser(requester));
    const { decision } = record;
    if (decision && decision.kind !== 'restored') {
      // `iat` has whole seconds: a token issued within the decision's second counts as issued before it.
      if (!requester.issuedAt || requester.issuedAt.getTime() <= decision.at.getTime()) throw userDisabled();
    }
    return record;
  }

  /** Whether the mapping's ACS resource is one this deployment uses. */
  private ownedHere(mapping: IdentityMapping): boolean {
    return this.gateways.forResource(mapping.resource) !== undefined;
  }

  private async tokenFor(
    mapping: IdentityMapping,
    request: TokenRequest,
    caller: Caller,
  ): Promise<IssuedToken | typeof STALE | typeof CHANGED> {
    const token = await this.withLiveIdentity(mapping, caller, (id, acs) =>
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

  /**
   * Runs an ACS call on the mapped identity. A mapping of another ACS resource, or an identity ACS answers 401 for
   * twice while our credentials demonstrably work, is stale: it is removed (audited) and STALE returned. On a 401
   * the cached record is dropped first: when the stored mapping differs from the one read, CHANGED is returned.
   */
  private async withLiveIdentity<T>(
    found: IdentityMapping,
    caller: Caller,
    call: (communicationUserId: string, acs: IdentityGateway) => Promise<T>,
  ): Promise<T | typeof STALE | typeof CHANGED> {
    let mapping = found;
    const acs = this.gateways.forResource(mapping.resource);
    if (!acs) {
      await this.dropStale(mapping, caller);
      return STALE;
    }
    try {
      return await call(mapping.communicationUserId, acs);
    } catch (error) {
      if (!(error instanceof AcsUnauthorizedError)) throw error;
    }
    if (this.mappings.forget) {
      this.mappings.forget(mapping.user);
      const stored = await this.mappings.get(mapping.user);
      if (!stored || stored.communicationUserId !== mapping.communicationUserId || stored.state !== mapping.state)
        return CHANGED;
      mapping = stored;
    }
    if (!(await this.credentialsWork(acs, caller.log))) throw new AcsUnauthorizedError();
    try {
      return await call(mapping.communicationUserId, acs);
    } catch (again) {
      if (!(again instanceof AcsUnauthorizedError)) throw again;
    }
    await this.dropStale(mapping, caller);
    return STALE;
  }

  private async dropStale(mapping: IdentityMapping, caller: Caller): Promise<void> {
    caller.log.warn(
      this.ownedHere(mapping)
        ? 'ACS no longer knows the mapped identity; removing the stale mapping.'
        : 'The mapped identity belongs to another ACS resource; removing the stale mapping.',
    );
    try {
      await this.mappings.remove(mapping, caller.cause, 'stale_removed');
    } catch (error) {
      if (!(error instanceof ConcurrentChangeError)) throw error; // changed meanwhile: the caller re-reads
    }
  }

  /**
   * Creates a new identity (with a token when `request` is given) under an intent and saves its mapping create-only.
   * Returns undefined when another request saved a mapping first (this identity is then deleted again).
   */
  private async createNew(requester: Requester, request: TokenRequest | undefined, caller: Caller) {
    const user = appUser(requester);
    const acs = this.gateways.forUser(requester);
    const intent = await this.mappings.putIntent('create', user, undefined, undefined, acs.resource);
    const customId = this.options.idempotentCreate ? { customId: intent.id } : {};
    let created: { communicationUserId: string; token?: { token: string; expiresOn: Date } };
    try {
      if (request) {
        const result = await acs.createUserAndToken(request.scopes, request.expiresInMinutes, customId);
        created = {
          communicationUserId: result.communicationUserId,
          token: { token: result.token, expiresOn: result.expiresOn },
        };
      } else {
        created = { communicationUserId: await acs.createUser(customId) };
      }
    } catch (error) {
      // Refused outright: nothing was created. Otherwise ACS may have created it: with a customId the reconciler
      // finds it again, so the intent stays.
      if (!this.options.idempotentCreate || isRefusal(error)) await this.forgetIntent(intent, caller.log);
      throw error;
    }
    const { communicationUserId } = created;

    // Past half the bound the reconciler may soon act on this intent: undo rather than race it.
    if (Date.now() - intent.createdAt.getTime() > this.options.reconcileAfterInMs / 2) {
      await this.discard(communicationUserId, intent, caller.log);
      throw new UpstreamError('storage', 'timeout');
    }
    const createdOn = new Date();
    let saved: boolean;
    try {
      saved = await this.mappings.create(
        user,
        { communicationUserId, resource: acs.resource, intentId: intent.id },
        caller.cause,
        createdOn,
      );
    } catch (error) {
      const outcome = await this.settleUncertainWrite(user, intent, communicationUserId, error, caller.log);
      if (outcome !== 'saved') throw error;
      saved = true;
    }
    if (!saved) {
      await this.discard(communicationUserId, intent, caller.log);
      return undefined;
    }
    await this.forgetIntent(intent, caller.log);
    const token =
      created.token && request ? { communicationUserId, ...created.token, scopes: request.scopes } : undefined;
    return { communicationUserId, createdOn, token };
  }

  /**
   * A mapping write failed, but a timeout or a server error does not say whether it was committed: read it back.
   * Ours (same intent) counts as saved; another or none means it was not, and the identity is discarded. When even
   * the read fails after an ambiguous error, the identity is left to the reconciler (recorded in its intent), which
   * keeps it if the mapping turns out to be saved and deletes it otherwise.
   */
  private async settleUncertainWrite(
    user: AppUser,
    intent: Intent,
    communicationUserId: string,
    error: unknown,
    log: Logger,
  ): Promise<'saved' | 'not_saved' | 'unknown'> {
    let stored: IdentityMapping | undefined;
    try {
      stored = await this.mappings.get(user);
    } catch {
      const ambiguous =
        error instanceof UpstreamError && (error.kind === 'timeout' || (error.upstreamStatus ?? 0) >= 500);
      if (!ambiguous) {
        await this.discard(communicationUserId, intent, log);
        return 'not_saved';
      }
      log.warn(
        `The mapping write for identity ${communicationUserId} may or may not have been committed; the reconciler will settle it.`,
      );
      await this.mappings.recordIntentIdentity(intent, communicationUserId).catch(() => undefined);
      return 'unknown';
    }
    if (stored?.intentId === intent.id) return 'saved';
    await this.discard(communicationUserId, intent, log);
    return 'not_saved';
  }

  /** Marks the mapping `deleting` on its ETag; undefined when it was deleted or replaced meanwhile. */
  private async markDeleting(found: IdentityMapping): Promise<IdentityMapping | undefined> {
    let mapping = found;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      if (mapping.state === 'deleting') return mapping;
      try {
        return await this.mappings.markDeleting(mapping);
      } catch (error) {
        if (!(error instanceof ConcurrentChangeError)) throw error;
      }
      const current = await this.mappings.get(found.user);
      if (!current || current.communicationUserId !== found.communicationUserId) return undefined;
      mapping = current;
    }
    throw raceLost();
  }

  /** Removes the mapping on its ETag; when it changed meanwhile, retries while it still maps the same identity. */
  private async removeMapping(
    found: IdentityMapping,
    cause: AuditCause,
    action: 'deleted' | 'stale_removed',
  ): Promise<void> {
    let mapping = found;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        await this.mappings.remove(mapping, cause, action);
        return;
      } catch (error) {
        if (!(error instanceof ConcurrentChangeError)) throw error;
      }
      const current = await this.mappings.get(found.user);
      if (!current || current.communicationUserId !== found.communicationUserId) return; // someone else finished
      mapping = current;
    }
    throw raceLost();
  }

  /** Deletes an ACS identity; one that ACS no longer knows (401 twice while our credentials work) counts as deleted. */
  private async deleteAcsIdentity(communicationUserId: string, log: Logger, acs: IdentityGateway): Promise<void> {
    try {
      await acs.deleteUser(communicationUserId);
      return;
    } catch (error) {
      // 401 means "no such identity" or "bad credentials": only when our credentials demonstrably work is it gone.
      if (!(error instanceof AcsUnauthorizedError) || !(await this.credentialsWork(acs, log))) throw error;
    }
    try {
      await acs.deleteUser(communicationUserId);
    } catch (again) {
      if (!(again instanceof AcsUnauthorizedError)) throw again;
      log.info('ACS no longer knows the identity being deleted.');
    }
  }

  /**
   * Deletes an ACS identity that lost a race or could not be saved, then its intent. When ACS cannot delete it now,
   * its id is recorded in the intent for the reconciler.
   */
  private async discard(communicationUserId: string, intent: Intent, log: Logger): Promise<void> {
    try {
      const acs = this.gateways.forResource(intent.resource);
      if (!acs) throw new Error('ACS resource not configured');
      await acs.deleteUser(communicationUserId);
    } catch (error) {
      log.warn(
        `Could not delete unsaved ACS identity ${communicationUserId} (${describeError(error)}); the reconciler will.`,
      );
      await this.mappings.recordIntentIdentity(intent, communicationUserId).catch((recordError: unknown) => {
        log.error(
          `Could not record unsaved ACS identity ${communicationUserId} for the reconciler (${describeError(recordError)}).`,
        );
      });
      return;
    }
    await this.forgetIntent(intent, log);
  }

  private async forgetIntent(intent: Intent, log: Logger): Promise<void> {
    await this.mappings.deleteIntent(intent).catch((error: unknown) => {
      log.warn(`Could not delete intent ${intent.id} (${describeError(error)}); the reconciler will.`);
    });
  }

  /** Proves the ACS credentials work by creating and deleting a throwaway identity (only on the ambiguous-401 path). */
  private async credentialsWork(acs: IdentityGateway, log: Logger): Promise<boolean> {
    let probe: string;
    try {
      probe = await acs.createUser();
    } catch (error) {
      if (error instanceof AcsUnauthorizedError) return false;
      throw error;
    }
    await acs
      .deleteUser(probe)
      .catch((error: unknown) => log.warn(`Could not delete probe identity ${probe} (${describeError(error)}).`));
    return true;
  }
}

const appUser = (requester: Requester): AppUser => ({ issuer: requester.issuer, userId: requester.userId });

function active(mapping: IdentityMapping): IdentityMapping {
  if (mapping.state === 'deleting') throw deletionInProgress();
  return mapping;
}

const raceLost = () => conflict('identity_conflict', 'The identity changed concurrently; retry the request.', 1);

/** ACS refused the request itself (4xx other than throttling): nothing was created. */
const isRefusal = (error: unknown) => error instanceof UpstreamError && error.kind === 'rejected';
