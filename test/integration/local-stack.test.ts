import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type AcsEmulator, startAcsEmulator } from '../../dev/acs-emulator';
import { requestDevToken } from '../../dev/oidc/client';
import { kill } from '../helpers/stack';

const root = join(__dirname, '..', '..');
const cli = join(root, 'dist', 'dev', 'stack', 'cli.js');

interface Ready {
  functionsUrl: string;
  acsUrl: string;
  issuerUrl: string;
  parts: {
    acs: { emulated: boolean; target?: string; source?: string };
    storage: { emulated: boolean };
    issuer: { emulated: boolean };
  };
  settingsFile: string;
}

interface RunningStack {
  ready: Ready;
  output(): string;
  stop(): Promise<void>;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** `npm start`'s process (`node dist/dev/stack/cli.js`) on an app folder of its own, as a user runs it. */
async function startUserStack(
  appRoot: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<RunningStack> {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [cli, '--app-root', appRoot, '--json', ...args],
    {
      cwd: appRoot,
      env: { ...process.env, NODE_ENV: 'test', ...env },
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const stop = () => kill(child);
  const deadline = Date.now() + 30_000;
  let match: RegExpMatchArray | null;
  while ((match = output.match(/STACK_READY (\{.*\})\n/)) === null) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the stack did not start; output:\n${output.slice(-3000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { ready: JSON.parse(match[1]) as Ready, output: () => output, stop };
}

describe('npm start: settings precedence and data that survives a restart', () => {
  let appRoot: string;
  const stacks: RunningStack[] = [];
  const emulators: AcsEmulator[] = [];
  const sample = JSON.parse(readFileSync(join(root, 'local.settings.sample.json'), 'utf8')) as {
    Values: Record<string, string>;
  };

  const writeLocalSettings = (values: Record<string, string>) =>
    writeFileSync(
      join(appRoot, 'local.settings.json'),
      JSON.stringify({ IsEncrypted: false, Values: { ...sample.Values, ...values } }),
    );
  const start = async (args: string[], env?: Record<string, string>) => {
    const stack = await startUserStack(appRoot, args, env);
    stacks.push(stack);
    return stack;
  };
  const post = (stack: RunningStack, path: string, bearer: string, headers: Record<string, string> = {}) =>
    fetch(`${stack.ready.functionsUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, ...headers },
    });

  beforeEach(() => {
    // A user's own app folder: the repository's build, host.json and sample, and a local.settings.json of its own.
    appRoot = mkdtempSync(join(tmpdir(), 'user-app-'));
    for (const name of ['dist', 'node_modules', 'host.json', 'package.json'])
      symlinkSync(join(root, name), join(appRoot, name));
    copyFileSync(join(root, 'local.settings.sample.json'), join(appRoot, 'local.settings.sample.json'));
  });

  afterEach(async () => {
    await Promise.all(stacks.splice(0).map(async (stack) => stack.stop()));
    await Promise.all(emulators.splice(0).map(async (emulator) => emulator.stop()));
    rmSync(appRoot, { recursive: true, force: true });
  });

  it('applies a value changed in local.settings.json, and one set in the environment over it', async () => {
    writeLocalSettings({ TOKEN_DEFAULT_SCOPES: 'chat', OKTA_WEBHOOK_SECRET: 'secret-from-file' });

    const stack = await start(['--ephemeral', '--free-ports'], { OKTA_WEBHOOK_SECRET: 'secret-from-environment' });

    const bearer = await requestDevToken(stack.ready.issuerUrl, 'precedence-user');
    const token = await post(stack, '/api/tokens', bearer);
    expect(token.status).toBe(201);
    expect(((await token.json()) as { scopes: string[] }).scopes).toEqual(['chat']);
    const okta = (secret: string) =>
      fetch(`${stack.ready.functionsUrl}/api/webhooks/okta`, {
        headers: { 'x-okta-verification-challenge': 'c', authorization: secret },
      });
    expect((await okta('secret-from-environment')).status).toBe(200);
    expect((await okta('secret-from-file')).status).toBe(401);
    expect((await okta(sample.Values['OKTA_WEBHOOK_SECRET'])).status).toBe(401);
    expect(stack.ready.settingsFile).toBe(join(appRoot, 'local.settings.json'));
    expect(stack.ready.parts).toEqual({
      acs: { emulated: true },
      storage: { emulated: true },
      issuer: { emulated: true },
    });
  });

  it('uses the sample when there is no local.settings.json, the environment still winning', async () => {
    const stack = await start(['--ephemeral', '--free-ports'], { TOKEN_DEFAULT_SCOPES: 'voip' });

    const bearer = await requestDevToken(stack.ready.issuerUrl, 'sample-user');
    const token = await post(stack, '/api/tokens', bearer);
    expect(((await token.json()) as { scopes: string[] }).scopes).toEqual(['voip']);
    expect(stack.ready.settingsFile).toBe(join(appRoot, 'local.settings.sample.json'));
  });

  it('uses an ACS resource the user configured instead of its emulator, and says so without the key', async () => {
    const real = await startAcsEmulator({ port: 0 });
    emulators.push(real);
    const key = real.connectionString.split('accesskey=')[1];

    const stack = await start(['--ephemeral', '--free-ports'], { ACS_CONNECTION_STRING: real.connectionString });

    const bearer = await requestDevToken(stack.ready.issuerUrl, 'real-acs-user');
    const created = (await (await post(stack, '/api/tokens', bearer)).json()) as { communicationUserId: string };
    const realIdentities = (await (await fetch(`${real.url}_emulator/identities`)).json()) as { identities: string[] };
    const stackIdentities = (await (await fetch(`${stack.ready.acsUrl}_emulator/identities`)).json()) as {
      identities: string[];
    };
    expect(realIdentities.identities).toContain(created.communicationUserId);
    expect(stackIdentities.identities).toEqual([]);
    expect(stack.ready.parts.acs).toEqual({ emulated: false, target: real.url, source: 'environment' });
    expect(stack.output()).not.toContain(key);
  });

  it('keeps a user’s identity usable across a restart, and forgets it on --reset', async () => {
    // Fixed ports: the issuer's URL is part of the app user's identity, as in `npm start`.
    const names = [
      'FUNCTIONS_PORT',
      'ACS_EMULATOR_PORT',
      'OIDC_PORT',
      'AZURITE_BLOB_PORT',
      'AZURITE_QUEUE_PORT',
      'AZURITE_TABLE_PORT',
    ];
    const ports: Record<string, string> = {};
    for (const name of names) ports[name] = String(await freePort());

    const first = await start([], ports);
    const firstToken = await post(first, '/api/tokens', await requestDevToken(first.ready.issuerUrl, 'restart-user'));
    expect(firstToken.status).toBe(201);
    const { communicationUserId } = (await firstToken.json()) as { communicationUserId: string };
    await first.stop();
    expect(existsSync(join(appRoot, '.azurite', 'acs-emulator.json'))).toBe(true);

    const second = await start([], ports);
    const again = await post(second, '/api/tokens', await requestDevToken(second.ready.issuerUrl, 'restart-user'));
    expect(again.status).toBe(200);
    expect(((await again.json()) as { communicationUserId: string }).communicationUserId).toBe(communicationUserId);
    await second.stop();

    const third = await start(['--reset'], ports);
    const afterReset = await post(third, '/api/tokens', await requestDevToken(third.ready.issuerUrl, 'restart-user'));
    expect(afterReset.status).toBe(201);
    expect(((await afterReset.json()) as { communicationUserId: string }).communicationUserId).not.toBe(
      communicationUserId,
    );
  });
});
