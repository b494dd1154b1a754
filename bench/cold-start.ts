import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

import { buildSync } from 'esbuild';

import { resolveEntryFiles } from '../dev/host/app-loader';
import { buildArtifact } from '../dev/package';
import { integerOptions } from './support/args';
import { repositoryRoot } from './support/paths';
import { heading, line, mb, median, ms, p90, printEnvironment, ratio } from './support/stats';

/**
 * Cold start of the function app's modules: fresh `node` processes that require every entry file the host loads
 * (package.json `main`), without `@azure/functions-core` (the library then runs in test mode and warns; the
 * warnings are dropped), timed from spawn to exit and measured for RSS after loading, against a bare process.
 * Also: building the services on the first request (config + SDK clients) with connection strings (local) and
 * with managed identity (Azure), which is when `@azure/identity` gets loaded; the same modules bundled into one file
 * with esbuild (what bundling would save); and the cost of each dependency alone.
 */
const options = integerOptions({ runs: 15, dependencyRuns: 7, artifactOnly: 0 });

const child = join(__dirname, 'support', 'load-modules.js');
const artifactChild = join(__dirname, 'support', 'load-artifact.js');
const entryFiles = resolveEntryFiles(repositoryRoot);
const servicesModule = join(repositoryRoot, 'dist', 'src', 'app', 'services.js');
const sampleSettings = (
  JSON.parse(readFileSync(join(repositoryRoot, 'local.settings.sample.json'), 'utf8')) as {
    Values: Record<string, string>;
  }
).Values;
/** Production's shape (infra/): managed identity, no keys. Nothing is called; clients and credentials are only built. */
const managedIdentitySettings = {
  ...sampleSettings,
  ACS_CONNECTION_STRING: '',
  ACS_ENDPOINT: 'https://bench.communication.azure.com/',
  IdentityStorage: '',
  IdentityStorage__tableServiceUri: 'https://bench.table.core.windows.net',
  IdentityStorage__queueServiceUri: 'https://bench.queue.core.windows.net',
  IdentityStorage__credential: 'managedidentity',
  AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000001',
};

interface Scenario {
  name: string;
  args: string[];
  env?: Record<string, string>;
}

interface Run {
  wallInMs: number;
  loadInMs: number;
  servicesInMs?: number;
  rss: number;
  modules: number;
  identityLoaded: boolean;
}

const signed = (value: number, format: (value: number) => string) =>
  value < 0 ? `-${format(-value)}` : `+${format(value)}`;

function runOnce(scenario: Scenario): Run {
  const started = performance.now();
  const result = spawnSync(process.execPath, scenario.args, {
    cwd: repositoryRoot,
    env: { ...process.env, ...scenario.env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const wallInMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`${scenario.name} exited ${result.status}: ${result.stderr.slice(-1000)}`);
  const report = result.stdout.split('\n').findLast((text) => text.startsWith('{'));
  if (!report) return { wallInMs, loadInMs: 0, rss: Number.NaN, modules: 0, identityLoaded: false };
  return { wallInMs, ...(JSON.parse(report) as Omit<Run, 'wallInMs'>) };
}

/** Runs every scenario `runs` times, round robin, so that a noisy moment spreads over all of them. */
function measure(scenarios: readonly Scenario[], runs: number): Map<string, Run[]> {
  const results = new Map(scenarios.map((scenario) => [scenario.name, [] as Run[]]));
  for (let run = 0; run < runs; run += 1) {
    for (const scenario of scenarios) results.get(scenario.name)!.push(runOnce(scenario));
  }
  return results;
}

/** Every entry file and what it requires, in one CommonJS file (`@azure/identity` stays lazy and external, as in the app). */
function bundleApp(folder: string): string {
  const outfile = join(folder, 'app.js');
  buildSync({
    stdin: {
      contents: entryFiles.map((file) => `require(${JSON.stringify(file)});`).join('\n'),
      resolveDir: repositoryRoot,
      loader: 'js',
    },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    external: ['@azure/functions-core', '@azure/identity'],
    logLevel: 'error',
  });
  return outfile;
}

async function main(): Promise<void> {
  printEnvironment('cold-start');
  const started = performance.now();
  const bundleFolder = mkdtempSync(join(tmpdir(), 'cold-start-bundle-'));
  try {
    // The artifact as deployed (npm run package), in a folder of its own: no node_modules can be reached from it.
    const artifact = await buildArtifact(join(bundleFolder, 'artifact'));
    reportArtifact(artifact.folder, artifact.zippedSize);
    if (!options.artifactOnly) report(bundleApp(bundleFolder));
  } finally {
    rmSync(bundleFolder, { recursive: true, force: true });
  }
  console.log(`\nDone in ${ms(performance.now() - started)}.`);
}

/** Telemetry on: a connection string without a key (Entra authentication); nothing is sent during the measure. */
const telemetrySettings = {
  APPLICATIONINSIGHTS_CONNECTION_STRING:
    'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://bench.in.applicationinsights.azure.com/',
};

/**
 * The deployed artifact started as the worker starts it (bench/support/load-artifact.ts): require package.json
 * `main`, register, run the appStart hooks (configuration validated, services composed). Target: the managed
 * identity shape within 2.0x a bare `node -e ""`.
 */
function reportArtifact(folder: string, zippedSize: number): void {
  const bare: Scenario = { name: 'node -e ""', args: ['-e', ''] };
  const scenarios: Scenario[] = [
    bare,
    { name: 'artifact, connection strings', args: [artifactChild, folder], env: sampleSettings },
    { name: 'artifact, managed identity', args: [artifactChild, folder], env: managedIdentitySettings },
    {
      name: 'artifact, connection strings, telemetry on',
      args: [artifactChild, folder],
      env: { ...sampleSettings, ...telemetrySettings },
    },
    {
      name: 'artifact, managed identity, telemetry on',
      args: [artifactChild, folder],
      env: { ...managedIdentitySettings, ...telemetrySettings },
    },
  ];
  const results = measure(scenarios, options.runs);
  const bareWall = median(results.get(bare.name)!.map((run) => run.wallInMs));
  heading(`Deployed artifact (${mb(zippedSize)} zipped), ${options.runs} runs each (median / p90)`);
  for (const [name, runs] of results) {
    const wall = runs.map((run) => run.wallInMs);
    console.log(`\n  ${name}`);
    line(
      'wall time, spawn to exit',
      `${ms(median(wall))} / ${ms(p90(wall))}  (${ratio(median(wall) / bareWall)} bare node, ${signed(median(wall) - bareWall, ms)})`,
    );
    if (name === bare.name) continue;
    line(
      'time in the process (load + appStart)',
      `${ms(median(runs.map((run) => run.loadInMs)))}, of which appStart ${ms(median(runs.map((run) => run.servicesInMs ?? 0)))}  (${runs[0].modules} functions registered)`,
    );
    line('RSS after start', mb(median(runs.map((run) => run.rss))));
    line(
      '@azure/identity loaded',
      runs.every((run) => run.identityLoaded) ? 'yes' : runs.some((run) => run.identityLoaded) ? 'sometimes' : 'no',
    );
  }
  const managed = median(results.get('artifact, managed identity')!.map((run) => run.wallInMs)) / bareWall;
  heading('Target');
  line(
    'artifact, managed identity / bare node',
    `${ratio(managed)} (target at most 2.00x): ${managed <= 2 ? 'PASS' : 'FAIL'}`,
  );
  line(
    'with telemetry on',
    ratio(median(results.get('artifact, managed identity, telemetry on')!.map((run) => run.wallInMs)) / bareWall),
  );
}

function report(bundle: string): void {
  const bare: Scenario = { name: 'node -e ""', args: ['-e', ''] };
  const baseline: Scenario = { name: 'baseline: the loader child, nothing loaded', args: [child, 'none'] };
  const app: Scenario = { name: `all ${entryFiles.length} function modules`, args: [child, 'files', ...entryFiles] };
  const local: Scenario = {
    name: '... + getServices() and its clients (first use), connection strings',
    args: [child, 'services', servicesModule, ...entryFiles],
    env: sampleSettings,
  };
  const managed: Scenario = {
    name: '... + getServices() and its clients (first use), managed identity',
    args: [child, 'services', servicesModule, ...entryFiles],
    env: managedIdentitySettings,
  };
  const bundled: Scenario = {
    name: `the same, bundled by esbuild (${mb(statSync(bundle).size)})`,
    args: [child, 'files', bundle],
  };
  const identity: Scenario = { name: '@azure/identity alone', args: [child, 'module', '@azure/identity'] };
  const results = measure([bare, baseline, app, local, managed, bundled, identity], options.runs);

  console.log(
    `Entry files (package.json main): ${entryFiles.map((file) => relative(repositoryRoot, file)).join(', ')}`,
  );
  heading(`Cold start, ${options.runs} runs each (median / p90)`);
  const base = results.get(baseline.name)!;
  const baseWall = median(base.map((run) => run.wallInMs));
  const baseRss = median(base.map((run) => run.rss));
  for (const [name, runs] of results) {
    const wall = runs.map((run) => run.wallInMs);
    const rss = runs.map((run) => run.rss);
    const load = runs.map((run) => run.loadInMs);
    const services = runs.flatMap((run) => (run.servicesInMs === undefined ? [] : [run.servicesInMs]));
    console.log(`\n  ${name}`);
    line(
      'wall time, spawn to exit',
      `${ms(median(wall))} / ${ms(p90(wall))}  (${ratio(median(wall) / baseWall)} baseline, ${signed(median(wall) - baseWall, ms)})`,
    );
    if (!Number.isNaN(median(rss)))
      line(
        'RSS after loading',
        `${mb(median(rss))} / ${mb(p90(rss))}  (${ratio(median(rss) / baseRss)} baseline, ${signed(median(rss) - baseRss, mb)})`,
      );
    if (name !== bare.name && name !== baseline.name)
      line(
        'time in the process (require + services)',
        `${ms(median(load))} / ${ms(p90(load))}  (${runs[0].modules} modules)`,
      );
    if (services.length > 0) line('of which getServices()', `${ms(median(services))} / ${ms(p90(services))}`);
    if (name !== bare.name)
      line(
        '@azure/identity loaded',
        runs.every((run) => run.identityLoaded) ? 'yes' : runs.some((run) => run.identityLoaded) ? 'sometimes' : 'no',
      );
  }

  const appLoad = median(results.get(app.name)!.map((run) => run.loadInMs));
  const identityLoad = median(results.get(identity.name)!.map((run) => run.loadInMs));
  const localServices = median(
    results.get(local.name)!.flatMap((run) => (run.servicesInMs === undefined ? [] : [run.servicesInMs])),
  );
  const managedServices = median(
    results.get(managed.name)!.flatMap((run) => (run.servicesInMs === undefined ? [] : [run.servicesInMs])),
  );
  heading('Ratios');
  line(
    'function modules, wall / baseline',
    ratio(median(results.get(app.name)!.map((run) => run.wallInMs)) / baseWall),
  );
  line('function modules, RSS / baseline', ratio(median(results.get(app.name)!.map((run) => run.rss)) / baseRss));
  line(
    'bundled / unbundled, time in the process',
    ratio(median(results.get(bundled.name)!.map((run) => run.loadInMs)) / appLoad),
  );
  line(
    '@azure/identity alone / all function modules',
    `${ratio(identityLoad / appLoad)} (require time; avoided with connection strings)`,
  );
  line(
    'getServices() + clients, managed identity / keys',
    `${ratio(managedServices / localServices)} (${ms(managedServices)} vs ${ms(localServices)})`,
  );

  const dependencies = [
    'zod',
    'jose',
    '@azure/functions',
    '@azure/communication-identity',
    '@azure/data-tables',
    '@azure/storage-queue',
    '@azure/core-rest-pipeline',
    '@azure/identity',
  ];
  const byDependency = measure(
    dependencies.map((name) => ({ name, args: [child, 'module', name] })),
    options.dependencyRuns,
  );
  heading(
    `Each dependency alone, ${options.dependencyRuns} runs (require time in the process, median; shared dependencies count in each)`,
  );
  for (const [name, runs] of byDependency) {
    line(
      name,
      `${ms(median(runs.map((run) => run.loadInMs)))}  RSS +${mb(median(runs.map((run) => run.rss)) - baseRss)}  (${runs[0].modules} modules)`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(`cold-start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
