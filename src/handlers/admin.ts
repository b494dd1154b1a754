import type { HttpRequest } from '@azure/functions';

import type { AppUser, Principal } from '../domain/model';
import { badRequest, notFound } from '../domain/errors';
import { parseJsonBody } from '../http/body';
import { adminOnly, json } from './handler';
import { emptyRequestSchema } from '../http/schemas';

/** The path segment that says "the user id is in the `userId` query parameter". */
export const USER_ID_IN_QUERY = '-';

/**
 * Operators act on users of their own issuer, named by the `{userId}` route value or, with `-` in its place, by
 * the `userId` query parameter. In Azure the host decodes the path before the app sees it (every escape but %2F),
 * so `a%2Fb` and `a%252Fb` arrive as the same route value `a%2Fb` and no second decode can tell them apart (nor
 * `%C3%A9` from `%25C3%25A9`): a route value holding `%` is refused, and ids with `/` or `%` travel in the query,
 * which the host decodes exactly once. The URL itself is never parsed here for the same reason.
 */
export function targetUser(request: HttpRequest, admin: Principal): AppUser {
  const segment = request.params['userId'] ?? '';
  const fromQuery = request.query.get('userId');
  let userId: string;
  if (segment === USER_ID_IN_QUERY && fromQuery !== null) {
    userId = fromQuery;
  } else if (fromQuery !== null) {
    throw badRequest(
      'invalid_user_id',
      `Name the user either in the path or, with '${USER_ID_IN_QUERY}' as the path segment, in the userId query parameter; not both.`,
    );
  } else if (segment.includes('%')) {
    throw badRequest(
      'user_id_needs_query',
      `A user id with '/' or '%' cannot travel in the path unchanged: put '${USER_ID_IN_QUERY}' in its place and the id, percent-encoded, in the userId query parameter (/api/users/${USER_ID_IN_QUERY}?userId=...).`,
    );
  } else {
    userId = segment;
  }
  if (userId.length === 0 || userId.length > 1024) {
    throw badRequest('invalid_user_id', 'The user id must be 1 to 1024 characters.');
  }
  return { issuer: admin.issuer, userId };
}

const adminCause = (admin: Principal) => ({ kind: 'admin' as const, actor: admin.userId });

export const adminGetUser = adminOnly(async (request, _context, { identities }, admin) => {
  const user = targetUser(request, admin);
  const { mapping, decision } = await identities.findUser(user);
  if (!mapping && (!decision || decision.kind === 'restored'))
    throw notFound('identity_not_found', 'This user has no ACS identity and no access decision.');
  return json(200, {
    issuer: user.issuer,
    userId: user.userId,
    ...(mapping
      ? {
          communicationUserId: mapping.communicationUserId,
          createdOn: mapping.createdOn.toISOString(),
          state: mapping.state,
          ...(mapping.revokedAt ? { revokedAt: mapping.revokedAt.toISOString() } : {}),
        }
      : { state: 'none' }),
    ...(decision
      ? {
          access: {
            decision: decision.kind,
            at: decision.at.toISOString(),
            source: decision.source,
            eventId: decision.eventId,
          },
        }
      : {}),
  });
});

export const adminRevokeUser = adminOnly(async (request, context, { identities }, admin) => {
  await parseJsonBody(request, emptyRequestSchema);
  await identities.revokeTokens(targetUser(request, admin), { cause: adminCause(admin), log: context });
  return { status: 204 };
});

export const adminEnableUser = adminOnly(async (request, _context, { identities }, admin) => {
  await parseJsonBody(request, emptyRequestSchema);
  const at = new Date();
  await identities.decide(
    targetUser(request, admin),
    { kind: 'restored', at, source: 'admin', eventId: `admin:${at.toISOString()}` },
    adminCause(admin),
  );
  return { status: 204 };
});

export const adminDeleteUser = adminOnly(async (request, context, { identities }, admin) => {
  await identities.deleteIdentity(targetUser(request, admin), { cause: adminCause(admin), log: context });
  return { status: 204 };
});

export const adminGetAudit = adminOnly(async (request, _context, { identities }, admin) => {
  const entries = await identities.auditTrail(targetUser(request, admin));
  return json(200, {
    entries: entries.map((entry) => ({
      action: entry.action,
      cause: entry.cause.kind,
      ...(entry.cause.kind === 'admin'
        ? { actor: entry.cause.actor, ...(entry.cause.jobId ? { jobId: entry.cause.jobId } : {}) }
        : {}),
      ...(entry.cause.kind === 'webhook'
        ? {
            source: entry.cause.source,
            eventId: entry.cause.eventId,
            ...(entry.cause.eventType ? { eventType: entry.cause.eventType } : {}),
          }
        : {}),
      communicationUserId: entry.communicationUserId,
      ...(entry.invitationId ? { invitationId: entry.invitationId } : {}),
      at: entry.at.toISOString(),
    })),
  });
});
