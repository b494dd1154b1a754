import type { QueueClient } from '@azure/storage-queue';

import type { IdentityEvent } from '../domain/events';
import type { IdentityEventQueue } from '../domain/ports';
import { storageCall } from './errors';

/** The queue between the webhooks and the worker. Messages are base64 JSON, as host.json's messageEncoding expects. */
export class EventQueue implements IdentityEventQueue {
  constructor(
    private readonly queue: QueueClient,
    private readonly timeoutInMs: number,
  ) {}

  /** Enqueues every event; throws an UpstreamError('queue') when any cannot be enqueued, so the provider retries. */
  async enqueue(events: readonly IdentityEvent[], options: { delayInSeconds?: number } = {}): Promise<void> {
    const visibility = options.delayInSeconds ? { visibilityTimeout: Math.ceil(options.delayInSeconds) } : {};
    await Promise.all(
      events.map((event) =>
        storageCall(
          this.timeoutInMs,
          (abortSignal) =>
            this.queue.sendMessage(Buffer.from(JSON.stringify(event), 'utf8').toString('base64'), {
              abortSignal,
              ...visibility,
            }),
          'queue',
        ),
      ),
    );
  }
}
