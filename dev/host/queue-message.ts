import { randomUUID } from 'node:crypto';

import type { QueuesOptions } from './host-json';
import type { RpcTypedData } from './rpc';

export type MessageEncoding = QueuesOptions['messageEncoding'];

/**
 * The text of a queue message as the function sees it.
 *
 * @throws when `base64` is expected and the text is not valid base64 (the real host then
 * moves the message to the poison queue).
 */
export function decodeMessageText(text: string, encoding: MessageEncoding): string {
  if (encoding === 'none') {
    return text;
  }
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
    throw new Error(
      'Message content is not valid base64; set extensions.queues.messageEncoding to "none" for plain text.',
    );
  }
  return Buffer.from(compact, 'base64').toString('utf8');
}

export interface ReceivedMessage {
  messageId: string;
  popReceipt: string;
  dequeueCount: number;
  insertedOn: Date;
  expiresOn: Date;
  nextVisibleOn: Date;
  messageText: string;
}

/**
 * Trigger metadata of a queue trigger, in the names the storage extension binds (`Id`,
 * `DequeueCount`, ...); `@azure/functions` camel-cases them (`id`, `dequeueCount`, ...).
 */
export function queueTriggerMetadata(
  message: ReceivedMessage,
  text: string,
  functionName: string,
): Record<string, RpcTypedData> {
  const json = (value: unknown): RpcTypedData => ({ json: JSON.stringify(value) });
  return {
    QueueTrigger: { string: text },
    Id: { string: message.messageId },
    DequeueCount: { int: message.dequeueCount },
    InsertionTime: json(message.insertedOn.toISOString()),
    ExpirationTime: json(message.expiresOn.toISOString()),
    NextVisibleTime: json(message.nextVisibleOn.toISOString()),
    PopReceipt: { string: message.popReceipt },
    sys: json({ MethodName: functionName, UtcNow: new Date().toISOString(), RandGuid: randomUUID() }),
  };
}
