import type { QueueClient } from '@azure/storage-queue';

import type { RevocationStep, RevocationStepQueue } from '../domain/ports';
import { storageCall } from './errors';

/** The queue of revoke-all job steps. Messages are base64 JSON, as host.json's messageEncoding expects. */
export class StepQueue implements RevocationStepQueue {
  constructor(
    private readonly queue: QueueClient,
    private readonly timeoutInMs: number,
  ) {}

  /** The step becomes visible to the worker after `delayInSeconds` (the queue's own delay: nothing waits). */
  async enqueue(step: RevocationStep, delayInSeconds: number): Promise<void> {
    const text = Buffer.from(JSON.stringify(step), 'utf8').toString('base64');
    await storageCall(
      this.timeoutInMs,
      (abortSignal) =>
        this.queue.sendMessage(text, { visibilityTimeout: Math.max(0, Math.ceil(delayInSeconds)), abortSignal }),
      'queue',
    );
  }
}
