import type { DueCleanup, Guest, Invitation, InvitationStore, NewInvitation } from '../../src/domain/invitations';
import type { AppUser } from '../../src/domain/model';

/**
 * An in-memory InvitationStore with the Table adapter's conditions (ETags, create-only guest rows, the redemption
 * and its guest in one step), for unit tests of the use case. The adapter itself is tested against Azurite.
 */
export class InMemoryInvitationStore implements InvitationStore {
  readonly invitations = new Map<string, Invitation>();
  readonly guests = new Map<string, Map<string, Guest>>();
  readonly due = new Map<string, DueCleanup>();
  private version = 0;

  async create(invitation: NewInvitation) {
    const stored: Invitation = { ...invitation, redemptions: 0, etag: this.etag() };
    this.invitations.set(invitation.id, stored);
    this.guests.set(invitation.id, new Map());
    this.schedule(invitation.id, invitation.expiresOn);
    return { ...stored };
  }

  async get(id: string) {
    const invitation = this.invitations.get(id);
    return invitation && { ...invitation };
  }

  async getGuest(invitationId: string, keyHash: string) {
    const guest = this.guests.get(invitationId)?.get(keyHash);
    return guest && { ...guest };
  }

  async listGuests(invitationId: string) {
    return [...(this.guests.get(invitationId)?.values() ?? [])].map((guest) => ({ ...guest }));
  }

  async reserve(invitation: Invitation, keyHash: string, leaseUntil: Date, now: Date) {
    const stored = this.invitations.get(invitation.id);
    const guests = this.guests.get(invitation.id);
    if (!stored || !guests || stored.etag !== invitation.etag || guests.has(keyHash)) return false;
    this.invitations.set(invitation.id, { ...stored, redemptions: stored.redemptions + 1, etag: this.etag() });
    guests.set(keyHash, { keyHash, leaseUntil, redeemedAt: now, etag: this.etag() });
    return true;
  }

  async release(invitation: Invitation, guest: Guest) {
    const stored = this.invitations.get(invitation.id);
    if (!stored || stored.etag !== invitation.etag) return false;
    this.invitations.set(invitation.id, { ...stored, redemptions: stored.redemptions - 1, etag: this.etag() });
    this.guests.get(invitation.id)?.delete(guest.keyHash);
    return true;
  }

  async takeOver(invitationId: string, guest: Guest, leaseUntil: Date) {
    const guests = this.guests.get(invitationId);
    if (guests?.get(guest.keyHash)?.etag !== guest.etag) return undefined;
    const next = { ...guest, leaseUntil, etag: this.etag() };
    guests.set(guest.keyHash, next);
    return { ...next };
  }

  async recordIdentity(invitationId: string, guest: Guest, communicationUserId: string) {
    const guests = this.guests.get(invitationId);
    if (guests?.get(guest.keyHash)?.etag !== guest.etag) return false;
    guests.set(guest.keyHash, { ...guest, communicationUserId, etag: this.etag() });
    return true;
  }

  async markGuestDeleted(invitationId: string, guest: Guest, now: Date) {
    const guests = this.guests.get(invitationId);
    const stored = guests?.get(guest.keyHash);
    if (guests && stored) guests.set(guest.keyHash, { ...stored, deletedAt: now, etag: this.etag() });
  }

  async revoke(invitation: Invitation, now: Date) {
    const stored = this.invitations.get(invitation.id);
    if (!stored || stored.etag !== invitation.etag) return undefined;
    const next = { ...stored, revokedAt: now, etag: this.etag() };
    this.invitations.set(invitation.id, next);
    this.schedule(invitation.id, now);
    return { ...next };
  }

  async markCleaned(invitation: Invitation, now: Date) {
    const stored = this.invitations.get(invitation.id);
    if (stored) this.invitations.set(invitation.id, { ...stored, cleanedAt: now, etag: this.etag() });
  }

  async listByInviter(inviter: AppUser) {
    return [...this.invitations.values()]
      .filter(
        (invitation) => invitation.inviter.issuer === inviter.issuer && invitation.inviter.userId === inviter.userId,
      )
      .map((invitation) => invitation.id);
  }

  async listDueForCleanup(before: Date) {
    return [...this.due.values()].filter((due) => due.dueAt.getTime() < before.getTime());
  }

  async forgetDue(due: DueCleanup) {
    this.due.delete(due.key);
  }

  private schedule(invitationId: string, dueAt: Date) {
    const key = `${dueAt.getTime()}-${invitationId}`;
    this.due.set(key, { invitationId, dueAt, key });
  }

  private etag = () => `W/"${++this.version}"`;
}
