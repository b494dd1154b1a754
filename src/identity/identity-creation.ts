import { conflict, describeError, UpstreamError } from '../domain/errors';
import type { AppUser, CreationClaim, IdentityMapping, Intent } from '../domain/model';
import type { IdentityGateways, IntentStore, Logger, MappingStore } from '../domain/ports';
import type { QuotaReceipt } from './quotas';
import { appUser, type Caller, type IssuedToken, type Requester, type TokenRequest } from './types';

export interface CreationOptions {
  /** Send a customId with every create so that a create whose answer was lost can be found again. */
  idempotentCreate: boolean;
  /** The reconciler's bound; a create older than half of it no longer saves its mapping. */
  reconcileAfterInMs: number;
  /** How long a creation claim holds: the deadline of the ACS create call. */
  claimLeaseInMs: number;
}

export interface CreatedIdentity {
  communicationUserId: string;
  createdOn: Date;
  /** When a token was asked for: issued in the same ACS call. */
  token?: IssuedToken;
}

/**
 * Claim first, create once: of the requests that find a user without an identity, the one whose create-only claim
 * lands calls ACS; the others wait for its mapping (a fresh read every 50 to 400 ms) and then use that identity.
 * A claim whose lease ran out (its holder crashed) is taken over on its ETag.
 *
 * The create itself runs under an intent: the intent is written before ACS is called, the mapping is saved
 * create-only, and the intent is deleted once the mapping is there, so that a crash at any step leaves the
 * reconciler enough to delete what was created (the identity's id in the intent, or its customId).
 */
export class IdentityCreation {
  constructor(
    private readonly mappings: MappingStore,
    private readonly intents: IntentStore,
    private readonly gateways: IdentityGateways,
    private readonly options: CreationOptions,
  ) {}

  /**
   * Creates the user's identity (with a token when `request` is given) unless another request does: undefined
   * means the user has an identity now that this request did not create (read it). `charge` takes the identity
   * quota; only the request that calls ACS is charged, and it gets the unit back when it creates nothing. `seen` is
   * the claim the caller's read of the user's record found, if any.
   */
  async createOnce(
    requester: Requester,
    request: TokenRequest | undefined,
    caller: Caller,
    charge: () => Promise<QuotaReceipt>,
    seen?: CreationClaim,
  ): Promise<CreatedIdentity | undefined> {
    const user = appUser(requester);
    const deadline = Date.now() + 2 * this.options.claimLeaseInMs + 1000;
    // The claim the caller's read saw: a run-out one (an earlier identity's) is taken over without asking again.
    let expired = seen && seen.leaseUntil.getTime() <= Date.now() ? seen : undefined;
    let delayInMs = 50;
    for (;;) {
      if (Date.now() > deadline) throw creationBusy();
      const claim = await this.mappings.claimCreation(
        user,
        new Date(Date.now() + this.options.claimLeaseInMs),
        expired,
      );
      if (claim) return this.createAsClaimant(requester, request, caller, claim, charge);
      expired = undefined;
      for (;;) {
        const record = await this.mappings.read(user, { fresh: true });
        if (record.mapping) return undefined;
        if (!record.claim) break; // given up without an identity: claim again
        if (record.claim.leaseUntil.getTime() <= Date.now()) {
          expired = record.claim;
          break;
        }
        if (Date.now() > deadline) throw creationBusy();
        // Jittered and doubling up to 400 ms: a burst of waiters must not crowd the table the claimant writes to.
        await pauseFor(delayInMs * (0.75 + Math.random() / 2));
        delayInMs = Math.min(delayInMs * 2, 400);
      }
    }
  }

  /**
   * Creates as the claim's holder. Saving the mapping also marks the claim run out (same transaction), and the row
   * stays: a user with a mapping always has a claim row, so a request that read no mapping from a stale cache finds
   * the claim taken and reads the mapping instead of creating a second identity, while a later creation (after a
   * delete) takes the run-out claim over at once. A claim that led to nothing is given up, so no one waits for it.
   */
  private async createAsClaimant(
    requester: Requester,
    request: TokenRequest | undefined,
    caller: Caller,
    claim: CreationClaim,
    charge: () => Promise<QuotaReceipt>,
  ): Promise<CreatedIdentity | undefined> {
    const user = appUser(requester);
    let receipt: QuotaReceipt | undefined;
    try {
      receipt = await charge();
      const created = await this.create(requester, request, caller);
      if (!created) await receipt.refund(caller.log); // a claimant that outlived its lease saved first
      return created;
    } catch (error) {
      await receipt?.refund(caller.log);
      await this.mappings.releaseClaim(user, claim).catch((releaseError: unknown) => {
        caller.log.warn(`Could not release the creation claim (${describeError(releaseError)}); its lease runs out.`);
      });
      throw error;
    }
  }

  /**
   * Creates a new identity (with a token when `request` is given) and saves its mapping create-only. Returns
   * undefined when another request saved a mapping first (this identity is then deleted again).
   */
  private async create(
    requester: Requester,
    request: TokenRequest | undefined,
    caller: Caller,
  ): Promise<CreatedIdentity | undefined> {
    const user = appUser(requester);
    const acs = this.gateways.forUser(requester);
    const intent = await this.intents.putIntent('create', user, undefined, undefined, acs.resource);
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
    return { communicationUserId, createdOn, ...(token ? { token } : {}) };
  }

  private async forgetIntent(intent: Intent, log: Logger): Promise<void> {
    await forgetIntent(this.intents, intent, log);
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
      await this.intents.recordIntentIdentity(intent, communicationUserId).catch(() => undefined);
      return 'unknown';
    }
    if (stored?.intentId === intent.id) return 'saved';
    await this.discard(communicationUserId, intent, log);
    return 'not_saved';
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
      await this.intents.recordIntentIdentity(intent, communicationUserId).catch((recordError: unknown) => {
        log.error(
          `Could not record unsaved ACS identity ${communicationUserId} for the reconciler (${describeError(recordError)}).`,
        );
      });
      return;
    }
    await this.forgetIntent(intent, log);
  }
}

/** The change is finished or undone: its intent goes (and the reconciler deletes it if this fails). */
export async function forgetIntent(intents: IntentStore, intent: Intent, log: Logger): Promise<void> {
  await intents.deleteIntent(intent).catch((error: unknown) => {
    log.warn(`Could not delete intent ${intent.id} (${describeError(error)}); the reconciler will.`);
  });
}

const creationBusy = () =>
  conflict('identity_being_created', "Another request is creating this user's identity; retry in a moment.", 1);

const pauseFor = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** ACS refused the request itself (4xx other than throttling): nothing was created. */
const isRefusal = (error: unknown) => error instanceof UpstreamError && error.kind === 'rejected';
