import { resolveConnectionString, resolveQueueName } from '../../../dev/host/storage';

describe('binding connections', () => {
  it('reads the setting <name>, then AzureWebJobs<name>, and AzureWebJobsStorage by default', () => {
    expect(resolveConnectionString('Events', { Events: 'direct', AzureWebJobsEvents: 'prefixed' })).toBe('direct');
    expect(resolveConnectionString('Storage', { AzureWebJobsStorage: 'default' })).toBe('default');
    expect(resolveConnectionString(undefined, { AzureWebJobsStorage: 'default' })).toBe('default');
  });

  it('names the missing setting, and says identity-based connections need a connection string locally', () => {
    expect(() => resolveConnectionString('Events', {})).toThrow(
      "Storage account connection string 'Events' does not exist",
    );
    expect(() => resolveConnectionString('Ids', { Ids__queueServiceUri: 'https://x.queue.core.windows.net' })).toThrow(
      /identity-based/,
    );
  });
});

describe('queue names', () => {
  it('resolves %SETTING% and lower-cases', () => {
    expect(resolveQueueName('%EVENTS%', { EVENTS: 'Identity-Events' })).toBe('identity-events');
  });

  it.each(['ab', 'a--b', '-abc', 'abc_d'])('rejects %s', (name) => {
    expect(() => resolveQueueName(name, {})).toThrow(/Invalid queue name/);
  });
});
