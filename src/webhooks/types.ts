import type { WebhookConfig } from '../config/config';
import type { IdentityEvent } from '../domain/events';

export type { IdentityEvent, WebhookSource } from '../domain/events';

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
