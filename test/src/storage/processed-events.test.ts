import { TableClient } from '@azure/data-tables';

import { startAzurite, type RunningAzurite } from '../../../dev/azurite';
import { claimLeaseInMs, ProcessedEventRepository } from '../../../src/storage/processed-events';

/** Against real Table storage (Azurite in memory). */
describe('ProcessedEventRepository', () => {
  let azurite: RunningAzurite;
  let table: TableClient;
  let repository: ProcessedEventRepository;
  beforeAll(async () => {
    azurite = await startAzurite({ blobPort: 0, queuePort: 0, tablePort: 0 });
    table = TableClient.fromConnectionString(azurite.connectionString, 'ProcessedEvents', {
      allowInsecureConnection: true,
    });
    await table.createTable();
    repository = new ProcessedEventRepository(table, 5000);
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it('claims an event once: a second delivery is busy while it runs and done afterwards', async () => {
    expect((await repository.claim('okta', 'evt/1#?')).status).toBe('claimed');
    expect((await repository.claim('okta', 'evt/1#?')).status).toBe('busy');
    await repository.complete('okta', 'evt/1#?', 'revoked');
    expect((await repository.claim('okta', 'evt/1#?')).status).toBe('done');
    // The same id from another source is another event.
    expect((await repository.claim('graph', 'evt/1#?')).status).toBe('claimed');
  });

  it('lets a retry claim a released event, and take over a claim whose lease ran out', async () => {
    expect((await repository.claim('standard', 'evt-2')).status).toBe('claimed');
    await repository.release('standard', 'evt-2');
    expect((await repository.claim('standard', 'evt-2')).status).toBe('claimed');
    const later = new Date(Date.now() + claimLeaseInMs + 1000);
    expect((await repository.claim('standard', 'evt-2', later)).status).toBe('claimed');
  });

  it('purges finished records older than the cutoff and keeps the rest', async () => {
    for (let i = 0; i < 120; i += 1) {
      await repository.claim('eventgrid', `bulk-${i}`);
      await repository.complete('eventgrid', `bulk-${i}`, 'no_mapping');
    }
    await repository.claim('eventgrid', 'still-running');
    const deleted = await repository.purgeOlderThan(new Date(Date.now() + 60_000));
    expect(deleted).toBeGreaterThanOrEqual(121); // the 120 above and evt/1#? from the first test
    expect((await repository.claim('eventgrid', 'still-running')).status).toBe('busy');
    expect((await repository.claim('eventgrid', 'bulk-7')).status).toBe('claimed');
    expect(await repository.purgeOlderThan(new Date(Date.now() - 60_000))).toBe(0);
  });
});
