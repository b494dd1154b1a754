import { createHash } from 'node:crypto';

import type { TableClient } from '@azure/data-tables';

import type { QuotaDecision, QuotaStore } from '../domain/ports';
import { isStorageStatus, storageCall } from './errors';

type QuotaEntity = { partitionKey: string; rowKey: string; windowStart: number; count: number };

const rowKey = 'quota';
const partitionKeyOf = (key: string) => `q-${createHash('sha256').update(key).digest('base64url')}`;

/**
 * Fixed-window counters in Table Storage, shared by every instance: one row per key, changed only on the ETag
 * read, so concurrent instances never lose a count. Each instance remembers the row as it last wrote it: in the
 * steady state one unit costs one Table operation (the conditional update), a refusal in a window already known to
 * be full costs none, and a count changed by another instance costs a read and a retry.
 */
export class TableQuotaStore implements QuotaStore {
  private readonly known = new Map<string, { windowStart: number; count: number; etag: string }>();

  constructor(
    private readonly table: TableClient,
    private readonly timeoutInMs: number,
    private readonly maxKnown = 10_000,
  ) {}

  async consume(key: string, limit: number, windowInMs: number, now = Date.now()): Promise<QuotaDecision> {
    const windowStart = Math.floor(now / windowInMs) * windowInMs;
    const resetInSeconds = Math.max(1, Math.ceil((windowStart + windowInMs - now) / 1000));
    const partitionKey = partitionKeyOf(key);
    let state = this.known.get(partitionKey);
    for (let attempt = 0; attempt < 20; attempt += 1) {
      if (state && state.windowStart === windowStart && state.count >= limit)
        return { allowed: false, remaining: 0, resetInSeconds };
      const count = state && state.windowStart === windowStart ? state.count + 1 : 1;
      const entity: QuotaEntity = { partitionKey, rowKey, windowStart, count };
      const written = await storageCall(this.timeoutInMs, async (abortSignal) => {
        try {
          const result = state
            ? await this.table.updateEntity(entity, 'Replace', { etag: state.etag, abortSignal })
            : await this.table.createEntity(entity, { abortSignal });
          return result.etag ?? '*';
        } catch (error) {
          if (isStorageStatus(error, 409, 412, 404)) return undefined;
          throw error;
        }
      });
      if (written !== undefined) {
        this.remember(partitionKey, { windowStart, count, etag: written });
        return { allowed: true, remaining: limit - count, resetInSeconds };
      }
      // Another request counted meanwhile: back off a little (jittered, so a burst on one key spreads), read, retry.
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * Math.min(attempt, 5)));
      state = await this.read(partitionKey);
    }
    // Heavy contention on one key: refuse rather than count past the limit.
    return { allowed: false, remaining: 0, resetInSeconds };
  }

  /** Takes one unit off the count of `takenAt`'s window, on the ETag read; a later window is left alone. */
  async refund(key: string, windowInMs: number, takenAt: number): Promise<void> {
    const windowStart = Math.floor(takenAt / windowInMs) * windowInMs;
    const partitionKey = partitionKeyOf(key);
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const state = await this.read(partitionKey);
      if (!state || state.windowStart !== windowStart || state.count <= 0) return;
      const entity: QuotaEntity = { partitionKey, rowKey, windowStart, count: state.count - 1 };
      const written = await storageCall(this.timeoutInMs, async (abortSignal) => {
        try {
          return (await this.table.updateEntity(entity, 'Replace', { etag: state.etag, abortSignal })).etag ?? '*';
        } catch (error) {
          if (isStorageStatus(error, 404, 412)) return undefined;
          throw error;
        }
      });
      if (written !== undefined) {
        this.remember(partitionKey, { windowStart, count: entity.count, etag: written });
        return;
      }
    }
  }

  private async read(partitionKey: string) {
    return storageCall(this.timeoutInMs, async (abortSignal) => {
      try {
        const entity = await this.table.getEntity<QuotaEntity>(partitionKey, rowKey, { abortSignal });
        return { windowStart: Number(entity.windowStart), count: Number(entity.count), etag: entity.etag };
      } catch (error) {
        if (isStorageStatus(error, 404)) return undefined;
        throw error;
      }
    });
  }

  private remember(partitionKey: string, state: { windowStart: number; count: number; etag: string }): void {
    this.known.delete(partitionKey);
    this.known.set(partitionKey, state);
    while (this.known.size > this.maxKnown) this.known.delete(this.known.keys().next().value as string);
  }
}
