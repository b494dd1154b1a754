import { TableClient } from '@azure/data-tables';

import { startAzurite, type RunningAzurite } from '../../dev/azurite';

/**
 * A table in an Azurite of the suite's own (in memory, free ports), started before the suite's tests and stopped
 * after them: `table` is there once `beforeAll` has run.
 */
export function azuriteTable(name = 'IdentityMappings'): { readonly table: TableClient } {
  let azurite: RunningAzurite | undefined;
  let table: TableClient | undefined;
  beforeAll(async () => {
    azurite = await startAzurite({ blobPort: 0, queuePort: 0, tablePort: 0 });
    table = TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });
    await table.createTable();
  });
  afterAll(async () => {
    await azurite?.stop();
  });
  return {
    get table() {
      if (!table) throw new Error('The Azurite table is there once beforeAll has run.');
      return table;
    },
  };
}
