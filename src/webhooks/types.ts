import type { WebhookConfig } from '../config/config';

export type WebhookSource = 'graph' | 'okta' | 'standard' | 'eventgrid';

/** One identity-provider event, normalised: what the queue-triggered function acts on. */
export interface IdentityEvent {
  source: WebhookSource;
  /** Stable per provider event, for deduplication on `(source, eventId)`. */
  eventId: string;
  issuer: string;
  userId: string;
  /**
   * revoke: the user's tokens; disable: revoke and refuse tokens issued before the event; delete: delete the
   * identity and refuse tokens issued before the event; enable: lift an earlier disable or delete.
   */
  action: 'revoke' | 'disable' | 'delete' | 'enable';
  /** ISO 8601. */
  occurredAt: string;
  /** The provider's event type, for the audit trail. */
  type: string;
}

/** The parts of an HTTP request the webhook handlers read. The query accessor returns decoded values. */
export interface WebhookRequest {
  method: string;
  headers: { get(name: string): string | null };
  query: { get(name: string): string | null };
  rawBody: string;
  receivedAt: Date;
}

export type WebhookOutcome =
  /** Answer exactly this (a provider's validation handshake). */
  | { kind: 'handshake'; status: number; headers: Record<string, string>; body: string }
  /** Enqueue `events`, answer 202. `notes` are safe to log: no secrets, header values or payload content beyond ids and types. */
  | { kind: 'accepted'; events: IdentityEvent[]; ignored: number; rejected: number; notes: string[] }
  /** Answer 401, enqueue nothing. */
  | { kind: 'unauthorized'; reason: string }
  /** Answer 400, enqueue nothing. */
  | { kind: 'invalid'; reason: string };

export type GraphWebhookConfig = NonNullable<WebhookConfig['graph']>;
export type OktaWebhookConfig = NonNullable<WebhookConfig['okta']>;
export type StandardWebhookConfig = NonNullable<WebhookConfig['standard']>;
export type EventGridWebhookConfig = NonNullable<WebhookConfig['eventGrid']>;
