import type { AppUser, TokenScope } from './model';

/** What `GET /api/invitations/{id}` says of an invitation; a redemption of one that is not `active` answers 410. */
export type InvitationState = 'active' | 'expired' | 'revoked' | 'used_up';

/**
 * An app user's invitation for people without an account (guests). Its code is `<id>.<secret>`; only the
 * secret's SHA-256 is kept. Each redemption with a new guest key makes one guest ACS identity, which dies with the
 * invitation (revoked, or expired and cleaned up).
 */
export interface Invitation {
  id: string;
  inviter: AppUser;
  /** SHA-256 of the code's secret, base64url. */
  secretHash: string;
  scopes: TokenScope[];
  expiresOn: Date;
  maxRedemptions: number;
  redemptions: number;
  context?: string;
  /** The ACS resource the guest identities are created in. */
  resource: string;
  createdAt: Date;
  revokedAt?: Date;
  /** Every guest identity of it has been deleted at ACS (after it expired or was revoked). */
  cleanedAt?: Date;
  etag: string;
}

/** One redemption: a guest key (the guest's browser keeps it) and the guest identity made for it. */
export interface Guest {
  /** SHA-256 of the guest key, base64url. */
  keyHash: string;
  /** Absent while the identity is being created (see `leaseUntil`). */
  communicationUserId?: string;
  /** While being created: when another request may take the creation over. */
  leaseUntil?: Date;
  redeemedAt: Date;
  deletedAt?: Date;
  etag: string;
}

export type NewInvitation = Omit<Invitation, 'etag' | 'redemptions' | 'revokedAt' | 'cleanedAt'>;

/** An invitation whose guests are due to be deleted, and the index row that says so. */
export interface DueCleanup {
  invitationId: string;
  dueAt: Date;
  key: string;
}

/**
 * Invitations and their guests (Table Storage in `src/storage`): one partition per invitation, so that a
 * redemption counts itself and claims its guest key in one transaction on the invitation's ETag; an index by
 * inviter (for the identity provider's decisions) and one by due time (for the clean-up timer).
 */
export interface InvitationStore {
  /** Writes the invitation and its index rows (inviter; clean-up due at `expiresOn`). */
  create(invitation: NewInvitation): Promise<Invitation>;
  get(id: string): Promise<Invitation | undefined>;
  getGuest(invitationId: string, keyHash: string): Promise<Guest | undefined>;
  listGuests(invitationId: string): Promise<Guest[]>;
  /**
   * One redemption, atomically: `redemptions` + 1 on the invitation's ETag and the guest row create-only, leased
   * until `leaseUntil`. False when either condition failed (re-read and decide again).
   */
  reserve(invitation: Invitation, keyHash: string, leaseUntil: Date, now: Date): Promise<boolean>;
  /** Gives a reservation back (redemptions - 1, guest row removed) on the invitation's ETag; false when it changed. */
  release(invitation: Invitation, guest: Guest): Promise<boolean>;
  /** Takes over a guest whose creation lease ran out, on its ETag; undefined when it changed. */
  takeOver(invitationId: string, guest: Guest, leaseUntil: Date): Promise<Guest | undefined>;
  /** Records the guest's identity on the guest row's ETag; false when it changed. */
  recordIdentity(invitationId: string, guest: Guest, communicationUserId: string): Promise<boolean>;
  markGuestDeleted(invitationId: string, guest: Guest, now: Date): Promise<void>;
  /** Marks it revoked on its ETag and schedules its clean-up now; undefined when it changed meanwhile. */
  revoke(invitation: Invitation, now: Date): Promise<Invitation | undefined>;
  markCleaned(invitation: Invitation, now: Date): Promise<void>;
  listByInviter(inviter: AppUser): Promise<string[]>;
  listDueForCleanup(before: Date, limit?: number): Promise<DueCleanup[]>;
  forgetDue(due: DueCleanup): Promise<void>;
}
