import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';

import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';

import { startAzurite, type RunningAzurite } from '../../../dev/azurite';
import { eventually, REPO_ROOT, startHostProcess, type HostProcess } from './host-process';

const APP_ROOT = join(REPO_ROOT, 'test', 'fixtures', 'host-app');
const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const fromBase64 = (text: string): string => Buffer.from(text, 'base64').toString('utf8');

interface FixtureState {
  appStarted: boolean;
  queueMessages: Array<{
    message: unknown;
    id: string;
    dequeueCount: number;
    queueTrigger: unknown;
    insertionTime: string;
  }>;
  timerRuns: Array<{ isPastDue: boolean; scheduleStatus: { next: string } }>;
}

describe('local functions host (black box, fixture app in a child process)', () => {
  let azurite: RunningAzurite;
  let host: HostProcess;
  let queues: QueueServiceClient;

  beforeAll(async () => {
    azurite = await startAzurite({ blobPort: 0, queuePort: 0, tablePort: 0 });
    queues = QueueServiceClient.fromConnectionString(azurite.connectionString);
    // No local.settings.json in the fixture: the sample file is read; the environment wins over it.
    host = await startHostProcess(APP_ROOT, {
      AzureWebJobsStorage: azurite.connectionString,
      OVERRIDDEN_BY_ENV: 'from the environment',
    });
  });

  afterAll(async () => {
    await host?.stop();
    await azurite?.stop();
  });

  const url = (path: string): string => `${host.url}${path}`;
  const state = async (): Promise<FixtureState> => (await (await fetch(url('/fixture/state'))).json()) as FixtureState;

  async function sendToQueue(name: string, text: string): Promise<QueueClient> {
    const queue = queues.getQueueClient(name);
    await queue.createIfNotExists();
    await queue.sendMessage(text);
    return queue;
  }

  it('lists the functions with their URLs and a machine-readable ready line', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(host.output()).toContain(`echo: [POST,PUT] ${host.url}/fixture/echo/{id}`);
    expect(host.output()).toContain('work: queueTrigger');
    expect(host.output()).toContain('startupTimer: timerTrigger');
  });

  describe('what the local host does not support', () => {
    it.each([
      ['constrainedRoute', "Route 'fixture/constrained/{id:int}': a route constraint ('{id:int}')"],
      ['catchAllRoute', "Route 'fixture/files/{*path}': a catch-all parameter ('{*path}')"],
      ['queueOutput', "a queue output binding ('queueOutput"],
      ['blobInput', "a blob input binding ('blobInput"],
      ['eventHub', "the trigger 'eventHubTrigger'"],
    ])('refuses %s at start, naming the function and what it uses', (name, reason) => {
      const line = host
        .output()
        .split('\n')
        .find((text) => text.includes(`The '${name}' function is in error: `));
      expect(line).toContain(`function is in error: ${reason}`);
      expect(line).toMatch(/ is not supported by the local host\.$/);
    });

    it('serves none of the refused functions', async () => {
      const statuses = await Promise.all([
        fetch(url('/fixture/constrained/1')),
        fetch(url('/fixture/files/a/b')),
        fetch(url('/fixture/queueOutput'), { method: 'POST' }),
        fetch(url('/fixture/blobInput')),
        fetch(url('/admin/functions/eventHub'), { method: 'POST' }),
      ]).then((responses) => responses.map((r) => r.status));

      expect(statuses).toEqual([404, 404, 404, 404, 404]);
    });

    it('answers 500 with an empty body to a response with cookies, and logs why', async () => {
      const response = await fetch(url('/fixture/cookie'));

      expect(response.status).toBe(500);
      expect(response.headers.get('set-cookie')).toBeNull();
      expect(await response.text()).toBe('');
      await eventually(async () =>
        host.output().includes("Function 'cookie' set cookies on its response: the local host does not support them.")
          ? true
          : undefined,
      );
    });
  });

  describe('HTTP triggers', () => {
    it('passes route parameters, query, headers and body to the handler and maps jsonBody, status and headers', async () => {
      const response = await fetch(url('/fixture/echo/Ada%20L?x=1'), {
        method: 'POST',
        headers: { 'x-custom': 'custom value', 'content-type': 'text/plain' },
        body: 'payload text',
      });

      expect(response.status).toBe(201);
      expect(response.headers.get('x-echo')).toBe('yes');
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toEqual({
        id: 'Ada L',
        method: 'POST',
        query: '1',
        header: 'custom value',
        body: 'payload text',
        functionName: 'echo',
      });
    });

    it('answers 404 when the path has more segments than the route, the route is unknown, the method is not registered or the prefix differs', async () => {
      const statuses = await Promise.all([
        fetch(url('/fixture/echo/1/more'), { method: 'POST' }),
        fetch(url('/fixture/unknown')),
        fetch(url('/fixture/echo/1')), // GET, while echo takes POST and PUT
        fetch(url('/api/settings')), // the prefix comes from host.json, not the default "api"
      ]).then((responses) => responses.map((r) => r.status));

      expect(statuses).toEqual([404, 404, 404, 404]);
    });

    it('matches literals case-insensitively and prefers a literal route over a parameter', async () => {
      const literal = await fetch(url('/FIXTURE/items/SPECIAL'));
      const parameter = await fetch(url('/fixture/items/a%2Fb%20c'));

      expect(await literal.text()).toBe('literal');
      // As the real host: Kestrel decodes every escape but %2F, and the route value is that decoded segment.
      expect(await parameter.text()).toBe('item a%2Fb c');
    });

    it('hands the function the URL and route values the real host would (decoded once, %2F kept, re-escaped)', async () => {
      const response = await fetch(url('/fixture/arrived/a%252Fb%C3%A9%3F%23?x=a%252F+b'));
      const arrived = (await response.json()) as { url: string; params: Record<string, string>; query: unknown };
      expect(new URL(arrived.url).pathname).toBe('/fixture/arrived/a%2Fb%C3%A9%3F%23');
      expect(new URL(arrived.url).search).toBe('?x=a%252F+b');
      expect(arrived.params).toEqual({ id: 'a%2Fbé?#' });
      expect(arrived.query).toEqual({ x: 'a%2F b' });
    });

    it('answers 500 with an empty body when the handler throws, and logs the error', async () => {
      const response = await fetch(url('/fixture/boom'));

      expect(response.status).toBe(500);
      expect(await response.text()).toBe('');
      await eventually(async () =>
        host.output().includes('secret details that must stay in the log') ? true : undefined,
      );
      expect(host.output()).toMatch(/Executed 'Functions\.boom' \(Failed, Id=[0-9a-f-]+, Duration=\d+ms\)/);
    });

    it('answers 204 when the handler returns nothing', async () => {
      const response = await fetch(url('/fixture/nothing'));

      expect(response.status).toBe(204);
      expect(await response.text()).toBe('');
    });

    it('maps an HttpResponse instance with its status, headers and body', async () => {
      const response = await fetch(url('/fixture/response-object'));

      expect(response.status).toBe(202);
      expect(response.headers.get('content-type')).toBe('text/plain');
      expect(await response.text()).toBe('accepted');
    });

    it('serves the host status', async () => {
      const response = await fetch(url('/admin/host/status'));

      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ state: 'Running' });
    });

    it('refuses a body over 100 MB with 413, judging by Content-Length', async () => {
      const { port } = new URL(host.url);
      const head = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.write(
            `POST /fixture/echo/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${100 * 1024 * 1024 + 1}\r\n\r\n`,
          );
        });
        let received = '';
        socket.on('data', (chunk) => {
          received += chunk.toString();
          if (received.includes('\r\n\r\n')) {
            socket.destroy();
            resolve(received);
          }
        });
        socket.on('error', reject);
      });

      expect(head).toMatch(/^HTTP\/1\.1 413 /);
    });

    it('logs context.log through the host but never request bodies or Authorization headers', async () => {
      await fetch(url('/fixture/echo/5'), {
        method: 'POST',
        headers: { authorization: 'Bearer do-not-log-this-token' },
        body: 'do-not-log-this-body',
      });

      await eventually(async () => (host.output().includes('[echo] echo called for 5') ? true : undefined));
      expect(host.output()).not.toContain('do-not-log-this-token');
      expect(host.output()).not.toContain('do-not-log-this-body');
    });
  });

  describe('settings', () => {
    it('reads local.settings.sample.json when local.settings.json is absent, and environment variables win', async () => {
      const response = await fetch(url('/fixture/settings'));

      expect(await response.json()).toEqual({
        greeting: 'hello from the sample file',
        overridden: 'from the environment',
      });
    });
  });

  describe('CORS (Host.CORS of the settings file)', () => {
    it('answers a preflight from an allowed origin with 204 and the Access-Control-Allow-* headers', async () => {
      const response = await fetch(url('/fixture/echo/1'), {
        method: 'OPTIONS',
        headers: {
          origin: 'http://allowed.example',
          'access-control-request-method': 'PUT',
          'access-control-request-headers': 'authorization,content-type',
        },
      });

      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe('http://allowed.example');
      expect(response.headers.get('access-control-allow-methods')).toBe('PUT');
      expect(response.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
      expect(response.headers.get('access-control-allow-credentials')).toBe('true');
      expect(response.headers.get('vary')).toBe('Origin');
    });

    it('gives no CORS header to a preflight from another origin', async () => {
      const response = await fetch(url('/fixture/echo/1'), {
        method: 'OPTIONS',
        headers: { origin: 'http://evil.example', 'access-control-request-method': 'PUT' },
      });

      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-allow-methods')).toBeNull();
    });

    it('adds the CORS headers to actual responses for allowed origins only', async () => {
      const allowed = await fetch(url('/fixture/settings'), { headers: { origin: 'http://localhost:3000' } });
      const other = await fetch(url('/fixture/settings'), { headers: { origin: 'http://evil.example' } });

      expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
      expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
      expect(allowed.headers.get('vary')).toBe('Origin');
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('passes an OPTIONS request without CORS headers to the function', async () => {
      const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(url('/fixture/preflight-target'), { method: 'OPTIONS' }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });

      expect(response).toEqual({ status: 200, body: 'options reached the function' });
    });
  });

  describe('queue triggers', () => {
    it('delivers a message from the %WORK_QUEUE_NAME% queue, base64-decoded and JSON-parsed, with its trigger metadata', async () => {
      const queue = await sendToQueue('fixture-work', base64('{"kind":"greeting","text":"hi"}'));

      const delivered = await eventually(async () =>
        (await state()).queueMessages.find((m) => (m.message as { kind?: string }).kind === 'greeting'),
      );

      expect(delivered).toMatchObject({
        message: { kind: 'greeting', text: 'hi' },
        dequeueCount: 1,
        // The raw text, which @azure/functions JSON-parses like every string it receives.
        queueTrigger: { kind: 'greeting', text: 'hi' },
      });
      expect(delivered.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(Number.isNaN(Date.parse(delivered.insertionTime))).toBe(false);
      await eventually(async () => ((await queue.getProperties()).approximateMessagesCount === 0 ? true : undefined));
    });

    it('delivers text that is not JSON as a string', async () => {
      await sendToQueue('fixture-work', base64('plain words'));

      const delivered = await eventually(async () =>
        (await state()).queueMessages.find((m) => m.message === 'plain words'),
      );

      expect(delivered.dequeueCount).toBe(1);
    });

    it('retries a failing message and moves it to <queue>-poison after maxDequeueCount (2) attempts', async () => {
      const text = base64('{"kind":"poison","n":1}');
      const queue = await sendToQueue('fixture-work', text);
      const poisonQueue = queues.getQueueClient('fixture-work-poison');

      const poisoned = await eventually(async () => {
        if (!(await poisonQueue.exists())) {
          return undefined;
        }
        const { peekedMessageItems } = await poisonQueue.peekMessages({ numberOfMessages: 32 });
        return peekedMessageItems.find((m) => m.messageText === text);
      });

      const attempts = (await state()).queueMessages.filter((m) => (m.message as { kind?: string }).kind === 'poison');
      expect(attempts.map((m) => m.dequeueCount)).toEqual([1, 2]);
      expect(fromBase64(poisoned.messageText)).toBe('{"kind":"poison","n":1}');
      expect((await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems).toEqual([]);
    });
  });

  describe('hooks and timers', () => {
    it('runs appStart hooks and fires a runOnStartup timer with its schedule status', async () => {
      const run = await eventually(async () => {
        const current = await state();
        return current.appStarted && current.timerRuns.length > 0 ? current.timerRuns[0] : undefined;
      });

      expect(run?.isPastDue).toBe(false);
      expect(new Date(run?.scheduleStatus.next ?? '').getMonth()).toBe(0);
    });
  });

  it('stops on SIGTERM and exits with 0', async () => {
    const code = await host.stop();

    expect(code).toBe(0);
    expect(() => process.kill(host.child.pid ?? -1, 0)).toThrow();
  });
});
