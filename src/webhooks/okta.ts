import { z } from 'zod';

import { Batch, invalid, loggable, parseJson, secretsMatch, toIsoTime, unauthorized } from './shared';
import type { IdentityEvent, OktaWebhookConfig, WebhookOutcome, WebhookRequest } from './types';

/** Okta event types (data/event-types.json) after which a user's tokens must not keep working. */
const ACTIONS: ReadonlyMap<string, IdentityEvent['action']> = new Map([
  ['user.account.update_password', 'revoke'],
  ['user.account.reset_password', 'revoke'],
  ['user.lifecycle.deactivate', 'disable'],
  ['user.lifecycle.suspend', 'disable'],
  ['user.lifecycle.activate', 'enable'],
  ['user.lifecycle.reactivate', 'enable'],
  ['user.lifecycle.unsuspend', 'enable'],
  ['user.account.lock', 'revoke'],
  ['user.session.clear', 'revoke'],
  ['user.session.end', 'revoke'],
  ['user.authentication.universal_logout', 'revoke'],
  ['user.account.privilege.revoke', 'revoke'],
  ['user.lifecycle.delete.initiated', 'delete'],
]);

// docs/concepts/event-hooks: the delivery wraps System Log LogEvent objects in data.events.
const deliverySchema = z.object({ data: z.object({ events: z.array(z.unknown()) }) });
const logEventSchema = z.object({
  uuid: z.string().min(1),
  published: z.string(),
  eventType: z.string(),
  outcome: z.object({ result: z.string().nullish() }).nullish(),
  target: z.array(z.object({ id: z.string().nullish(), type: z.string().nullish() })).nullish(),
});

/**
 * Okta event hooks: the one-time GET verification, then POSTed batches of System Log events.
 * Every request, the verification included, must carry the configured secret as its `Authorization` header.
 * @param request - the incoming request
 * @param config - the shared secret and the issuer of the Okta users' tokens
 */
export function handleOktaWebhook(request: WebhookRequest, config: OktaWebhookConfig): WebhookOutcome {
  const method = request.method.toUpperCase();
  if (method !== 'GET' && method !== 'POST') return invalid('Okta event hooks use GET (verification) and POST');
  if (!secretsMatch(request.headers.get('authorization'), config.secret)) {
    return unauthorized('Authorization header missing or wrong');
  }

  if (method === 'GET') {
    const challenge = request.headers.get('x-okta-verification-challenge');
    if (challenge === null) return invalid('GET without x-okta-verification-challenge');
    return {
      kind: 'handshake',
      status: 200,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ verification: challenge }),
    };
  }

  const json = parseJson(request.rawBody);
  const delivery = json.ok ? deliverySchema.safeParse(json.value) : undefined;
  if (!delivery?.success) return invalid('body is not an Okta event hook delivery');

  const batch = new Batch();
  delivery.data.data.events.forEach((entry, index) => {
    const parsed = logEventSchema.safeParse(entry);
    if (!parsed.success) {
      batch.reject(`event #${index} rejected: not a System Log event`);
      return;
    }
    const event = parsed.data;
    const label = `event #${index} (${loggable(event.eventType)}, ${loggable(event.uuid)})`;
    const action = ACTIONS.get(event.eventType);
    if (action === undefined) {
      batch.ignore();
      return;
    }
    const result = event.outcome?.result;
    if (result != null && result !== 'SUCCESS') {
      batch.ignore(`${label} ignored: outcome ${loggable(result)}`);
      return;
    }
    // The subject is the target of type User. The actor is not a fallback: it is often the admin.
    const userId = event.target?.find((target) => target.type === 'User')?.id;
    const occurredAt = toIsoTime(event.published);
    if (!userId || occurredAt === undefined) {
      batch.reject(`${label} rejected: no User target or no valid published time`);
      return;
    }
    batch.accept({
      source: 'okta',
      eventId: event.uuid,
      issuer: config.issuer,
      userId,
      action,
      occurredAt,
      type: event.eventType,
    });
  });
  return batch.toOutcome();
}
