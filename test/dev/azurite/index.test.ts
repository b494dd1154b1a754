import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { TableClient } from '@azure/data-tables';
import { QueueServiceClient } from '@azure/storage-queue';

import { startAzurite, type RunningAzurite } from '../../../dev/azurite';

const freePorts = { blobPort: 0, queuePort: 0, tablePort: 0 };

describe('startAzurite', () => {
  describe('in memory on free ports', () => {
    let azurite: RunningAzurite;

    beforeAll(async () => {
      azurite = await startAzurite(freePorts);
    });

    afterAll(async () => {
      await azurite.stop();
    });

    it('reports the ports it really bound, in path-style account URLs', () => {
      for (const url of [azurite.blobUrl, azurite.queueUrl, azurite.tableUrl]) {
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
        expect(url).not.toMatch(/:0\//);
      }
      expect(new Set([azurite.blobUrl, azurite.queueUrl, azurite.tableUrl]).size).toBe(3);
    });

    it('gives a full connection string with every endpoint and the well-known key', () => {
      expect(azurite.connectionString).toContain('AccountName=devstoreaccount1;');
      expect(azurite.connectionString).toContain(
        'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;',
      );
      expect(azurite.connectionString).toContain(`BlobEndpoint=${azurite.blobUrl};`);
      expect(azurite.connectionString).toContain(`QueueEndpoint=${azurite.queueUrl};`);
      expect(azurite.connectionString).toContain(`TableEndpoint=${azurite.tableUrl};`);
    });

    it('stores a table entity', async () => {
      const table = TableClient.fromConnectionString(azurite.connectionString, 'AzuriteSmoke', {
        allowInsecureConnection: true,
      });
      await table.createTable();
      await table.createEntity({ partitionKey: 'user-1', rowKey: 'identity', acsUserId: '8:acs:abc' });

      const entity = await table.getEntity<{ acsUserId: string }>('user-1', 'identity');

      expect(entity.acsUserId).toBe('8:acs:abc');
    });

    it('queues and receives a message', async () => {
      const queue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient('azurite-smoke');
      await queue.createIfNotExists();
      await queue.sendMessage('hello');

      const { receivedMessageItems } = await queue.receiveMessages();

      expect(receivedMessageItems.map((m) => m.messageText)).toEqual(['hello']);
    });
  });

  it('keeps two in-memory instances apart, and stop() releases the ports', async () => {
    const first = await startAzurite(freePorts);
    const second = await startAzurite(freePorts);
    try {
      const firstQueue = QueueServiceClient.fromConnectionString(first.connectionString).getQueueClient('isolation');
      const secondQueue = QueueServiceClient.fromConnectionString(second.connectionString, {
        retryOptions: { maxTries: 1 },
      }).getQueueClient('isolation');
      await firstQueue.createIfNotExists();
      await secondQueue.createIfNotExists();
      await firstQueue.sendMessage('only in the first');
      await second.stop();

      const { receivedMessageItems } = await firstQueue.receiveMessages();

      expect(receivedMessageItems.map((m) => m.messageText)).toEqual(['only in the first']);
      await expect(secondQueue.getProperties()).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });

  it('persists to a folder across restarts when given a location', async () => {
    const location = mkdtempSync(join(tmpdir(), 'azurite-test-'));
    try {
      const before = await startAzurite({ ...freePorts, location });
      const table = TableClient.fromConnectionString(before.connectionString, 'Persisted', {
        allowInsecureConnection: true,
      });
      await table.createTable();
      await table.createEntity({ partitionKey: 'p', rowKey: 'r', value: 'kept' });
      await before.stop();

      const after = await startAzurite({ ...freePorts, location });
      try {
        const reopened = TableClient.fromConnectionString(after.connectionString, 'Persisted', {
          allowInsecureConnection: true,
        });
        const entity = await reopened.getEntity<{ value: string }>('p', 'r');
        expect(entity.value).toBe('kept');
      } finally {
        await after.stop();
      }
    } finally {
      rmSync(location, { recursive: true, force: true });
    }
  });
});
