import { z } from 'zod';

import { auditActions } from '../domain/model';
import { tokenScopeSchema } from '../http/schemas';

/** Response shapes of the public API, for the OpenAPI document (and the contract test that checks answers against it). */

export const identityResponseSchema = z
  .object({
    communicationUserId: z
      .string()
      .meta({ example: '8:acs:00000000-0000-0000-0000-000000000000_00000000-0000-0000-0000-000000000001' }),
    createdOn: z.iso.datetime().optional(),
  })
  .meta({ id: 'Identity' });

export const tokenResponseSchema = z
  .object({
    communicationUserId: z.string(),
    token: z.string().meta({ description: 'The ACS access token (a JWT). Treat as a secret.' }),
    expiresOn: z.iso.datetime(),
    scopes: z.array(tokenScopeSchema),
  })
  .meta({ id: 'AccessToken' });

export const teamsTokenResponseSchema = z
  .object({ communicationUserId: z.string(), token: z.string(), expiresOn: z.iso.datetime() })
  .meta({ id: 'TeamsAccessToken' });

export const auditEntrySchema = z
  .object({
    action: z.enum(auditActions),
    cause: z.enum(['caller', 'admin', 'webhook', 'reconciler', 'guest', 'cleanup']),
    invitationId: z.string().optional().meta({ description: 'The invitation an `invitation_*` entry is about.' }),
    actor: z.string().optional(),
    jobId: z.string().optional().meta({ description: 'The revocation job that acted (admin cause).' }),
    source: z.string().optional(),
    eventId: z.string().optional(),
    eventType: z.string().optional(),
    communicationUserId: z.string(),
    at: z.iso.datetime(),
  })
  .meta({ id: 'AuditEntry' });

export const adminUserResponseSchema = z
  .object({
    issuer: z.string(),
    userId: z.string(),
    communicationUserId: z.string().optional(),
    createdOn: z.iso.datetime().optional(),
    state: z
      .enum(['active', 'deleting', 'none'])
      .meta({ description: '`none`: no identity, but an access decision is recorded.' }),
    revokedAt: z.iso.datetime().optional(),
    access: z
      .object({
        decision: z.enum(['disabled', 'deleted', 'restored']),
        at: z.iso.datetime(),
        source: z.string(),
        eventId: z.string(),
      })
      .optional()
      .meta({
        description:
          "The identity provider's (or an operator's) latest decision: while disabled or deleted, tokens issued at or before `at` are refused (403 user_disabled).",
      }),
  })
  .meta({ id: 'UserMapping' });

export const auditResponseSchema = z.object({ entries: z.array(auditEntrySchema) }).meta({ id: 'AuditTrail' });

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    code: z.string().meta({ description: 'A stable, machine-readable error code.' }),
    detail: z.string().optional(),
    instance: z.string().optional(),
  })
  .meta({ id: 'Problem' });

export const healthResponseSchema = z.object({ status: z.literal('ok'), version: z.string() }).meta({ id: 'Health' });

export const webhookAcceptedSchema = z
  .object({ accepted: z.int(), ignored: z.int(), rejected: z.int() })
  .meta({ id: 'WebhookAccepted' });

export const revocationJobSchema = z
  .object({
    id: z.string(),
    action: z.enum(['revoke', 'delete']),
    issuer: z.string().meta({ description: 'The issuer whose users the job covers, or `all`.' }),
    actor: z.string().meta({ description: 'The admin who started it.' }),
    state: z.enum(['running', 'done', 'failed']),
    processed: z.int().meta({ description: 'Users gone through so far.' }),
    revoked: z.int(),
    deleted: z.int(),
    skipped: z.int().meta({ description: 'Nothing to do (already being deleted, or the identity was already gone).' }),
    failed: z.int().meta({ description: 'Refused by ACS for good; these users may still hold valid tokens.' }),
    ratePerSecond: z.int().meta({ description: 'The pace: users per second.' }),
    error: z.string().optional().meta({ description: 'Why a failed job stopped.' }),
    startedAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'RevocationJob' });

export const invitationResponseSchema = z
  .object({
    id: z.string(),
    state: z.enum(['active', 'expired', 'revoked', 'used_up']),
    redemptions: z.int(),
    maxRedemptions: z.int(),
    expiresOn: z.iso.datetime(),
    scopes: z.array(tokenScopeSchema),
    context: z.string().optional(),
    guests: z.array(z.object({ communicationUserId: z.string(), redeemedAt: z.iso.datetime() })),
  })
  .meta({ id: 'Invitation' });

export const createdInvitationSchema = invitationResponseSchema
  .pick({ id: true, expiresOn: true, maxRedemptions: true, scopes: true, context: true })
  .extend({
    code: z.string().meta({ description: 'The secret to share with the guests; shown once, kept only as a hash.' }),
  })
  .meta({ id: 'CreatedInvitation' });

export const guestTokenResponseSchema = tokenResponseSchema
  .extend({ context: z.string().optional().meta({ description: "The invitation's context, as the inviter gave it." }) })
  .meta({ id: 'GuestToken' });
