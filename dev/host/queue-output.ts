import type { RegisteredFunction } from './core-api';
import type { QueuesOptions } from './host-json';
import type { OutputSink } from './invoker';
import { encodeMessageText, outputMessages } from './queue-message';
import { resolveConnectionString, resolveQueueName, type QueueClients } from './storage';

/**
 * Sends the values of `queue` output bindings (`output.storageQueue(...)`, as `$return` or in
 * `context.extraOutputs`) after a successful invocation, encoded per messageEncoding.
 */
export function createQueueOutputSink(clients: QueueClients, options: QueuesOptions): OutputSink {
  const created = new Set<string>();
  return async (fn: RegisteredFunction, response) => {
    for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
      if (binding.direction !== 'out' || binding.type.toLowerCase() !== 'queue') {
        continue;
      }
      const data = name === '$return' ? response.returnValue : response.outputData?.find((o) => o.name === name)?.data;
      const messages = outputMessages(data);
      if (messages.length === 0) {
        continue;
      }
      const queue = clients.get(resolveConnectionString(binding.connection), resolveQueueName(binding.queueName));
      if (!created.has(queue.url)) {
        await queue.createIfNotExists();
        created.add(queue.url);
      }
      try {
        for (const message of messages) {
          await queue.sendMessage(encodeMessageText(message, options.messageEncoding));
        }
      } catch (error) {
        created.delete(queue.url); // perhaps deleted meanwhile: create it again next time
        throw error;
      }
    }
  };
}
