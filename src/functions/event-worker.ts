import { app, type InvocationContext } from '@azure/functions';
import { z } from 'zod';

import { getServices } from '../app/services';
import { describeError } from '../http/problem';
import { recordEventLag, recordPoisonIfLastAttempt } from '../telemetry';

const eventSchema = z.object({
  source: z.enum(['graph', 'okta', 'standard', 'eventgrid']),
  eventId: z.string().min(1),
  issuer: z.string().min(1),
  userId: z.string().min(1),
  action: z.enum(['revoke', 'delete']),
  occurredAt: z.iso.datetime({ offset: true }),
  type: z.string(),
});

/**
 * Applies one identity-provider event (revoke or delete) from the queue. A failure is thrown back to the host,
 * which makes the message visible again after host.json's visibilityTimeout and, after maxDequeueCount attempts,
 * moves it to the poison queue. Logs carry the event id, never the payload.
 */
app.storageQueue('processIdentityEvent', {
  queueName: '%EVENTS_QUEUE_NAME%',
  connection: 'IdentityStorage',
  handler: async (message: unknown, context: InvocationContext) => {
    const attempt = Number(context.triggerMetadata?.['dequeueCount'] ?? 1);
    const parsed = eventSchema.safeParse(message);
    if (!parsed.success) {
      context.error(`Malformed identity event (message ${String(context.triggerMetadata?.['id'] ?? '?')}, attempt ${attempt}); it will end in the poison queue.`);
      recordPoisonIfLastAttempt(attempt);
      throw new Error('Malformed identity event');
    }
    const event = parsed.data;
    const services = getServices();
    if (attempt === 1) recordEventLag(event.source, event.occurredAt);
    try {
      await services.ready();
      const outcome = await services.events.process(event, context);
      context.info(`Event ${event.source}/${event.eventId} (${event.action}): ${outcome}`);
    } catch (error) {
      // The host retries after host.json's visibilityTimeout; after maxDequeueCount attempts it moves the message to the poison queue.
      context.error(`Event ${event.source}/${event.eventId} failed on attempt ${attempt}: ${describeError(error)}`);
      recordPoisonIfLastAttempt(attempt, event.source);
      throw error;
    }
  },
});
