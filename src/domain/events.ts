import { z } from 'zod';

export const webhookSources = ['graph', 'okta', 'standard', 'eventgrid'] as const;
export type WebhookSource = (typeof webhookSources)[number];

/**
 * One identity-provider event, normalised: what the webhooks enqueue and the queue worker applies. The one schema
 * both sides use; the worker validates every message with it.
 */
export const identityEventSchema = z.object({
  source: z.enum(webhookSources),
  /** Stable per provider event, for deduplication on `(source, eventId)`. */
  eventId: z.string().min(1),
  issuer: z.string().min(1),
  userId: z.string().min(1),
  /**
   * revoke: the user's tokens; disable: revoke and refuse tokens issued before the event; delete: delete the
   * identity and refuse tokens issued before the event; enable: lift an earlier disable or delete.
   */
  action: z.enum(['revoke', 'disable', 'delete', 'enable']),
  /** ISO 8601. */
  occurredAt: z.iso.datetime({ offset: true }),
  /** The provider's event type, for the audit trail. */
  type: z.string(),
});

export type IdentityEvent = z.infer<typeof identityEventSchema>;
