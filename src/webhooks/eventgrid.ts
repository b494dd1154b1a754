import { z } from 'zod';

import {
  Batch,
  invalid,
  issuerFromTemplate,
  loggable,
  parseJson,
  secretsMatch,
  toIsoTime,
  unauthorized,
} from './shared';
import type { EventGridWebhookConfig, IdentityEvent, WebhookOutcome, WebhookRequest } from './types';

const ACTIONS: ReadonlyMap<string, IdentityEvent['action']> = new Map([
  ['Microsoft.Graph.UserUpdated', 'revoke'],
  ['Microsoft.Graph.UserDeleted', 'delete'],
]);

const VALIDATION_EVENT_TYPE = 'Microsoft.EventGrid.SubscriptionValidationEvent';

// CloudEvents 1.0 names (`type`, `time`); the Event Grid schema names (`eventType`, `eventTime`) are read too.
const eventSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1).optional(),
  eventType: z.string().min(1).optional(),
  subject: z.string().optional(),
  time: z.string().optional(),
  eventTime: z.string().optional(),
  data: z.unknown(),
});

// articles/event-grid/microsoft-entra-events.md: `data` is the Graph change notification.
const graphDataSchema = z.object({
  tenantId: z.string().optional(),
  resourceData: z.object({ id: z.string().optional(), organizationId: z.string().optional() }).optional(),
});

const validationSchema = z.array(
  z.object({ eventType: z.string(), data: z.object({ validationCode: z.string().min(1) }).optional() }),
);

const ORIGIN = /^[A-Za-z0-9.\-:]{1,253}$/;
const RATE = /^[1-9]\d{0,8}$/;

/**
 * Microsoft Graph user events delivered by Azure Event Grid to a webhook: the CloudEvents OPTIONS
 * handshake, the Event Grid `SubscriptionValidation` handshake, then CloudEvents (single or batch).
 *
 * Event Grid cannot sign deliveries; it can only add static delivery properties. So every request,
 * handshakes included, must carry the shared secret as header `x-webhook-secret` (preferred: a secret
 * delivery property is hidden in the portal) or, when the header is absent, as query `?secret=`.
 * @param request - the incoming request
 * @param config - the shared secret and the issuer template for Entra ID users
 */
export function handleEventGridWebhook(request: WebhookRequest, config: EventGridWebhookConfig): WebhookOutcome {
  const presented = request.headers.get('x-webhook-secret') ?? request.query.get('secret');
  if (!secretsMatch(presented, config.secret))
    return unauthorized('x-webhook-secret header (or secret query parameter) missing or wrong');

  const method = request.method.toUpperCase();
  if (method === 'OPTIONS') return abuseProtectionHandshake(request);
  if (method !== 'POST') return invalid('Event Grid deliveries are POSTed');

  const json = parseJson(request.rawBody);
  if (!json.ok) return invalid('body is not JSON');

  if (request.headers.get('aeg-event-type')?.toLowerCase() === 'subscriptionvalidation') {
    return subscriptionValidationHandshake(json.value);
  }

  // application/cloudevents-batch+json is an array, application/cloudevents+json a single event.
  const entries = Array.isArray(json.value) ? json.value : [json.value];
  if (!entries.every((entry) => typeof entry === 'object' && entry !== null))
    return invalid('body is not a CloudEvent or a batch of them');

  const batch = new Batch();
  entries.forEach((entry, index) => classify(entry, index, request.receivedAt, config, batch));
  return batch.toOutcome();
}

/** CloudEvents HTTP webhook spec §4: grant the requesting origin, at its requested rate or any rate. */
function abuseProtectionHandshake(request: WebhookRequest): WebhookOutcome {
  const origin = request.headers.get('webhook-request-origin');
  if (origin === null || !ORIGIN.test(origin)) return invalid('OPTIONS without a valid WebHook-Request-Origin');
  const rate = request.headers.get('webhook-request-rate');
  return {
    kind: 'handshake',
    status: 200,
    headers: {
      'WebHook-Allowed-Origin': origin,
      'WebHook-Allowed-Rate': rate !== null && RATE.test(rate) ? rate : '*',
      Allow: 'POST',
    },
    body: '',
  };
}

function subscriptionValidationHandshake(body: unknown): WebhookOutcome {
  const parsed = validationSchema.safeParse(body);
  const code = parsed.success
    ? parsed.data.find((event) => event.eventType === VALIDATION_EVENT_TYPE)?.data?.validationCode
    : undefined;
  if (code === undefined) return invalid('SubscriptionValidation without a validation code');
  return {
    kind: 'handshake',
    status: 200,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ validationResponse: code }),
  };
}

function classify(entry: unknown, index: number, receivedAt: Date, config: EventGridWebhookConfig, batch: Batch): void {
  const parsed = eventSchema.safeParse(entry);
  const type = parsed.success ? (parsed.data.type ?? parsed.data.eventType) : undefined;
  if (!parsed.success || type === undefined) {
    batch.reject(`event #${index} rejected: no id or type`);
    return;
  }
  const event = parsed.data;
  const action = ACTIONS.get(type);
  if (action === undefined) {
    batch.ignore();
    return;
  }

  const data = graphDataSchema.safeParse(event.data);
  const resourceData = data.success ? data.data.resourceData : undefined;
  const userId = resourceData?.id ?? /^Users\/([^/]+)$/i.exec(event.subject ?? '')?.[1];
  const issuer = issuerFromTemplate(
    config.graphIssuerTemplate,
    (data.success ? data.data.tenantId : undefined) ?? resourceData?.organizationId,
  );
  if (!userId || issuer === undefined) {
    batch.reject(`event #${index} (${type}, ${loggable(event.id)}) rejected: no user id or no GUID tenant id`);
    return;
  }

  batch.accept({
    source: 'eventgrid',
    eventId: event.id,
    issuer,
    userId,
    action,
    occurredAt: toIsoTime(event.time ?? event.eventTime) ?? receivedAt.toISOString(),
    type,
  });
}
