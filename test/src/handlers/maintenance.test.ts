import { processedEventRetentionInDays, purgeProcessedEvents } from '../../../src/handlers/maintenance';
import { context, testServices } from '../../support/services';

describe('purgeProcessedEvents timer (in process)', () => {
  it('forgets processed-event records older than the retention and logs how many', async () => {
    const { services } = testServices();
    const purge = jest.spyOn(services.processedEvents, 'purgeOlderThan').mockResolvedValue(3);
    const log = context();
    const before = Date.now();
    await purgeProcessedEvents(services)({} as never, log);
    const cutoff = purge.mock.calls[0]?.[0];
    const retentionInMs = processedEventRetentionInDays * 86_400_000;
    expect(cutoff.getTime()).toBeGreaterThanOrEqual(before - retentionInMs);
    expect(cutoff.getTime()).toBeLessThanOrEqual(Date.now() - retentionInMs);
    expect(log.lines.join('\n')).toContain(`Purged 3 processed-event record(s) older than ${cutoff.toISOString()}`);
  });

  it('fails the run (for the host to log and retry next time) when the store is down', async () => {
    const { services } = testServices();
    jest.spyOn(services.processedEvents, 'purgeOlderThan').mockRejectedValue(new Error('storage down'));
    await expect(purgeProcessedEvents(services)({} as never, context())).rejects.toThrow('storage down');
  });
});
