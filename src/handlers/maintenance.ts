import type { InvocationContext, Timer } from '@azure/functions';

import type { Services } from './services';
import { describeError } from '../domain/errors';

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

/**
 * Finishes or undoes the multi-step changes left unfinished longer than RECONCILE_AFTER_SECONDS
 * (a host crash mid-request): deletes ACS identities that a create left without a mapping, and finishes deletes
 * whose mapping is stuck in `deleting`. Each intent is handled on its own; one failure does not stop the rest.
 */
export const reconcileIdentities =
  (services: Services) =>
  async (_timer: Timer, context: InvocationContext): Promise<void> => {
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
        context.warn(
          `Reconciling ${intent.kind} intent ${intent.id} failed (${describeError(error)}); the next run retries.`,
        );
      }
    }
    context.info(
      `Reconciled ${intents.length} unfinished change(s) older than ${cutoff.toISOString()}: ${JSON.stringify(outcomes)}, ${failed} failed`,
    );
  };
