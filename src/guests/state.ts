import type { Invitation, InvitationState } from '../domain/invitations';

/** What an invitation is now: revoked wins over expired, expired over used up. */
export function stateOf(invitation: Invitation, now = new Date()): InvitationState {
  if (invitation.revokedAt) return 'revoked';
  if (invitation.expiresOn.getTime() <= now.getTime()) return 'expired';
  if (invitation.redemptions >= invitation.maxRedemptions) return 'used_up';
  return 'active';
}
