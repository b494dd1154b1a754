import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CommunicationIdentityClient } from '@azure/communication-identity';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';

import { DEV_ACS_ACCESS_KEY } from '../../dev/acs-emulator';
import { DEV_STORE_ACCOUNT_KEY, DEV_STORE_ACCOUNT_NAME } from '../../dev/azurite';
import { requestDevToken, type DevTokenOptions } from '../../dev/oidc/client';

const root = join(__dirname, '..', '..');

/** Tests send far more requests per user and per IP than a client would: quotas are off unless a test sets them. */
export const quotasOff = {
  QUOTA_TOKENS_PER_USER: 'off',
  QUOTA_IDENTITIES_PER_USER: 'off',
  QUOTA_IDENTITIES_PER_CLIENT_IP: 'off',
  QUOTA_INVITATIONS_PER_USER: 'off',
  QUOTA_GUEST_REDEMPTIONS_PER_CLIENT_IP: 'off',
};
const cli = join(root, 'dist', 'dev', 'stack', 'cli.js');

export interface TestStack {
  functionsUrl: string;
  acsUrl: string;
  acsConnectionString: string;
  issuerUrl: string;
  storageConnectionString: string;
  /** Everything the stack printed so far (functions' logs included). */
  output(): string;
  token(userId: string, options?: DevTokenOptions): Promise<string>;
  /** fetch against the functions host, with an optional bearer token. */
  api(path: string, init?: RequestInit & { token?: string; json?: unknown }): Promise<Response>;
  acsStats(): Promise<Record<string, number>>;
  verifyAcsToken(
    token: string,
  ): Promise<{ valid: boolean; reason?: string; communicationUserId?: string; scopes?: string[] }>;
  acsFault(fault: {
    operation?: string;
    status: number;
    count: number;
    retryAfterSeconds?: number;
    delayMs?: number;
  }): Promise<void>;
  acsIdentities(): Promise<string[]>;
  acsClient(): CommunicationIdentityClient;
  table(name: string): TableClient;
  queue(name: string): QueueClient;
  control(command: 'storage:stop' | 'storage:start'): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the real local stack (Azurite in memory, ACS emulator, OIDC issuer, functions host) in a child process
 * on free ports, exactly as `npm start` does, and talks to it over HTTP. Needs `npm run build` first (npm test does it).
 */
export async function startTestStack(
  settings: Record<string, string> = {},
  options: { persistStorage?: boolean; appRoot?: string } = {},
): Promise<TestStack> {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" first (npm test does).`);
  // Storage that must survive a restart (storage:stop / storage:start) lives in a temporary folder.
  const storageDir = options.persistStorage ? mkdtempSync(join(tmpdir(), 'stack-azurite-')) : undefined;
  const args = [
    cli,
    ...(storageDir ? ['--azurite-location', storageDir] : ['--ephemeral']),
    // The sample's settings, whatever the developer's environment and local.settings.json say.
    '--isolated',
    '--free-ports',
    '--json',
    '--control',
    ...(options.appRoot ? ['--app-root', options.appRoot] : []),
    ...Object.entries({ ...quotasOff, ...settings }).flatMap(([name, value]) => ['--setting', `${name}=${value}`]),
  ];
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'test' },
  });
  let output = '';
  const waiters: Array<{ pattern: RegExp; resolve: (match: RegExpMatchArray) => void }> = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (process.env['DEBUG_STACK']) process.stderr.write(chunk);
    for (const waiter of [...waiters]) {
      const match = output.match(waiter.pattern);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const waitFor = (pattern: RegExp, timeoutInMs: number) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const match = output.match(pattern);
      if (match) return resolve(match);
      const timer = setTimeout(
        () => reject(new Error(`Timed out waiting for ${pattern}; output:\n${output.slice(-3000)}`)),
        timeoutInMs,
      );
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`The stack exited (${code}) before ${pattern}; output:\n${output.slice(-3000)}`));
      };
      child.once('exit', onExit);
      waiters.push({ pattern, resolve: (m) => (clearTimeout(timer), child.off('exit', onExit), resolve(m)) });
    });

  let ready: {
    functionsUrl: string;
    acsUrl: string;
    acsConnectionString: string;
    issuerUrl: string;
    storageConnectionString: string;
  };
  try {
    const urls = JSON.parse((await waitFor(/STACK_READY (\{.*\})\n/, 30_000))[1]) as {
      functionsUrl: string;
      acsUrl: string;
      issuerUrl: string;
      blobUrl: string;
      queueUrl: string;
      tableUrl: string;
    };
    // The stack prints no keys: the development keys are well known, so the tests build the connection strings.
    ready = {
      ...urls,
      acsConnectionString: `endpoint=${urls.acsUrl};accesskey=${DEV_ACS_ACCESS_KEY}`,
      storageConnectionString: `DefaultEndpointsProtocol=http;AccountName=${DEV_STORE_ACCOUNT_NAME};AccountKey=${DEV_STORE_ACCOUNT_KEY};BlobEndpoint=${urls.blobUrl};QueueEndpoint=${urls.queueUrl};TableEndpoint=${urls.tableUrl};`,
    };
  } catch (error) {
    await kill(child);
    if (storageDir) rmSync(storageDir, { recursive: true, force: true });
    throw error;
  }

  const api: TestStack['api'] = (path, init = {}) => {
    const { token, json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    if (json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${ready.functionsUrl}${path}`, {
      ...rest,
      headers,
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    });
  };
  const acsControl = async (path: string, body?: unknown) => {
    const response = await fetch(
      `${ready.acsUrl}_emulator/${path}`,
      body === undefined
        ? {}
        : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } },
    );
    if (!response.ok) throw new Error(`emulator ${path}: ${response.status}`);
    return response.status === 204 ? undefined : response.json();
  };
  const storageOptions = { allowInsecureConnection: true };

  return {
    ...ready,
    output: () => output,
    token: (userId, options) => requestDevToken(ready.issuerUrl, userId, options),
    api,
    acsStats: async () => (await acsControl('stats')) as Record<string, number>,
    verifyAcsToken: async (token) =>
      (await acsControl('verify', { token })) as Awaited<ReturnType<TestStack['verifyAcsToken']>>,
    acsFault: async (fault) => void (await acsControl('faults', fault)),
    acsIdentities: async () => {
      const body = (await acsControl('identities')) as
        { identities: Array<string | { id: string }> } | Array<string | { id: string }>;
      const list = Array.isArray(body) ? body : body.identities;
      return list.map((item) => (typeof item === 'string' ? item : item.id));
    },
    acsClient: () => new CommunicationIdentityClient(ready.acsConnectionString, { allowInsecureConnection: true }),
    table: (name) => TableClient.fromConnectionString(ready.storageConnectionString, name, storageOptions),
    queue: (name) => new QueueClient(ready.storageConnectionString, name),
    control: async (command) => {
      const before = output.length;
      child.stdin.write(`${command}\n`);
      const deadline = Date.now() + 10_000;
      while (!/CONTROL_(OK|FAILED) /.test(output.slice(before))) {
        if (Date.now() > deadline) throw new Error(`control ${command} timed out`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      if (!output.slice(before).includes(`CONTROL_OK ${command}`)) throw new Error(`control ${command} failed`);
    },
    stop: async () => {
      await kill(child);
      if (storageDir) rmSync(storageDir, { recursive: true, force: true });
    },
  };
}

/** SIGTERM, then SIGKILL after 5 s; resolves when the child has exited. */
export async function kill(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * The admin path for `userId`, as a client should build it: the id in the path when it survives the host's
 * decoding unchanged, else `-` in the path and the id in the `userId` query parameter (docs/api.md, "Naming a user").
 */
export function adminUserPath(userId: string, suffix = ''): string {
  const fitsPath = !/[/%]/.test(userId) && userId !== '.' && userId !== '..';
  return fitsPath
    ? `/api/users/${encodeURIComponent(userId)}${suffix}`
    : `/api/users/-${suffix}?userId=${encodeURIComponent(userId)}`;
}
