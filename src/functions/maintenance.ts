import { app, type InvocationContext, type Timer } from '@azure/functions';

import { getServices } from '../app/services';

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
