import type { InvocationContext } from '@azure/functions';

/** What a queue trigger says about the delivery it runs: the attempt (1 on first delivery) and the message id. */
export function queueDelivery(context: InvocationContext): { attempt: number; messageId: string | undefined } {
  const { dequeueCount, id } = context.triggerMetadata ?? {};
  return { attempt: Number(dequeueCount ?? 1), messageId: typeof id === 'string' ? id : undefined };
}
