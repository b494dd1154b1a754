import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';

import { demoRoutes } from '../demo';
import { describeParts } from './settings';
import { clearStackData, defaultPorts, portVariables, repositoryRoot, type StackPorts, startStack } from './stack';

/**
 * `npm start`: builds, then starts Azurite, the ACS emulator, the OIDC issuer and the functions host.
 * Settings: the environment wins over local.settings.json, which stands in for the sample when present (Core Tools'
 * order); the stack wires its own parts only into settings left unset or at the sample's local defaults.
 * Flags: `--reset` forgets the persisted data (Azurite's and the ACS emulator's) before starting; `--reset-only`
 * forgets it and exits. For the tests: `--ephemeral` keeps all data in memory, `--isolated` runs the app on the
 * sample's values whatever the environment and local.settings.json say, `--free-ports` picks free ports, `--json`
 * prints one machine-readable `STACK_READY {...}` line (URLs and parts, no keys), `--azurite-location DIR` keeps the
 * data in DIR, `--app-root DIR` serves another app folder, `--setting NAME=VALUE` overrides an app setting, and
 * `--control` accepts `storage:stop` / `storage:start` lines on stdin.
 * `ACS_EMULATOR_REVOCATION_DELAY_MS` delays revocations in the emulator, as the live service may (default 0).
 */
async function main(argv: string[]): Promise<void> {
  const flag = (name: string) => argv.includes(name);
  const valueOf = (name: string) => argv[argv.indexOf(name) + 1];
  const settings = Object.fromEntries(
    argv.flatMap((arg, index) =>
      argv[index - 1] === '--setting' ? [[arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]] : [],
    ),
  ) as Record<string, string>;
  const ports = Object.fromEntries(
    (Object.keys(defaultPorts) as Array<keyof StackPorts>).map((name) => [
      name,
      flag('--free-ports') ? 0 : Number(process.env[portVariables[name]] ?? defaultPorts[name]),
    ]),
  ) as unknown as StackPorts;
  const json = flag('--json');
  const appRoot = argv.includes('--app-root') ? resolve(valueOf('--app-root') ?? '.') : repositoryRoot;
  const dataLocation = flag('--ephemeral')
    ? undefined
    : argv.includes('--azurite-location')
      ? resolve(valueOf('--azurite-location') ?? '.')
      : join(appRoot, '.azurite');
  if (flag('--reset') || flag('--reset-only')) {
    const removed = dataLocation === undefined ? [] : clearStackData(dataLocation);
    console.log(
      removed.length > 0
        ? `Reset: removed ${removed.join(', ')} from ${dataLocation}.`
        : 'Reset: there was no persisted data.',
    );
    if (flag('--reset-only')) return;
  }
  const rawDelay = process.env['ACS_EMULATOR_REVOCATION_DELAY_MS'];
  const acsRevocationDelayInMs = rawDelay === undefined || rawDelay.trim() === '' ? undefined : Number(rawDelay);
  const log = (level: string, message: string) =>
    (level === 'error' || level === 'warning' ? console.error : console.log)(
      `${new Date().toISOString()} ${level.padEnd(11)} ${message}`,
    );

  const stack = await startStack({
    appRoot,
    ports,
    ...(flag('--app-root') ? { appRoot: valueOf('--app-root') } : {}),
    settings,
    isolated: flag('--isolated'),
    ...(dataLocation === undefined ? {} : { azuriteLocation: dataLocation }),
    ...(acsRevocationDelayInMs === undefined ? {} : { acsRevocationDelayInMs }),
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
        parts: stack.parts,
        settingsFile: stack.settingsFile,
        dataLocation: dataLocation ?? null,
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
        `The app uses (settings: environment, then ${stack.settingsFile ?? 'no settings file'}):`,
        ...describeParts(stack.parts, {
          acsUrl: stack.acs.url,
          storageUrl: stack.azurite.tableUrl,
          issuerUrl: stack.issuer.url,
        }),
        dataLocation === undefined
          ? 'Data is kept in memory only.'
          : `Data (Azurite and ACS emulator) persists in ${dataLocation}; npm run reset (or npm start -- --reset) clears it.`,
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
      const run =
        command === 'storage:stop'
          ? stack.stopStorage()
          : command === 'storage:start'
            ? stack.startStorage()
            : undefined;
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
