import { parseJsonBody } from '../http/body';
import { authenticated, clientIpOf, json } from './handler';
import { emptyRequestSchema } from '../http/schemas';

const caller = { kind: 'caller' } as const;

export const createIdentity = authenticated(async (request, context, { identities }, principal) => {
  await parseJsonBody(request, emptyRequestSchema);
  const identity = await identities.createIdentity(
    { ...principal, clientIp: clientIpOf(request) },
    { cause: caller, log: context },
  );
  return json(identity.created ? 201 : 200, {
    communicationUserId: identity.communicationUserId,
    createdOn: identity.createdOn.toISOString(),
  });
});

export const getIdentity = authenticated(async (_request, _context, { identities }, principal) => {
  const identity = await identities.getIdentity(principal);
  return json(200, { communicationUserId: identity.communicationUserId, createdOn: identity.createdOn.toISOString() });
});

export const revokeTokens = authenticated(async (request, context, { identities }, principal) => {
  await parseJsonBody(request, emptyRequestSchema);
  await identities.revokeTokens(principal, { cause: caller, log: context });
  return { status: 204 };
});

export const deleteIdentity = authenticated(async (_request, context, { identities }, principal) => {
  await identities.deleteIdentity(principal, { cause: caller, log: context });
  return { status: 204 };
});
