import type { QueueClient } from '@azure/storage-queue';

import type { QueuesOptions } from './host-json';
import type { HostLog, InvocationInput, InvocationOutcome } from './invoker';
import { decodeMessageText, queueTriggerMetadata, type ReceivedMessage } from './queue-message';

/** First wait after an empty poll; doubles up to the maximum, as the real listener backs off. */
export const MIN_POLLING_INTERVAL_IN_MS = 100;
/** Locally an empty queue is polled at least every 2 s, however large maxPollingInterval is. */
export const LOCAL_MAX_POLLING_INTERVAL_IN_MS = 2_000;
/** Messages are leased for 10 minutes while a function runs, as the real listener does. */
const LEASE_IN_SECONDS = 10 * 60;

export interface QueueListenerOptions {
  functionName: string;
  queue: QueueClient;
  poisonQueue: QueueClient;
  options: QueuesOptions;
  invoke(input: InvocationInput): Promise<InvocationOutcome>;
  log: HostLog;
}

/**
 * Polls one queue for one queue-triggered function with the semantics of the storage queue
 * extension's QueueProcessor: success deletes the message; a failure makes it visible again
 * after `visibilityTimeout`, or moves it to `<queue>-poison` once its dequeue count reached
 * `maxDequeueCount`; a message already dequeued more often than that is moved unprocessed.
 */
export class QueueListener {
  readonly #options: QueueListenerOptions;
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #poisonQueueCreated = false;

  constructor(options: QueueListenerOptions) {
    this.#options = options;
  }

  get queueName(): string {
    return this.#options.queue.name;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops polling and waits for the messages being processed. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { queue, options, log, functionName } = this.#options;
    const maxDelayInMs = Math.max(
      MIN_POLLING_INTERVAL_IN_MS,
      Math.min(options.maxPollingIntervalInMs, LOCAL_MAX_POLLING_INTERVAL_IN_MS),
    );
    let delayInMs = MIN_POLLING_INTERVAL_IN_MS;
    let queueReady = false;
    let lastError: string | undefined;
    const signal = this.#abort.signal;

    while (!signal.aborted) {
      let messages: ReceivedMessage[] = [];
      try {
        if (!queueReady) {
          await queue.createIfNotExists({ abortSignal: signal });
          queueReady = true;
        }
        const response = await queue.receiveMessages({
          numberOfMessages: options.batchSize,
          visibilityTimeout: LEASE_IN_SECONDS,
          abortSignal: signal,
        });
        messages = response.receivedMessageItems;
        if (lastError !== undefined) {
          log('information', `[${functionName}] Polling queue '${queue.name}' resumed.`);
          lastError = undefined;
        }
      } catch (error) {
        if (signal.aborted) {
          break;
        }
        // The queue may be gone (e.g. storage restarted in memory): create it again on the next poll.
        queueReady = false;
        const description = storageErrorDescription(error);
        if (description !== lastError) {
          log('warning', `[${functionName}] Polling queue '${queue.name}' failed: ${description}. Retrying.`);
          lastError = description;
        }
      }

      if (messages.length === 0) {
        await sleep(delayInMs, signal);
        delayInMs = Math.min(delayInMs * 2, maxDelayInMs);
        continue;
      }
      delayInMs = MIN_POLLING_INTERVAL_IN_MS;
      // The batch runs in parallel; stop() waits for it through #loop.
      await Promise.all(messages.map(async (message) => this.#process(message)));
    }
  }

  async #process(message: ReceivedMessage): Promise<void> {
    const { queue, options, log, functionName } = this.#options;
    try {
      if (message.dequeueCount > options.maxDequeueCount) {
        await this.#moveToPoisonQueue(message);
        return;
      }
      let text: string;
      try {
        text = decodeMessageText(message.messageText, options.messageEncoding);
      } catch (error) {
        log(
          'error',
          `[${functionName}] Message '${message.messageId}' on '${queue.name}': ${(error as Error).message}`,
        );
        await this.#moveToPoisonQueue(message);
        return;
      }
      const outcome = await this.#options.invoke({
        reason: `New queue message detected on '${queue.name}'.`,
        triggerData: { string: text },
        triggerMetadata: queueTriggerMetadata(message, text, functionName),
      });
      if (outcome.succeeded) {
        await queue.deleteMessage(message.messageId, message.popReceipt);
      } else if (message.dequeueCount >= options.maxDequeueCount) {
        await this.#moveToPoisonQueue(message);
      } else {
        await queue.updateMessage(
          message.messageId,
          message.popReceipt,
          undefined,
          Math.floor(options.visibilityTimeoutInMs / 1000),
        );
      }
    } catch (error) {
      // The message stays leased and comes back when its lease ends.
      log(
        'error',
        `[${functionName}] Completing message '${message.messageId}' failed: ${storageErrorDescription(error)}`,
      );
    }
  }

  async #moveToPoisonQueue(message: ReceivedMessage): Promise<void> {
    const { queue, poisonQueue, options, log, functionName } = this.#options;
    log(
      'warning',
      `[${functionName}] Message has reached MaxDequeueCount of ${options.maxDequeueCount}. Moving message to queue '${poisonQueue.name}'.`,
    );
    if (!this.#poisonQueueCreated) {
      await poisonQueue.createIfNotExists();
      this.#poisonQueueCreated = true;
    }
    try {
      // The original text, still encoded: the poison queue gets the message as it was sent.
      await poisonQueue.sendMessage(message.messageText);
    } catch (error) {
      this.#poisonQueueCreated = false;
      throw error;
    }
    await queue.deleteMessage(message.messageId, message.popReceipt);
  }
}

/** An SDK error without request details (they can carry account names and signatures). */
function storageErrorDescription(error: unknown): string {
  if (error instanceof Error && error.name === 'RestError') {
    const { statusCode, code } = error as Error & { statusCode?: number; code?: string };
    return `${code ?? 'RestError'}${statusCode === undefined ? '' : ` (HTTP ${statusCode})`}`;
  }
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
