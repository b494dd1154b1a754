import { z } from 'zod';

import { Batch, hashId, invalid, issuerFromTemplate, loggable, parseJson, secretsMatch, toIsoTime } from './shared';
import type { GraphWebhookConfig, IdentityEvent, WebhookOutcome, WebhookRequest } from './types';

// https://learn.microsoft.com/graph/api/resources/changenotificationcollection
const collectionSchema = z.object({ value: z.array(z.unknown()) });

// https://learn.microsoft.com/graph/api/resources/changenotification
const notificationSchema = z.object({
  id: z.string().optional(),
  subscriptionId: z.string().optional(),
  clientState: z.string().optional(),
  changeType: z.string().optional(),
  lifecycleEvent: z.string().optional(),
  resource: z.string().optional(),
  tenantId: z.string().optional(),
  resourceData: z
    .object({
      '@odata.type': z.string().optional(),
      id: z.string().optional(),
      // Entra ID sends these on users; Graph documents neither for webhooks, so both are optional.
      eventTime: z.string().optional(),
      sequenceNumber: z.union([z.number(), z.string()]).optional(),
    })
    .optional(),
});
type Notification = z.infer<typeof notificationSchema>;

/**
 * Microsoft Graph change notifications on `users`: the `validationToken` handshake, then batches whose
 * entries are each authenticated by `clientState`. Entries with a wrong or missing `clientState` are counted
 * as rejected and the delivery is still accepted, as Graph recommends (a 4xx would tell a forger which guess failed).
 * @param request - the incoming request
 * @param config - the subscription's `clientState`, what to do on `updated`, and the issuer template
 */
export function handleGraphWebhook(request: WebhookRequest, config: GraphWebhookConfig): WebhookOutcome {
  if (request.method.toUpperCase() !== 'POST') return invalid('Graph notifications are POSTed');

  const validationToken = request.query.get('validationToken');
  if (validationToken !== null) {
    return {
      kind: 'handshake',
      status: 200,
      headers: { 'Content-Type': 'text/plain', 'X-Content-Type-Options': 'nosniff' },
      body: validationToken,
    };
  }

  const json = parseJson(request.rawBody);
  const collection = json.ok ? collectionSchema.safeParse(json.value) : undefined;
  if (!collection?.success) return invalid('body is not a Graph change notification collection');

  const batch = new Batch();
  collection.data.value.forEach((entry, index) => {
    const parsed = notificationSchema.safeParse(entry);
    // Authenticate before reading anything else: an entry without the right clientState is not Graph's.
    if (!parsed.success || !secretsMatch(parsed.data.clientState, config.clientState)) {
      batch.reject(`notification #${index} rejected: clientState missing or wrong`);
      return;
    }
    classify(parsed.data, index, request.receivedAt, config, batch);
  });
  return batch.toOutcome();
}

function classify(
  notification: Notification,
  index: number,
  receivedAt: Date,
  config: GraphWebhookConfig,
  batch: Batch,
): void {
  const { changeType, lifecycleEvent, resourceData, tenantId } = notification;
  const label = `notification #${index}`;

  if (lifecycleEvent !== undefined) {
    batch.ignore(
      `${label} is lifecycle event ${loggable(lifecycleEvent)} for subscription ${loggable(notification.subscriptionId)}; the subscription needs attention`,
      'warning',
    );
    return;
  }

  let action: IdentityEvent['action'];
  if (changeType === 'deleted') action = 'delete';
  else if (changeType === 'updated' && config.updatedAction === 'revoke') action = 'revoke';
  else {
    batch.ignore(); // created, updated under 'ignore', or a change type Graph may add later
    return;
  }
  if (!isUserResource(notification)) {
    batch.ignore(`${label} is not about a user`);
    return;
  }

  const userId = resourceData?.id;
  const issuer = issuerFromTemplate(config.issuerTemplate, tenantId);
  if (!userId || issuer === undefined) {
    batch.reject(`${label} (${changeType}) rejected: resourceData.id or a GUID tenantId is missing`);
    return;
  }

  batch.accept({
    source: 'graph',
    eventId: graphEventId(notification, receivedAt),
    issuer,
    userId,
    action,
    occurredAt: toIsoTime(resourceData?.eventTime) ?? receivedAt.toISOString(),
    type: changeType,
  });
}

/** True unless the notification says it is about something other than a user (another subscription sharing the URL). */
function isUserResource({ resource, resourceData }: Notification): boolean {
  const odataType = resourceData?.['@odata.type'];
  if (odataType !== undefined) return odataType.toLowerCase() === '#microsoft.graph.user';
  return resource === undefined || /^\/?users\//i.test(resource);
}

/**
 * Graph gives a users notification no guaranteed id or time, so the id is a hash of what it does give
 * plus the most specific discriminator present: the notification `id` (documented as optional),
 * else `resourceData.sequenceNumber` or `resourceData.eventTime` (sent by Entra ID, undocumented for
 * webhooks), else the time we received it.
 *
 * The fallback trades duplicate detection for never losing a change: a redelivery of a notification
 * that has no discriminator gets a new id and is revoked twice, which is harmless because revoke and
 * delete are idempotent. The alternative, hashing only subscription + change + resource (+ the
 * subscription's expiry), would give every later `updated` for the same user the same id until the
 * subscription is renewed, and so silently swallow a later password reset.
 */
function graphEventId(notification: Notification, receivedAt: Date): string {
  const { id, subscriptionId, changeType, resource, tenantId, resourceData } = notification;
  const sequence = resourceData?.sequenceNumber;
  const discriminator =
    (id !== undefined ? `id:${id}` : undefined) ??
    (sequence !== undefined ? `seq:${String(sequence)}` : undefined) ??
    (resourceData?.eventTime !== undefined ? `time:${resourceData.eventTime}` : undefined) ??
    `received:${receivedAt.toISOString()}`;
  return hashId([subscriptionId, tenantId, changeType, resource, resourceData?.id, discriminator]);
}
