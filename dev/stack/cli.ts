import { createInterface } from 'node:readline';
import { join } from 'node:path';

import { demoRoutes } from '../demo';
import { defaultPorts, portVariables, repositoryRoot, type StackPorts, startStack } from './stack';

/**
 * `npm start`: builds, then starts Azurite, the ACS emulator, the OIDC issuer and the functions host.
 * Flags (used by the tests): `--ephemeral` keeps Azurite in memory, `--free-ports` picks free ports, `--json`
 * prints one machine-readable `STACK_READY {...}` line (URLs only, no keys), `--azurite-location DIR` keeps Azurite's data in DIR, `--setting NAME=VALUE` overrides an app setting, `--app-root DIR` serves the function app in DIR (default: this repository), and
 * `--control` accepts `storage:stop` / `storage:start` lines on stdin.
 */
async function main(argv: string[]): Promise<void> {
  const flag = (name: string) => argv.includes(name);
  const valueOf = (name: string) => argv[argv.indexOf(name) + 1];
  const settings = Object.fromEntries(
    argv.flatMap((arg, index) => (argv[index - 1] === '--setting' ? [[arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]] : [])),
  ) as Record<string, string>;
  const ports = Object.fromEntries(
    (Object.keys(defaultPorts) as Array<keyof StackPorts>).map((name) => [name, flag('--free-ports') ? 0 : Number(process.env[portVariables[name]] ?? defaultPorts[name])]),
  ) as unknown as StackPorts;
  const json = flag('--json');
  const log = (level: string, message: string) => (level === 'error' || level === 'warning' ? console.error : console.log)(`${new Date().toISOString()} ${level.padEnd(11)} ${message}`);

  const stack = await startStack({
    ports,
    ...(flag('--app-root') ? { appRoot: valueOf('--app-root')! } : {}),
    settings,
    ...(flag('--ephemeral') ? {} : { azuriteLocation: (argv.includes('--azurite-location') ? valueOf('--azurite-location') : undefined) ?? join(repositoryRoot, '.azurite') }),
    log,
    // The demo page (dev/demo) is served by the local host only: it is not a function and is never deployed.
    extraRoutes: ({ issuerUrl, acsUrl }) => demoRoutes({ issuerUrl, acsUrl, log }),
  });

  if (json) {
    console.log(
      `STACK_READY ${JSON.stringify({
        functionsUrl: stack.functionsUrl,
        acsUrl: stack.acs.url,
        issuerUrl: stack.issuer.url,
        blobUrl: stack.azurite.blobUrl,
        tableUrl: stack.azurite.tableUrl,
        queueUrl: stack.azurite.queueUrl,
      })}`,
    );
  } else {
    console.log(
      [
        '',
        'Local stack is up:',
        `  Functions host      ${stack.functionsUrl}/api   (health: ${stack.functionsUrl}/api/health)`,
        `  Demo page           ${stack.functionsUrl}/demo`,
        `  ACS emulator        ${stack.acs.url}   (control: ${stack.acs.url}_emulator/stats)`,
        `  OIDC issuer         ${stack.issuer.url}   (discovery: ${stack.issuer.url}/.well-known/openid-configuration)`,
        `  Azurite blob/queue/table  ${stack.azurite.blobUrl}  ${stack.azurite.queueUrl}  ${stack.azurite.tableUrl}`,
        '',
        'Get a token:  npm run token -- alice      (admin: npm run token -- ops --admin)',
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  }

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await stack.stop();
    if (!json) console.log('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  if (flag('--control')) {
    createInterface({ input: process.stdin }).on('line', (line) => {
      const command = line.trim();
      const run = command === 'storage:stop' ? stack.stopStorage() : command === 'storage:start' ? stack.startStorage() : undefined;
      if (!run) return;
      run.then(
        () => console.log(`CONTROL_OK ${command}`),
        (error: unknown) => console.log(`CONTROL_FAILED ${command} ${(error as Error).name}`),
      );
    });
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`The local stack could not start: ${(error as Error).message}`);
  process.exit(1);
});
