/* eslint-disable @typescript-eslint/no-require-imports -- this child loads modules by path, as the worker does */
import { sep } from 'node:path';

/**
 * Child of bench/cold-start.ts: loads what argv names and prints one JSON line with the time it took and the
 * process's memory. `node load-modules.js none` | `files <file>...` | `services <services.js> <file>...` |
 * `module <package>`. Imports nothing but node built-ins, so that `none` is the baseline.
 */
const started = performance.now();
const [scenario = 'none', ...targets] = process.argv.slice(2);

let servicesInMs: number | undefined;
if (scenario === 'files' || scenario === 'services') {
  const files = scenario === 'services' ? targets.slice(1) : targets;
  for (const file of files) require(file);
  if (scenario === 'services') {
    const servicesStarted = performance.now();
    // Services build their clients on first use: touch them, as the first request does.
    const services = (
      require(targets[0]) as { getServices(): { authenticator: unknown; identities: unknown } }
    ).getServices();
    void services.authenticator;
    void services.identities;
    servicesInMs = performance.now() - servicesStarted;
  }
} else if (scenario === 'module') {
  require(targets[0]);
}
const loadInMs = performance.now() - started;

const memory = process.memoryUsage();
const identityFolder = `${sep}node_modules${sep}@azure${sep}identity${sep}`;
console.log(
  JSON.stringify({
    loadInMs,
    servicesInMs,
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    modules: Object.keys(require.cache).length,
    identityLoaded: Object.keys(require.cache).some((id) => id.includes(identityFolder)),
  }),
);
