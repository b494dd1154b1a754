// Over 300 lines on purpose: one registration per endpoint, side by side, so that the whole contract reads in one
// place (the same zod schemas validate the requests).
import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

import { version } from '../config/version';
import {
  guestTokenRequestSchema,
  invitationRequestSchema,
  revocationJobRequestSchema,
  teamsTokenRequestSchema,
  tokenRequestSchema,
} from '../http/schemas';
import {
  adminUserResponseSchema,
  auditResponseSchema,
  createdInvitationSchema,
  guestTokenResponseSchema,
  healthResponseSchema,
  identityResponseSchema,
  invitationResponseSchema,
  problemSchema,
  revocationJobSchema,
  teamsTokenResponseSchema,
  tokenResponseSchema,
  webhookAcceptedSchema,
} from './responses';

type Status = 200 | 201 | 202 | 204 | 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 429 | 502 | 503;

const problem = (description: string): ResponseConfig => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});
const jsonBody = (description: string, schema: z.ZodType): ResponseConfig => ({
  description,
  content: { 'application/json': { schema } },
});
const empty = (description: string): ResponseConfig => ({ description });

const commonErrors = {
  401: problem('Missing or invalid bearer token (`WWW-Authenticate: Bearer error="invalid_token"`).'),
  503: problem('Storage or ACS is throttling or unavailable; retry after `Retry-After` seconds.'),
} satisfies Partial<Record<Status, ResponseConfig>>;
const bodyErrors = {
  400: problem('Malformed JSON or an invalid field (code `malformed_json` or `invalid_request`).'),
  413: problem('The body exceeds 16 KiB.'),
  415: problem('The body is not application/json.'),
} satisfies Partial<Record<Status, ResponseConfig>>;
const upstreamErrors = {
  502: problem('ACS failed or refused the request (code `acs_failed` or `acs_rejected`).'),
  ...commonErrors,
} satisfies Partial<Record<Status, ResponseConfig>>;
const tokenBody = { body: { required: false, content: { 'application/json': { schema: tokenRequestSchema } } } };
const userIdParam = z.object({
  userId: z.string().min(1).max(1024).meta({
    description:
      "The app user's id at the admin's issuer, percent-encoded; `-` to give it in the `userId` query parameter instead, which ids holding `/` or `%` must (the Functions host decodes the path before the app sees it).",
  }),
});
const userIdQuery = z.object({
  userId: z
    .string()
    .min(1)
    .max(1024)
    .optional()
    .meta({ description: 'The user id, when the path segment is `-`. Carries any id unchanged.' }),
});
const bearer = [{ bearerAuth: [] }];

/** Every public endpoint, with the schemas that validate its requests and describe its responses. */
export function buildRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: "An access token from the app's own identity provider (configured issuer and audience).",
  });

  registry.registerPath({
    operationId: 'health',
    method: 'get',
    path: '/api/health',
    tags: ['Service'],
    summary: 'Liveness probe (anonymous).',
    responses: { 200: jsonBody('The service is up.', healthResponseSchema) },
  });
  registry.registerPath({
    operationId: 'openApi',
    method: 'get',
    path: '/api/openapi.json',
    tags: ['Service'],
    summary: 'This document (anonymous).',
    responses: {
      200: {
        description: 'The OpenAPI 3.1 document.',
        content: { 'application/json': { schema: z.object({ openapi: z.string() }).loose() } },
      },
    },
  });

  registry.registerPath({
    operationId: 'createIdentity',
    method: 'post',
    path: '/api/identities',
    tags: ['Identity'],
    security: bearer,
    summary: "Creates the caller's ACS identity (idempotent per user).",
    responses: {
      201: jsonBody('Created.', identityResponseSchema),
      200: jsonBody('The caller already had this identity.', identityResponseSchema),
      ...bodyErrors,
      403: problem('The identity provider disabled or deleted the user after this token was issued (`user_disabled`).'),
      409: problem(
        'The identity is being deleted (`deletion_in_progress`), or another request is still creating it (`identity_being_created`); retry after `Retry-After`.',
      ),
      ...upstreamErrors,
    },
  });
  registry.registerPath({
    operationId: 'getIdentity',
    method: 'get',
    path: '/api/identities/me',
    tags: ['Identity'],
    security: bearer,
    summary: "The caller's ACS identity.",
    responses: {
      200: jsonBody("The caller's identity.", identityResponseSchema),
      404: problem('The caller has no identity (`identity_not_found`).'),
      ...commonErrors,
    },
  });
  registry.registerPath({
    operationId: 'revokeTokens',
    method: 'post',
    path: '/api/identities/me/revoke',
    tags: ['Identity'],
    security: bearer,
    summary: "Revokes every token issued so far for the caller's identity.",
    responses: {
      204: empty('Revoked.'),
      ...bodyErrors,
      404: problem('The caller has no identity.'),
      409: problem('The identity is being deleted.'),
      ...upstreamErrors,
    },
  });
  registry.registerPath({
    operationId: 'deleteIdentity',
    method: 'delete',
    path: '/api/identities/me',
    tags: ['Identity'],
    security: bearer,
    summary: "Deletes the caller's ACS identity (which revokes its tokens) and the mapping. Idempotent.",
    responses: { 204: empty('Deleted, or there was nothing to delete.'), ...upstreamErrors },
  });

  registry.registerPath({
    operationId: 'issueToken',
    method: 'post',
    path: '/api/tokens',
    tags: ['Tokens'],
    security: bearer,
    request: tokenBody,
    summary: 'Issues an ACS token; creates the identity in the same ACS call when the caller has none.',
    responses: {
      200: jsonBody('A token for the existing identity.', tokenResponseSchema),
      201: jsonBody('The identity was created with this token.', tokenResponseSchema),
      ...bodyErrors,
      403: problem(
        'A requested scope is not allowed by this service (`scope_not_allowed`), or the identity provider disabled or deleted the user after this token was issued (`user_disabled`).',
      ),
      409: problem(
        'The identity is being deleted (`deletion_in_progress`), or another request is still creating it (`identity_being_created`); retry after `Retry-After`.',
      ),
      ...upstreamErrors,
    },
  });
  registry.registerPath({
    operationId: 'refreshToken',
    method: 'post',
    path: '/api/tokens/refresh',
    tags: ['Tokens'],
    security: bearer,
    request: tokenBody,
    summary: 'Re-issues a token for the existing identity; never creates one.',
    responses: {
      200: jsonBody('A fresh token.', tokenResponseSchema),
      ...bodyErrors,
      403: problem('A requested scope is not allowed by this service, or the user was disabled (`user_disabled`).'),
      404: problem('The caller has no identity yet: call POST /api/tokens.'),
      409: problem('The identity is being deleted.'),
      ...upstreamErrors,
    },
  });
  registry.registerPath({
    operationId: 'exchangeTeamsToken',
    method: 'post',
    path: '/api/tokens/teams',
    tags: ['Tokens'],
    security: bearer,
    request: { body: { required: true, content: { 'application/json': { schema: teamsTokenRequestSchema } } } },
    summary: "Exchanges the caller's own Teams user Entra ID token for an ACS token.",
    responses: {
      200: jsonBody('An ACS token for the Teams user.', teamsTokenResponseSchema),
      ...bodyErrors,
      403: problem('The Teams token belongs to another user, or the caller is not an Entra ID user.'),
      404: problem('The Teams exchange is not configured.'),
      ...upstreamErrors,
    },
  });

  const adminErrors = { 403: problem('The caller lacks the admin role (`admin_role_required`).'), ...upstreamErrors };
  registry.registerPath({
    operationId: 'adminGetUser',
    method: 'get',
    path: '/api/users/{userId}',
    tags: ['Admin'],
    security: bearer,
    request: { params: userIdParam, query: userIdQuery },
    summary: "A user's mapping (admin role).",
    responses: {
      200: jsonBody('The mapping.', adminUserResponseSchema),
      400: problem(
        'Invalid user id (`invalid_user_id`), or one that must travel in the query (`user_id_needs_query`).',
      ),
      404: problem('The user has no identity.'),
      ...adminErrors,
    },
  });
  registry.registerPath({
    operationId: 'adminRevokeUser',
    method: 'post',
    path: '/api/users/{userId}/revoke',
    tags: ['Admin'],
    security: bearer,
    request: { params: userIdParam, query: userIdQuery },
    summary: "Revokes a user's tokens (admin role).",
    responses: {
      204: empty('Revoked.'),
      ...bodyErrors,
      404: problem('The user has no identity.'),
      409: problem('The identity is being deleted.'),
      ...adminErrors,
    },
  });
  registry.registerPath({
    operationId: 'adminEnableUser',
    method: 'post',
    path: '/api/users/{userId}/enable',
    tags: ['Admin'],
    security: bearer,
    request: { params: userIdParam, query: userIdQuery },
    summary: "Lifts an identity provider's disable or delete decision for a user (admin role).",
    responses: { 204: empty('Tokens issued before the decision are accepted again.'), ...bodyErrors, ...adminErrors },
  });
  registry.registerPath({
    operationId: 'adminDeleteUser',
    method: 'delete',
    path: '/api/users/{userId}',
    tags: ['Admin'],
    security: bearer,
    request: { params: userIdParam, query: userIdQuery },
    summary: "Deletes a user's ACS identity and mapping (admin role). Idempotent.",
    responses: {
      204: empty('Deleted, or there was nothing to delete.'),
      400: problem(
        'Invalid user id (`invalid_user_id`), or one that must travel in the query (`user_id_needs_query`).',
      ),
      ...adminErrors,
    },
  });
  registry.registerPath({
    operationId: 'adminGetAudit',
    method: 'get',
    path: '/api/users/{userId}/audit',
    tags: ['Admin'],
    security: bearer,
    request: { params: userIdParam, query: userIdQuery },
    summary: "A user's audit trail, newest first (admin role).",
    responses: {
      200: jsonBody('The audit trail.', auditResponseSchema),
      400: problem(
        'Invalid user id (`invalid_user_id`), or one that must travel in the query (`user_id_needs_query`).',
      ),
      ...adminErrors,
    },
  });

  const jobIdParam = z.object({
    jobId: z.string().meta({ description: 'The id POST /api/revocations answered with.' }),
  });
  registry.registerPath({
    operationId: 'startRevocationJob',
    method: 'post',
    path: '/api/revocations',
    tags: ['Admin'],
    security: bearer,
    request: { body: { required: true, content: { 'application/json': { schema: revocationJobRequestSchema } } } },
    summary:
      'Starts revoking the tokens of (or deleting) every identity of an issuer, paced, through a queue (admin role).',
    responses: {
      202: {
        ...jsonBody('Started; follow `Location` for progress.', revocationJobSchema),
        headers: { Location: { description: 'The job: /api/revocations/{jobId}.', schema: { type: 'string' } } },
      },
      ...bodyErrors,
      403: problem(
        'The caller lacks the admin role (`admin_role_required`), or names another issuer or `all` without the global admin role (`global_admin_role_required`).',
      ),
      409: problem('Another revocation job is still running (`revocation_job_running`).'),
      ...upstreamErrors,
    },
  });
  registry.registerPath({
    operationId: 'getRevocationJob',
    method: 'get',
    path: '/api/revocations/{jobId}',
    tags: ['Admin'],
    security: bearer,
    request: { params: jobIdParam },
    summary: "A revocation job's progress (admin role).",
    responses: {
      200: jsonBody('The job.', revocationJobSchema),
      404: problem('No such job, or one of another issuer (`job_not_found`).'),
      ...adminErrors,
    },
  });

  const invitationIdParam = z.object({
    id: z.string().meta({ description: 'The id POST /api/invitations answered with.' }),
  });
  const invitationNotFound = problem('No such invitation, or not yours to see (`invitation_not_found`).');
  registry.registerPath({
    operationId: 'createInvitation',
    method: 'post',
    path: '/api/invitations',
    tags: ['Guests'],
    security: bearer,
    request: {
      body: { required: false, content: { 'application/json': { schema: invitationRequestSchema } } },
    },
    summary: 'Invites guests (people without an account): the code they redeem for a short-lived ACS identity.',
    responses: {
      201: {
        ...jsonBody('Created. The code is shown this once.', createdInvitationSchema),
        headers: { Location: { description: 'The invitation: /api/invitations/{id}.', schema: { type: 'string' } } },
      },
      ...bodyErrors,
      403: problem(
        'A scope guests may not have (`scope_not_allowed`), or the caller lacks INVITATION_ROLE (`invitation_role_required`).',
      ),
      429: problem('The per-user invitation quota is used up (`quota_exceeded`).'),
      ...upstreamErrors,
    },
  });
  registry.registerPath({
    operationId: 'getInvitation',
    method: 'get',
    path: '/api/invitations/{id}',
    tags: ['Guests'],
    security: bearer,
    request: { params: invitationIdParam },
    summary: 'An invitation and its guests, for its inviter or an admin of their issuer (never the code).',
    responses: {
      200: jsonBody('The invitation.', invitationResponseSchema),
      404: invitationNotFound,
      ...upstreamErrors,
    },
  });
  registry.registerPath({
    operationId: 'revokeInvitation',
    method: 'delete',
    path: '/api/invitations/{id}',
    tags: ['Guests'],
    security: bearer,
    request: { params: invitationIdParam },
    summary: 'Revokes an invitation: its code stops working and every guest identity made from it is deleted.',
    responses: { 204: empty('Revoked (also when it already was).'), 404: invitationNotFound, ...upstreamErrors },
  });
  registry.registerPath({
    operationId: 'redeemInvitation',
    method: 'post',
    path: '/api/guest/tokens',
    tags: ['Guests'],
    request: {
      body: { required: true, content: { 'application/json': { schema: guestTokenRequestSchema } } },
    },
    summary:
      'Anonymous: a guest redeems an invitation code. A new guest key is a new guest identity (201); the same key again a fresh token for it (200).',
    responses: {
      201: jsonBody('A new guest identity and its token.', guestTokenResponseSchema),
      200: jsonBody('A fresh token for the guest identity of this guest key.', guestTokenResponseSchema),
      ...bodyErrors,
      404: problem('No invitation has this code (`invitation_not_found`).'),
      409: problem('Another request is creating this guest, or the invitation is busy; retry after `Retry-After`.'),
      410: problem('The invitation is `expired`, `revoked` or `used_up` (the code says which).'),
      429: problem('Too many new guests from this address (`quota_exceeded`).'),
      ...upstreamErrors,
    },
  });

  const webhookErrors = {
    400: problem('The delivery is malformed.'),
    401: problem('The signature or shared secret is missing or wrong; nothing was queued.'),
    404: problem('This webhook is not configured.'),
    413: problem('The body exceeds 1 MiB.'),
    503: problem('The events could not be queued; deliver again.'),
  };
  const webhookResponses = { 202: jsonBody('Verified and queued.', webhookAcceptedSchema), ...webhookErrors };
  const webhookBody = { body: { required: true, content: { 'application/json': { schema: z.object({}).loose() } } } };
  registry.registerPath({
    operationId: 'graphWebhook',
    method: 'post',
    path: '/api/webhooks/graph',
    tags: ['Webhooks'],
    request: webhookBody,
    summary: 'Microsoft Graph change notifications on users (validation handshake via `?validationToken=`).',
    responses: {
      ...webhookResponses,
      200: {
        description: 'Validation handshake: the token, as text/plain.',
        content: { 'text/plain': { schema: z.string() } },
      },
    },
  });
  registry.registerPath({
    operationId: 'oktaWebhookVerification',
    method: 'get',
    path: '/api/webhooks/okta',
    tags: ['Webhooks'],
    summary: "Okta's one-time verification challenge (`x-okta-verification-challenge`).",
    responses: {
      200: jsonBody('The challenge, echoed.', z.object({ verification: z.string() })),
      401: webhookResponses[401],
      404: webhookResponses[404],
    },
  });
  registry.registerPath({
    operationId: 'oktaWebhook',
    method: 'post',
    path: '/api/webhooks/okta',
    tags: ['Webhooks'],
    request: webhookBody,
    summary: 'Okta event hooks (shared secret in `Authorization`).',
    responses: { 204: empty('Verified and queued (Okta asks for 200 or 204 with an empty body).'), ...webhookErrors },
  });
  registry.registerPath({
    operationId: 'standardWebhook',
    method: 'post',
    path: '/api/webhooks/events',
    tags: ['Webhooks'],
    request: webhookBody,
    summary: 'Standard Webhooks / Svix-signed events (Auth0 Actions, Clerk, custom providers).',
    responses: webhookResponses,
  });
  registry.registerPath({
    operationId: 'eventGridWebhookHandshake',
    method: 'options',
    path: '/api/webhooks/eventgrid',
    tags: ['Webhooks'],
    summary: 'CloudEvents abuse-protection handshake (`WebHook-Request-Origin`).',
    responses: {
      200: empty('Allowed (`WebHook-Allowed-Origin`).'),
      401: webhookResponses[401],
      404: webhookResponses[404],
    },
  });
  registry.registerPath({
    operationId: 'eventGridWebhook',
    method: 'post',
    path: '/api/webhooks/eventgrid',
    tags: ['Webhooks'],
    request: webhookBody,
    summary:
      'Microsoft Graph user events delivered by Event Grid as CloudEvents 1.0 (shared secret in `x-webhook-secret`).',
    responses: {
      ...webhookResponses,
      200: jsonBody('Event Grid schema validation handshake.', z.object({ validationResponse: z.string() })),
    },
  });
  return registry;
}

let document: object | undefined;

/** The OpenAPI 3.1 document, generated once per process from the request and response schemas. */
export function openApiDocument(): object {
  document ??= new OpenApiGeneratorV31(buildRegistry().definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'ACS identity and token service',
      version,
      description:
        'Gives signed-in app users an Azure Communication Services identity and short-lived ACS access tokens. Errors are RFC 9457 Problem Details with a stable `code`.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/' }],
  });
  return document;
}
