import Module from 'node:module';

/**
 * Child of bench/cold-start.ts: starts the deployed artifact as the Node.js worker does. It provides a minimal
 * `@azure/functions-core` (registrations are kept, not served), requires package.json `main` of the folder named
 * in argv, then runs the appStart hooks (src/functions/startup.ts builds the services there), and prints one JSON
 * line. Imports nothing but node built-ins.
 */
const started = performance.now();
const [appRoot = '.', main = 'dist/main.js'] = process.argv.slice(2);

const functions: string[] = [];
const appStart: Array<(context: unknown) => unknown> = [];
const coreApi = {
  version: '3.10.1',
  setProgrammingModel: () => undefined,
  getProgrammingModel: () => undefined,
  registerFunction: (metadata: { name: string }) => (functions.push(metadata.name), { dispose: () => undefined }),
  registerHook: (name: string, callback: (context: unknown) => unknown) => {
    if (name === 'appStart') appStart.push(callback);
    return { dispose: () => undefined };
  },
  log: () => undefined,
  Disposable: class {
    dispose(): void {}
  },
};
const internals = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
const resolveFilename = internals._resolveFilename;
internals._resolveFilename = function resolveCoreApi(this: unknown, request: string, ...rest: unknown[]): string {
  return request === '@azure/functions-core' ? request : resolveFilename.call(this, request, ...rest);
};
const coreModule = new Module('@azure/functions-core');
coreModule.exports = coreApi;
coreModule.loaded = true;
require.cache['@azure/functions-core'] = coreModule;

async function run(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loads the artifact as the worker does
  require(`${appRoot}/${main}`);
  const loadedInMs = performance.now() - started;
  for (const hook of appStart) await hook({ hookData: {}, appHookData: {}, functionAppDirectory: appRoot });
  const loadInMs = performance.now() - started;
  const memory = process.memoryUsage();
  console.log(
    JSON.stringify({
      loadInMs,
      servicesInMs: loadInMs - loadedInMs,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      modules: functions.length,
      identityLoaded: Object.keys(require.cache).some((id) => id.endsWith('identity.js')),
    }),
  );
  // Telemetry's exporters keep timers (and a worker would keep running): end here, the start is measured.
  process.exit(0);
}

run().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
