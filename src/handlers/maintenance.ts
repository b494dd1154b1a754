import type { InvocationContext, Timer } from '@azure/functions';

import type { Services } from './services';

/** Processed-event records are kept this long for deduplication; providers redeliver for hours (Graph: 4 h). */
export const processedEventRetentionInDays = 7;

/** Forget processed webhook events older than the retention. */
export const purgeProcessedEvents =
  (services: Services) =>
  async (_timer: Timer, context: InvocationContext): Promise<void> => {
    await services.ready();
    const cutoff = new Date(Date.now() - processedEventRetentionInDays * 86_400_000);
    const deleted = await services.processedEvents.purgeOlderThan(cutoff);
    context.info(`Purged ${deleted} processed-event record(s) older than ${cutoff.toISOString()}`);
  };

/** Finishes or undoes the multi-step changes a crash left unfinished (see `Reconciler`). */
export const reconcileIdentities =
  (services: Services) =>
  async (_timer: Timer, context: InvocationContext): Promise<void> => {
    await services.ready();
    const { cutoff, found, outcomes, failed } = await services.reconciler.run(context);
    context.info(
      `Reconciled ${found} unfinished change(s) older than ${cutoff.toISOString()}: ${JSON.stringify(outcomes)}, ${failed} failed`,
    );
  };
