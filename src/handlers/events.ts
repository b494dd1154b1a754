import type { InvocationContext } from '@azure/functions';

import type { Services } from './services';
import { identityEventSchema } from '../domain/events';
import { describeError } from '../domain/errors';
import { queueDelivery } from './queue-delivery';
import { recordEventLag, recordPoisonIfLastAttempt } from '../telemetry';

/**
 * Applies one identity-provider event (revoke or delete) from the queue. A failure is thrown back to the host,
 * which makes the message visible again after host.json's visibilityTimeout and, after maxDequeueCount attempts,
 * moves it to the poison queue. Logs carry the event id, never the payload.
 */
/** Marks the follow-up revocation queued after a disable (see below). */
export const followUpSuffix = '#after-cache';

export const processIdentityEvent =
  (services: Services) =>
  async (message: unknown, context: InvocationContext): Promise<void> => {
    const { attempt, messageId } = queueDelivery(context);
    const parsed = identityEventSchema.safeParse(message);
    if (!parsed.success) {
      context.error(
        `Malformed identity event (message ${messageId ?? '?'}, attempt ${attempt}); it will end in the poison queue.`,
      );
      recordPoisonIfLastAttempt(attempt);
      throw new Error('Malformed identity event');
    }
    const event = parsed.data;
    if (attempt === 1) recordEventLag(event.source, event.occurredAt);
    try {
      await services.ready();
      const outcome = await services.events.process(event, context);
      context.info(`Event ${event.source}/${event.eventId} (${event.action}): ${outcome}`);
      const followUpInMs = services.config.mappingCache.maxAgeInMs;
      if (outcome === 'disabled' && followUpInMs > 0 && !event.eventId.endsWith(followUpSuffix)) {
        // Other instances may hold the user's record in their cache for up to its max age and mint a token meanwhile:
        // one more revocation after that age kills such a token too.
        await services.eventQueue.enqueue(
          [{ ...event, eventId: `${event.eventId}${followUpSuffix}`, action: 'revoke' }],
          { delayInSeconds: followUpInMs / 1000 + 5 },
        );
      }
    } catch (error) {
      // The host retries after host.json's visibilityTimeout; after maxDequeueCount attempts it moves the message to the poison queue.
      context.error(`Event ${event.source}/${event.eventId} failed on attempt ${attempt}: ${describeError(error)}`);
      recordPoisonIfLastAttempt(attempt, event.source);
      throw error;
    }
  };
