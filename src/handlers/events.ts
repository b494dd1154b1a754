import type { InvocationContext } from '@azure/functions';

import type { Services } from '../app/services';
import { identityEventSchema } from '../domain/events';
import { describeError } from '../domain/errors';

/**
 * Applies one identity-provider event (revoke or delete) from the queue. A failure is thrown back to the host,
 * which makes the message visible again after host.json's visibilityTimeout and, after maxDequeueCount attempts,
 * moves it to the poison queue. Logs carry the event id, never the payload.
 */
export const processIdentityEvent = (services: Services) => async (message: unknown, context: InvocationContext): Promise<void> => {
    const attempt = Number(context.triggerMetadata?.['dequeueCount'] ?? 1);
    const parsed = identityEventSchema.safeParse(message);
    if (!parsed.success) {
      context.error(`Malformed identity event (message ${String(context.triggerMetadata?.['id'] ?? '?')}, attempt ${attempt}); it will end in the poison queue.`);
      throw new Error('Malformed identity event');
    }
    const event = parsed.data;
    try {
      await services.ready();
      const outcome = await services.events.process(event, context);
      context.info(`Event ${event.source}/${event.eventId} (${event.action}): ${outcome}`);
    } catch (error) {
      // The host retries after host.json's visibilityTimeout; after maxDequeueCount attempts it moves the message to the poison queue.
      context.error(`Event ${event.source}/${event.eventId} failed on attempt ${attempt}: ${describeError(error)}`);
      throw error;
    }
};
