import { resolve } from 'node:path';

import { startFunctionsHost, type RegisteredFunctionInfo } from './index';

// Usage: node dist/dev/host/cli.js [appRoot]   (port from FUNCTIONS_PORT, 0 = free port; default 7071)

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') {
    return undefined;
  }
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`FUNCTIONS_PORT must be a port number (0 for a free port), not '${value}'.`);
  }
  return port;
}

function describe(fn: RegisteredFunctionInfo): string {
  if (fn.error !== undefined) {
    return `\t${fn.name}: ${fn.trigger} (in error: ${fn.error})`;
  }
  if (fn.url !== undefined) {
    return `\t${fn.name}: [${(fn.methods ?? ['ALL']).join(',')}] ${fn.url}`;
  }
  return `\t${fn.name}: ${fn.trigger}`;
}

async function main(): Promise<void> {
  const appRoot = resolve(process.argv[2] ?? process.cwd());
  const host = await startFunctionsHost({
    appRoot,
    port: parsePort(process.env.FUNCTIONS_PORT),
    ...(process.env.FUNCTIONS_HOST ? { host: process.env.FUNCTIONS_HOST } : {}),
  });

  console.log(`\nFunctions:\n\n${host.functions.map(describe).join('\n\n')}\n`);
  // Machine-readable: test harnesses and scripts wait for this line.
  console.log(`Host ready: ${host.url}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.exit(1);
    }
    stopping = true;
    console.log(`${signal} received, stopping the host...`);
    host.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`The functions host could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
