import { app, type HttpRequest } from '@azure/functions';

import type { AppUser, Principal } from '../auth/principal';
import { badRequest, notFound } from '../errors/errors';
import { parseJsonBody } from '../http/body';
import { adminOnly, json } from '../http/handler';
import { emptyRequestSchema } from '../http/schemas';

/** Operators act on users of their own issuer; the user id comes URL-encoded in the path. */
function targetUser(request: HttpRequest, admin: Principal): AppUser {
  // The Functions host decodes route values except an encoded slash (ASP.NET Core keeps %2F): undo that one too.
  const userId = request.params['userId']?.replace(/%2F/gi, '/');
  if (!userId || userId.length > 1024) throw badRequest('invalid_user_id', 'The user id must be 1 to 1024 characters.');
  return { issuer: admin.issuer, userId };
}

const adminCause = (admin: Principal) => ({ kind: 'admin' as const, actor: admin.userId });

app.http('adminGetUser', {
  methods: ['GET'],
  route: 'users/{userId}',
  authLevel: 'anonymous',
  handler: adminOnly(async (request, _context, { identities }, admin) => {
    const mapping = await identities.findMapping(targetUser(request, admin));
    if (!mapping) throw notFound('identity_not_found', 'This user has no ACS identity.');
    return json(200, {
      issuer: mapping.user.issuer,
      userId: mapping.user.userId,
      communicationUserId: mapping.communicationUserId,
      createdOn: mapping.createdOn.toISOString(),
      state: mapping.state,
      ...(mapping.revokedAt ? { revokedAt: mapping.revokedAt.toISOString() } : {}),
    });
  }),
});

app.http('adminRevokeUser', {
  methods: ['POST'],
  route: 'users/{userId}/revoke',
  authLevel: 'anonymous',
  handler: adminOnly(async (request, context, { identities }, admin) => {
    await parseJsonBody(request, emptyRequestSchema);
    await identities.revokeTokens(targetUser(request, admin), { cause: adminCause(admin), log: context });
    return { status: 204 };
  }),
});

app.http('adminDeleteUser', {
  methods: ['DELETE'],
  route: 'users/{userId}',
  authLevel: 'anonymous',
  handler: adminOnly(async (request, context, { identities }, admin) => {
    await identities.deleteIdentity(targetUser(request, admin), { cause: adminCause(admin), log: context });
    return { status: 204 };
  }),
});

app.http('adminGetAudit', {
  methods: ['GET'],
  route: 'users/{userId}/audit',
  authLevel: 'anonymous',
  handler: adminOnly(async (request, _context, { identities }, admin) => {
    const entries = await identities.auditTrail(targetUser(request, admin));
    return json(200, {
      entries: entries.map((entry) => ({
        action: entry.action,
        cause: entry.cause.kind,
        ...(entry.cause.kind === 'admin' ? { actor: entry.cause.actor } : {}),
        ...(entry.cause.kind === 'webhook' ? { source: entry.cause.source, eventId: entry.cause.eventId, ...(entry.cause.eventType ? { eventType: entry.cause.eventType } : {}) } : {}),
        communicationUserId: entry.communicationUserId,
        at: entry.at.toISOString(),
      })),
    });
  }),
});
