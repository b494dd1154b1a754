import { decodeMessageText, queueTriggerMetadata } from '../../../dev/host/queue-message';

describe('queue message encoding', () => {
  it('decodes base64 and passes text through with "none"', () => {
    expect(decodeMessageText(Buffer.from('{"a":"ü"}').toString('base64'), 'base64')).toBe('{"a":"ü"}');
    expect(decodeMessageText('{"a":1}', 'none')).toBe('{"a":1}');
  });

  it('refuses text that is not base64 when base64 is expected', () => {
    expect(() => decodeMessageText('{"a":1}', 'base64')).toThrow(/not valid base64/);
  });
});

describe('queue trigger metadata', () => {
  it('carries the names the storage extension binds', () => {
    const metadata = queueTriggerMetadata(
      {
        messageId: 'id-1',
        popReceipt: 'receipt',
        dequeueCount: 3,
        insertedOn: new Date('2024-01-01T00:00:00Z'),
        expiresOn: new Date('2024-01-08T00:00:00Z'),
        nextVisibleOn: new Date('2024-01-01T00:10:00Z'),
        messageText: 'aGk=',
      },
      'hi',
      'work',
    );

    expect(metadata).toMatchObject({
      QueueTrigger: { string: 'hi' },
      Id: { string: 'id-1' },
      DequeueCount: { int: 3 },
      InsertionTime: { json: '"2024-01-01T00:00:00.000Z"' },
      PopReceipt: { string: 'receipt' },
    });
  });
});
