import { join } from 'node:path';

import { QueueServiceClient } from '@azure/storage-queue';

import { startAzurite, type RunningAzurite } from '../../../dev/azurite';
import { eventually, REPO_ROOT, startHostProcess, type HostProcess } from './host-process';

const APP_ROOT = join(REPO_ROOT, 'test', 'fixtures', 'host-app');

describe('startFunctionsHost options (through a runner script)', () => {
  let azurite: RunningAzurite;
  let host: HostProcess;

  beforeAll(async () => {
    azurite = await startAzurite({ blobPort: 0, queuePort: 0, tablePort: 0 });
    host = await startHostProcess(
      APP_ROOT,
      { AzureWebJobsStorage: azurite.connectionString, OVERRIDDEN_BY_ENV: 'from the environment' },
      { script: join(__dirname, 'run-host.js') },
    );
  });

  afterAll(async () => {
    await host?.stop();
    await azurite?.stop();
  });

  it('serves extra dev routes outside the route prefix, with the CORS headers', async () => {
    const response = await fetch(`${host.url}/dev/ping`, { headers: { origin: 'http://allowed.example' } });

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('pong');
    expect(response.headers.get('access-control-allow-origin')).toBe('http://allowed.example');
  });

  it('lets options.settings win over the environment', async () => {
    const response = await fetch(`${host.url}/fixture/settings`);

    expect(await response.json()).toMatchObject({ overridden: 'from options.settings' });
  });

  it('sends function logs to options.log with their level and a [functionName] prefix', async () => {
    await fetch(`${host.url}/fixture/echo/3`, { method: 'POST' });
    await fetch(`${host.url}/fixture/boom`);

    await eventually(async () => (/LOG error Executed 'Functions\.boom'/.test(host.output()) ? true : undefined));
    expect(host.output()).toContain('LOG information [echo] echo called for 3');
    expect(host.output()).toMatch(/LOG information Executing 'Functions\.echo' \(Reason='[^']+', Id=[0-9a-f-]{36}\)/);
    expect(host.output()).toMatch(/LOG error Executed 'Functions\.boom' \(Failed/);
  });

  it('resumes polling when storage restarts empty, creating the queue again', async () => {
    const port = (url: string): number => Number(new URL(url).port);
    await azurite.stop();
    azurite = await startAzurite({
      blobPort: port(azurite.blobUrl),
      queuePort: port(azurite.queueUrl),
      tablePort: port(azurite.tableUrl),
    });
    const queue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient('fixture-work');

    await eventually(async () => ((await queue.exists()) ? true : undefined));
    await queue.sendMessage(Buffer.from('"after the restart"').toString('base64'));

    await eventually(async () => {
      const state = (await (await fetch(`${host.url}/fixture/state`)).json()) as {
        queueMessages: Array<{ message: unknown }>;
      };
      return state.queueMessages.some((m) => m.message === 'after the restart') ? true : undefined;
    });
    expect(host.output()).toMatch(/Polling queue 'fixture-work' failed: (ECONNREFUSED|QueueNotFound)/);
    expect(host.output()).toContain("Polling queue 'fixture-work' resumed.");
  });

  it('describes the registered functions with resolved queue names, schedules and URLs', () => {
    const line = /^FUNCTIONS (.*)$/m.exec(host.output())?.[1] ?? '[]';
    const functions = JSON.parse(line) as Array<Record<string, string | undefined>>;

    expect(functions).toEqual(
      expect.arrayContaining([
        { name: 'echo', trigger: 'httpTrigger', url: `${host.url}/fixture/echo/{id}` },
        { name: 'work', trigger: 'queueTrigger', queueName: 'fixture-work' },
        { name: 'startupTimer', trigger: 'timerTrigger', schedule: '0 0 0 1 1 *' },
      ]),
    );
  });
});
