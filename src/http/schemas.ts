import { z } from 'zod';

import { tokenScopes } from '../config/settings';

/**
 * Request shapes of the public API: the one source for validation and for the OpenAPI document. The response shapes,
 * which only the document needs, are in src/openapi/responses.ts (built on the first GET /api/openapi.json, not at
 * cold start).
 */

export const tokenScopeSchema = z.enum(tokenScopes).meta({ id: 'TokenScope', description: 'An ACS token scope.' });

export const tokenRequestSchema = z
  .strictObject({
    scopes: z
      .array(tokenScopeSchema)
      .min(1)
      .max(tokenScopes.length)
      .refine((scopes) => new Set(scopes).size === scopes.length, 'scopes must not repeat')
      .optional()
      .meta({
        description: "Scopes for the token; defaults to the service's default scopes (chat, voip unless configured).",
      }),
    expiresInMinutes: z
      .int()
      .min(60)
      .max(1440)
      .optional()
      .meta({ description: 'Token lifetime in minutes (60..1440); defaults to 1440, the ACS default.' }),
  })
  .meta({ id: 'TokenRequest' });

export const emptyRequestSchema = z.strictObject({}).meta({ id: 'EmptyRequest' });

export const teamsTokenRequestSchema = z
  .strictObject({
    teamsUserAadToken: z.string().min(1).max(12_000).meta({
      description: "The Teams user's Entra ID access token for ACS (audience https://communication.azure.com).",
    }),
  })
  .meta({ id: 'TeamsTokenRequest' });

export const revocationJobRequestSchema = z
  .strictObject({
    action: z.enum(['revoke', 'delete']).meta({
      description:
        "`revoke`: every token of each user dies; `delete`: each user's ACS identity and mapping are deleted.",
    }),
    issuer: z.string().min(1).max(1024).optional().meta({
      description:
        "Whose users: omitted, the admin's own issuer; another issuer or `all` (every issuer) needs the global admin role (ADMIN_GLOBAL_ROLE).",
    }),
  })
  .meta({ id: 'RevocationJobRequest' });

const scopeListSchema = z
  .array(tokenScopeSchema)
  .min(1)
  .max(tokenScopes.length)
  .refine((scopes) => new Set(scopes).size === scopes.length, 'scopes must not repeat');

export const invitationRequestSchema = z
  .strictObject({
    scopes: scopeListSchema.optional().meta({
      description: "The guests' token scopes, from GUEST_ALLOWED_SCOPES; defaults to GUEST_DEFAULT_SCOPES (voip).",
    }),
    expiresInMinutes: z
      .int()
      .min(5)
      .max(10080)
      .optional()
      .meta({ description: 'How long the invitation can be redeemed, 5..10080 minutes; defaults to 1440.' }),
    maxRedemptions: z
      .int()
      .min(1)
      .max(100)
      .optional()
      .meta({ description: 'How many guests (distinct guest keys) it admits, 1..100; defaults to 1.' }),
    context: z.string().max(256).optional().meta({
      description: 'Opaque to the service, handed to each guest: a meeting link, a group call id, a chat thread id.',
    }),
  })
  .meta({ id: 'InvitationRequest' });

export const guestTokenRequestSchema = z
  .strictObject({
    code: z.string().min(1).max(200).meta({ description: 'The invitation code the inviter shared.' }),
    guestKey: z
      .string()
      .regex(/^[A-Za-z0-9_-]{16,128}$/, 'guestKey must be 16 to 128 URL-safe characters (A-Z a-z 0-9 - _)')
      .meta({
        description:
          "A random key the guest's browser makes once and keeps (session storage): the same key again is the same guest.",
      }),
  })
  .meta({ id: 'GuestTokenRequest' });
