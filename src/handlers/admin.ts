import type { HttpRequest } from '@azure/functions';

import type { AppUser, Principal } from '../auth/principal';
import { badRequest, notFound } from '../domain/errors';
import { parseJsonBody } from '../http/body';
import { adminOnly, json } from '../http/handler';
import { emptyRequestSchema } from '../http/schemas';

/**
 * Operators act on users of their own issuer; the user id is one percent-encoded path segment. The host's route
 * value is decoded except for `%2F` (ASP.NET Core keeps it), so `%2F` and `%252F` would look alike there: the
 * segment is taken from the raw request URL instead and decoded exactly once.
 */
export function targetUser(request: HttpRequest, admin: Principal): AppUser {
  const userId = rawUserIdSegment(request.url);
  if (userId === undefined || userId.length === 0 || userId.length > 1024) {
    throw badRequest(
      'invalid_user_id',
      'The user id must be 1 to 1024 characters, percent-encoded as one path segment.',
    );
  }
  return { issuer: admin.issuer, userId };
}

/** The decoded `{userId}` segment after `/users/` in the raw URL; undefined when it is not valid percent-encoding. */
function rawUserIdSegment(url: string): string | undefined {
  // No URL parser here: it would resolve `.`/`..` (also as %2E) and so change which user is meant.
  const path = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').split(/[?#]/, 1)[0] ?? '';
  const match = /\/users\/([^/]*)(?:\/(?:revoke|audit|enable))?\/?$/.exec(path);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
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
      at: entry.at.toISOString(),
    })),
  });
});
