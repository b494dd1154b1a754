import { TableClient } from '@azure/data-tables';

import { startAzurite, type RunningAzurite } from '../../../dev/azurite';
import { TableQuotaStore } from '../../../src/storage/quota-store';

/** Fixed-window counters against real Table storage (Azurite): two stores stand for two instances. */
describe('TableQuotaStore', () => {
  let azurite: RunningAzurite;
  let table: TableClient;
  beforeAll(async () => {
    azurite = await startAzurite({ blobPort: 0, queuePort: 0, tablePort: 0 });
    table = TableClient.fromConnectionString(azurite.connectionString, 'IdentityMappings', {
      allowInsecureConnection: true,
    });
    await table.createTable();
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it('lets exactly the limit through when two instances race for one key', async () => {
    const instances = [new TableQuotaStore(table, 5000), new TableQuotaStore(table, 5000)];
    const now = Date.now();
    const decisions = await Promise.all(
      Array.from({ length: 50 }, (_, i) => instances[i % 2].consume('race', 10, 60_000, now)),
    );
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(10);
    expect(
      decisions
        .filter((decision) => !decision.allowed)
        .every((decision) => decision.resetInSeconds >= 1 && decision.resetInSeconds <= 60),
    ).toBe(true);
  });

  it('gives a unit back in its own window, seen by another instance; a refund for a past window changes nothing', async () => {
    const [first, second] = [new TableQuotaStore(table, 5000), new TableQuotaStore(table, 5000)];
    const windowStart = Math.floor(Date.now() / 60_000) * 60_000;
    expect((await first.consume('refund', 1, 60_000, windowStart + 1)).allowed).toBe(true);
    expect((await second.consume('refund', 1, 60_000, windowStart + 2)).allowed).toBe(false);
    await first.refund('refund', 60_000, windowStart + 1);
    expect((await second.consume('refund', 1, 60_000, windowStart + 3)).allowed).toBe(true);
    await first.refund('refund', 60_000, windowStart - 60_000);
    expect((await first.consume('refund', 1, 60_000, windowStart + 4)).allowed).toBe(false);
  });

  it('starts counting again in the next window', async () => {
    const store = new TableQuotaStore(table, 5000);
    const windowStart = Math.floor(Date.now() / 10_000) * 10_000;
    for (let i = 0; i < 3; i += 1)
      expect((await store.consume('window', 3, 10_000, windowStart + 1)).allowed).toBe(true);
    expect((await store.consume('window', 3, 10_000, windowStart + 2)).allowed).toBe(false);
    expect(await store.consume('window', 3, 10_000, windowStart + 10_001)).toMatchObject({
      allowed: true,
      remaining: 2,
    });
  });

  it('costs one table operation per unit in the steady state, and none to refuse in a window known to be full', async () => {
    const store = new TableQuotaStore(table, 5000);
    const now = Date.now();
    await store.consume('cost', 5, 60_000, now);
    const update = jest.spyOn(table, 'updateEntity');
    const get = jest.spyOn(table, 'getEntity');
    const create = jest.spyOn(table, 'createEntity');
    for (let i = 0; i < 4; i += 1) await store.consume('cost', 5, 60_000, now);
    expect([update.mock.calls.length, get.mock.calls.length, create.mock.calls.length]).toEqual([4, 0, 0]);
    expect((await store.consume('cost', 5, 60_000, now)).allowed).toBe(false);
    expect([update.mock.calls.length, get.mock.calls.length]).toEqual([4, 0]);
    jest.restoreAllMocks();
  });
});
