import { app, type InvocationContext, type Timer } from '@azure/functions';

import { getServices } from '../app/services';
import { describeError } from '../http/problem';

/** Processed-event records are kept this long for deduplication; providers redeliver for hours (Graph: 4 h). */
export const processedEventRetentionInDays = 7;

/** Daily at 03:17 UTC: forget processed webhook events older than the retention. */
app.timer('purgeProcessedEvents', {
  schedule: '0 17 3 * * *',
  handler: async (_timer: Timer, context: InvocationContext) => {
    const services = getServices();
    await services.ready();
    const cutoff = new Date(Date.now() - processedEventRetentionInDays * 86_400_000);
    const deleted = await services.processedEvents.purgeOlderThan(cutoff);
    context.info(`Purged ${deleted} processed-event record(s) older than ${cutoff.toISOString()}`);
  },
});

/**
 * Every 5 minutes: finishes or undoes the multi-step changes left unfinished longer than RECONCILE_AFTER_SECONDS
 * (a host crash mid-request): deletes ACS identities that a create left without a mapping, and finishes deletes
 * whose mapping is stuck in `deleting`. Each intent is handled on its own; one failure does not stop the rest.
 */
app.timer('reconcileIdentities', {
  schedule: '0 */5 * * * *',
  handler: async (_timer: Timer, context: InvocationContext) => {
    const services = getServices();
    await services.ready();
    const cutoff = new Date(Date.now() - services.config.reconcileAfterInMs);
    const intents = await services.mappings.listIntentsBefore(cutoff);
    const outcomes: Record<string, number> = {};
    let failed = 0;
    for (const intent of intents) {
      try {
        const outcome = await services.identities.reconcile(intent, context);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      } catch (error) {
        failed += 1;
        context.warn(`Reconciling ${intent.kind} intent ${intent.id} failed (${describeError(error)}); the next run retries.`);
      }
    }
    context.info(`Reconciled ${intents.length} unfinished change(s) older than ${cutoff.toISOString()}: ${JSON.stringify(outcomes)}, ${failed} failed`);
  },
});
