import type { InvocationContext, Timer } from '@azure/functions';

import type { InvitationView } from '../guests/invitations';
import { parseJsonBody } from '../http/body';
import { guestTokenRequestSchema, invitationRequestSchema } from '../http/schemas';
import { authenticated, clientIpOf, handle, json } from './handler';
import type { Services } from './services';

const invitationBody = (invitation: InvitationView) => ({
  id: invitation.id,
  state: invitation.state,
  redemptions: invitation.redemptions,
  maxRedemptions: invitation.maxRedemptions,
  expiresOn: invitation.expiresOn.toISOString(),
  scopes: invitation.scopes,
  ...(invitation.context !== undefined ? { context: invitation.context } : {}),
  guests: invitation.guests.map((guest) => ({
    communicationUserId: guest.communicationUserId,
    redeemedAt: guest.redeemedAt.toISOString(),
  })),
});

export const createInvitation = authenticated(async (request, context, { invitations }, principal) => {
  const body = await parseJsonBody(request, invitationRequestSchema);
  const { view, code } = await invitations.create(principal, body, context);
  return json(
    201,
    {
      id: view.id,
      code,
      expiresOn: view.expiresOn.toISOString(),
      maxRedemptions: view.maxRedemptions,
      scopes: view.scopes,
      ...(view.context !== undefined ? { context: view.context } : {}),
    },
    { Location: `/api/invitations/${view.id}` },
  );
});

export const getInvitation = authenticated(async (request, _context, { invitations }, principal) => {
  return json(200, invitationBody(await invitations.get(principal, request.params['id'] ?? '')));
});

export const revokeInvitation = authenticated(async (request, context, { invitations }, principal) => {
  await invitations.revoke(principal, request.params['id'] ?? '', context);
  return { status: 204 };
});

/** Anonymous: the code is the guest's credential, the guest key tells one guest from another. */
export const redeemInvitation = handle(async (request, context, services) => {
  const { code, guestKey } = await parseJsonBody(request, guestTokenRequestSchema);
  await services.ready();
  const token = await services.invitations.redeem(code, guestKey, clientIpOf(request), context);
  return json(token.created ? 201 : 200, {
    communicationUserId: token.communicationUserId,
    token: token.token,
    expiresOn: token.expiresOn.toISOString(),
    scopes: token.scopes,
    ...(token.context !== undefined ? { context: token.context } : {}),
  });
});

/** Deletes the guest identities of invitations that expired or were revoked. */
export const cleanupGuests =
  (services: Services) =>
  async (_timer: Timer, context: InvocationContext): Promise<void> => {
    await services.ready();
    const { invitations, guestsDeleted } = await services.invitations.cleanup(context);
    if (invitations > 0)
      context.info(`Cleaned up ${invitations} invitation(s): ${guestsDeleted} guest identities deleted`);
  };
