import type { TableClient } from '@azure/data-tables';

import type { Claim, ProcessedEventStore } from '../domain/ports';
import { isStorageStatus, storageCall } from './errors';
import { eventRowKey } from './keys';

/** How long a claim on an event protects it from a concurrent duplicate before another delivery may take over. */
export const claimLeaseInMs = 2 * 60_000;

type ClaimEntity = {
  partitionKey: string;
  rowKey: string;
  eventId: string;
  state: 'processing' | 'done';
  claimedAt: Date;
  outcome?: string;
};

export type { Claim } from '../domain/ports';

/**
 * Idempotency for queued events, keyed by `(source, eventId)`: a create-only insert claims the event; a second
 * delivery finds it `done` (skip) or still `processing` (retry later, unless the first claim's lease ran out).
 */
export class ProcessedEventRepository implements ProcessedEventStore {
  constructor(
    private readonly table: TableClient,
    private readonly timeoutInMs: number,
  ) {}

  async claim(source: string, eventId: string, now = new Date()): Promise<Claim> {
    const partitionKey = source;
    const rowKey = eventRowKey(eventId);
    return storageCall(this.timeoutInMs, async (abortSignal) => {
      try {
        const created = await this.table.createEntity<ClaimEntity>(
          { partitionKey, rowKey, eventId, state: 'processing', claimedAt: now },
          { abortSignal },
        );
        return { status: 'claimed', etag: created.etag ?? '*' };
      } catch (error) {
        if (!isStorageStatus(error, 409)) throw error;
      }
      const existing = await this.table.getEntity<ClaimEntity>(partitionKey, rowKey, { abortSignal });
      if (existing.state === 'done') return { status: 'done' };
      if (now.getTime() - new Date(existing.claimedAt).getTime() < claimLeaseInMs) return { status: 'busy' };
      try {
        const taken = await this.table.updateEntity({ partitionKey, rowKey, claimedAt: now }, 'Merge', {
          etag: existing.etag,
          abortSignal,
        });
        return { status: 'claimed', etag: taken.etag ?? '*' };
      } catch (error) {
        if (isStorageStatus(error, 412)) return { status: 'busy' };
        throw error;
      }
    });
  }

  async complete(source: string, eventId: string, outcome: string): Promise<void> {
    await storageCall(this.timeoutInMs, (abortSignal) =>
      this.table.updateEntity({ partitionKey: source, rowKey: eventRowKey(eventId), state: 'done', outcome }, 'Merge', {
        abortSignal,
      }),
    );
  }

  /** Gives the claim up after a failure so that the retry can claim it at once. */
  async release(source: string, eventId: string): Promise<void> {
    await storageCall(this.timeoutInMs, async (abortSignal) => {
      try {
        await this.table.deleteEntity(source, eventRowKey(eventId), { abortSignal });
      } catch (error) {
        if (!isStorageStatus(error, 404)) throw error;
      }
    });
  }

  /**
   * Deletes the records of events processed before `cutoff`, partition by partition, in transactions of at most
   * 100 (the entity-group limit). Providers redeliver for hours, not days, so old records only cost storage.
   * @returns how many records were deleted
   */
  async purgeOlderThan(cutoff: Date): Promise<number> {
    let deleted = 0;
    const filter = `Timestamp lt datetime'${cutoff.toISOString()}' and state eq 'done'`;
    const byPartition = new Map<string, string[]>();
    await storageCall(this.timeoutInMs * 6, async (abortSignal) => {
      for await (const entity of this.table.listEntities({
        queryOptions: { filter, select: ['PartitionKey', 'RowKey'] },
        abortSignal,
      })) {
        const rows = byPartition.get(entity.partitionKey!) ?? [];
        rows.push(entity.rowKey!);
        byPartition.set(entity.partitionKey!, rows);
      }
    });
    for (const [partitionKey, rowKeys] of byPartition) {
      for (let start = 0; start < rowKeys.length; start += 100) {
        const chunk = rowKeys.slice(start, start + 100);
        await storageCall(this.timeoutInMs, (abortSignal) =>
          this.table.submitTransaction(
            chunk.map((rowKey) => ['delete', { partitionKey, rowKey }]),
            { abortSignal },
          ),
        );
        deleted += chunk.length;
      }
    }
    return deleted;
  }
}
