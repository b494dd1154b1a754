import { AcsUnauthorizedError, describeError } from '../domain/errors';
import type { DueCleanup, Guest, Invitation, InvitationStore } from '../domain/invitations';
import type { IdentityGateway, Logger } from '../domain/ports';
import { stateOf } from './state';

/** The guest identity's customId: stable per invitation and guest key, so a lost create is found again. */
export const customIdOf = (invitation: Invitation, guest: Guest) => `guest-${invitation.id}-${guest.keyHash}`;

/**
 * Guest identities die with their invitation: deleted at once when it is revoked, and by the clean-up timer once it
 * expired (or when a revocation could not finish).
 */
export class GuestCleanup {
  constructor(
    private readonly store: InvitationStore,
    private readonly acs: IdentityGateway,
    private readonly idempotentCreate: boolean,
    /** Records `invitation_expired` in the inviter's trail. */
    private readonly audited: (invitation: Invitation, action: 'invitation_expired') => Promise<void>,
  ) {}

  /**
   * Deletes the guest identities of invitations that expired or were revoked (the clean-up timer). An invitation
   * whose guests are all gone is marked cleaned and leaves the index; one with a guest still being created waits
   * for the next run.
   */
  async run(log: Logger, now = new Date()): Promise<{ invitations: number; guestsDeleted: number }> {
    let invitations = 0;
    let guestsDeleted = 0;
    for (const due of await this.store.listDueForCleanup(now)) {
      try {
        const deleted = await this.cleanupOne(due, log, now);
        if (deleted !== undefined) {
          invitations += 1;
          guestsDeleted += deleted;
        }
      } catch (error) {
        log.warn(`Cleaning up invitation ${due.invitationId} failed (${describeError(error)}); the next run retries.`);
      }
    }
    return { invitations, guestsDeleted };
  }

  private async cleanupOne(due: DueCleanup, log: Logger, now: Date): Promise<number | undefined> {
    const invitation = await this.store.get(due.invitationId);
    if (!invitation || invitation.cleanedAt) {
      await this.store.forgetDue(due);
      return undefined;
    }
    const state = stateOf(invitation, now);
    if (state !== 'revoked' && state !== 'expired') {
      await this.store.forgetDue(due); // scheduled at an expiry it no longer has (not possible today)
      return undefined;
    }
    const deleted = await this.deleteGuests(invitation, log);
    if (deleted === undefined) return undefined; // a guest is still being created: next run
    await this.store.markCleaned(invitation, now);
    if (state === 'expired') await this.audited(invitation, 'invitation_expired');
    await this.store.forgetDue(due);
    return deleted;
  }

  /** Deletes every guest identity of the invitation; undefined when one is still being created. */
  async deleteGuests(invitation: Invitation, log: Logger): Promise<number | undefined> {
    let deleted = 0;
    let pending = false;
    for (const guest of await this.store.listGuests(invitation.id)) {
      if (guest.deletedAt) continue;
      let communicationUserId = guest.communicationUserId;
      if (!communicationUserId) {
        if (guest.leaseUntil && guest.leaseUntil.getTime() > Date.now()) {
          pending = true;
          continue;
        }
        // A creation that never recorded its identity: with a customId ACS finds it again (else nothing to find).
        if (this.idempotentCreate)
          communicationUserId = await this.acs.createUser({ customId: customIdOf(invitation, guest) });
      }
      if (communicationUserId) await this.deleteIdentity(communicationUserId);
      await this.store.markGuestDeleted(invitation.id, guest, new Date());
      deleted += 1;
    }
    if (pending) log.info(`Invitation ${invitation.id}: a guest is still being created; the next clean-up deletes it.`);
    return pending ? undefined : deleted;
  }

  async deleteIdentity(communicationUserId: string): Promise<void> {
    try {
      await this.acs.deleteUser(communicationUserId);
    } catch (error) {
      if (!(error instanceof AcsUnauthorizedError)) throw error; // ACS no longer knows it: gone
    }
  }
}
