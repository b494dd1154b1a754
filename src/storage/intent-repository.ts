import type { TableClient } from '@azure/data-tables';

import type { AppUser, Intent } from '../domain/model';
import type { IntentStore } from '../domain/ports';
import { isStorageStatus, storageCall } from './errors';
import { intentPartitionKey, intentRowKey, intentRowKeyLowerBound } from './keys';

type IntentEntity = {
  partitionKey: string;
  rowKey: string;
  kind: Intent['kind'];
  issuer: string;
  userId: string;
  createdAt: Date;
  communicationUserId?: string;
  resource?: string;
};

/**
 * Intents live in partition `intents` of the mapping table, one row per multi-step change in progress, keyed by
 * time so that the reconciler lists the old ones with one range query.
 */
export class IntentRepository implements IntentStore {
  constructor(
    private readonly table: TableClient,
    private readonly timeoutInMs: number,
  ) {}

  /** Writes an intent before the first external step of a multi-step change. */
  async putIntent(
    kind: Intent['kind'],
    user: AppUser,
    communicationUserId?: string,
    now = new Date(),
    resource?: string,
  ): Promise<Intent> {
    const entity: IntentEntity = {
      ...(resource ? { resource } : {}),
      partitionKey: intentPartitionKey,
      rowKey: intentRowKey(now),
      kind,
      issuer: user.issuer,
      userId: user.userId,
      createdAt: now,
      ...(communicationUserId ? { communicationUserId } : {}),
    };
    return storageCall(this.timeoutInMs, async (abortSignal) => {
      const result = await this.table.createEntity(entity, { abortSignal });
      return toIntent({ ...entity, etag: result.etag ?? '*' });
    });
  }

  /** Remembers which ACS identity an intent produced (so that the reconciler can delete it if nothing else does). */
  async recordIntentIdentity(intent: Intent, communicationUserId: string): Promise<void> {
    await storageCall(this.timeoutInMs, (abortSignal) =>
      this.table.updateEntity({ partitionKey: intentPartitionKey, rowKey: intent.id, communicationUserId }, 'Merge', {
        etag: '*',
        abortSignal,
      }),
    );
  }

  /** The change is finished (or undone): forget its intent. Already gone is fine. */
  async deleteIntent(intent: Pick<Intent, 'id'>): Promise<void> {
    await storageCall(this.timeoutInMs, async (abortSignal) => {
      try {
        await this.table.deleteEntity(intentPartitionKey, intent.id, { abortSignal });
      } catch (error) {
        if (!isStorageStatus(error, 404)) throw error;
      }
    });
  }

  /** Intents created before `cutoff`, oldest first, at most `limit`. */
  async listIntentsBefore(cutoff: Date, limit = 500): Promise<Intent[]> {
    const filter = `PartitionKey eq '${intentPartitionKey}' and RowKey lt '${intentRowKeyLowerBound(cutoff)}'`;
    return storageCall(this.timeoutInMs * 3, async (abortSignal) => {
      const intents: Intent[] = [];
      for await (const entity of this.table.listEntities<IntentEntity>({ queryOptions: { filter }, abortSignal })) {
        intents.push(toIntent(entity));
        if (intents.length >= limit) break;
      }
      return intents;
    });
  }
}

function toIntent(entity: IntentEntity & { etag: string }): Intent {
  return {
    id: entity.rowKey,
    kind: entity.kind,
    user: { issuer: entity.issuer, userId: entity.userId },
    createdAt: new Date(entity.createdAt),
    ...(entity.communicationUserId ? { communicationUserId: entity.communicationUserId } : {}),
    ...(entity.resource ? { resource: entity.resource } : {}),
    etag: entity.etag,
  };
}
