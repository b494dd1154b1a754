import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  DEFAULT_QUEUES_OPTIONS,
  parseHostConfig,
  parseTimeSpanInMs,
  readHostConfig,
} from '../../../dev/host/host-json';

describe('host.json', () => {
  it('defaults to the api prefix and the queue extension defaults', () => {
    expect(parseHostConfig({ version: '2.0' })).toEqual({ routePrefix: 'api', queues: DEFAULT_QUEUES_OPTIONS });
    expect(DEFAULT_QUEUES_OPTIONS).toEqual({
      batchSize: 16,
      maxDequeueCount: 5,
      visibilityTimeoutInMs: 0,
      maxPollingIntervalInMs: 60_000,
      messageEncoding: 'base64',
    });
  });

  it('reads routePrefix (empty allowed) and extensions.queues', () => {
    const config = parseHostConfig({
      extensions: {
        http: { routePrefix: '' },
        queues: {
          batchSize: 4,
          maxDequeueCount: 2,
          visibilityTimeout: '00:00:10',
          maxPollingInterval: '00:00:02',
          messageEncoding: 'None',
        },
      },
    });

    expect(config).toEqual({
      routePrefix: '',
      queues: {
        batchSize: 4,
        maxDequeueCount: 2,
        visibilityTimeoutInMs: 10_000,
        maxPollingIntervalInMs: 2_000,
        messageEncoding: 'none',
      },
    });
  });

  it('takes a maxPollingInterval in milliseconds, as the 2.x extension did', () => {
    expect(
      parseHostConfig({ extensions: { queues: { maxPollingInterval: 2000 } } }).queues.maxPollingIntervalInMs,
    ).toBe(2000);
  });

  it.each([
    [{ batchSize: 33 }, /batchSize must be an integer from 1 to 32/],
    [{ maxDequeueCount: 0 }, /maxDequeueCount/],
    [{ visibilityTimeout: '10 seconds' }, /visibilityTimeout must be a TimeSpan/],
    [{ maxPollingInterval: '00:00:00.050' }, /maxPollingInterval must not be less than/],
    [{ messageEncoding: 'utf8' }, /messageEncoding must be "base64" or "none"/],
  ])('rejects %j naming the setting', (queues, message) => {
    expect(() => parseHostConfig({ extensions: { queues } })).toThrow(message);
  });

  it('applies AzureFunctionsJobHost__ overrides from app settings, as the real host does', () => {
    const appRoot = mkdtempSync(join(tmpdir(), 'host-json-'));
    try {
      writeFileSync(join(appRoot, 'host.json'), JSON.stringify({ extensions: { queues: { maxDequeueCount: 5 } } }));

      const config = readHostConfig(appRoot, {
        AzureFunctionsJobHost__extensions__queues__maxDequeueCount: '3',
        AZUREFUNCTIONSJOBHOST__EXTENSIONS__HTTP__ROUTEPREFIX: 'v1',
      });

      expect(config.queues.maxDequeueCount).toBe(3);
      expect(config.routePrefix).toBe('v1');
    } finally {
      rmSync(appRoot, { recursive: true, force: true });
    }
  });
});

describe('TimeSpan', () => {
  it.each([
    ['00:00:30', 30_000],
    ['01:02:03', 3_723_000],
    ['00:00:00.5', 500],
    ['1.00:00:00', 86_400_000],
    ['00:05', 300_000],
  ])('%s is %d ms', (text, expected) => {
    expect(parseTimeSpanInMs(text)).toBe(expected);
  });

  it.each(['30', '00:60:00', 'abc'])('%s is not a TimeSpan', (text) => {
    expect(parseTimeSpanInMs(text)).toBeUndefined();
  });
});
