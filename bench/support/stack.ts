import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { ChildMessage, ParentMessage, ProcessSample } from './ipc';
import { repositoryRoot } from './paths';

/** A bench child process: its pid and a way to sample its memory, CPU and event loop. */
export interface BenchProcess {
  pid: number;
  /** `collectGarbage` runs a full GC first (the host runs with --expose-gc). */
  sample(collectGarbage?: boolean): Promise<ProcessSample>;
}

export interface BenchStack {
  functionsUrl: string;
  acsUrl: string;
  issuerUrl: string;
  storageConnectionString: string;
  /** The functions host's process (only the app and the host run in it). */
  host: BenchProcess;
  /** Azurite, the ACS emulator and the OIDC issuer, in one process. */
  dependencies: BenchProcess;
  /**
   * The host's outgoing requests between two samples, per `count` (e.g. per request served), by service and method:
   * `table GET 1.00, acs POST 1.00`.
   */
  upstreamCallsPer(before: ProcessSample, after: ProcessSample, count: number): string;
  stop(): Promise<void>;
}

const startTimeoutInMs = 30_000;

/**
 * Starts the local stack as dev/stack/stack.ts does, but in two child processes: the dependencies (Azurite in memory,
 * ACS emulator, OIDC issuer) and the functions host. The load generator (this process) and the host then never share
 * an event loop, and the host's RSS, heap and CPU are the app's alone. Needs `npm run build` first. With
 * BENCH_CPU_PROF_DIR set, the host writes a V8 CPU profile (.cpuprofile) there when it stops.
 * @param settings - app settings over local.settings.sample.json's; `{issuerUrl}` stands for the issuer's URL
 */
export async function startBenchStack(settings: Record<string, string> = {}): Promise<BenchStack> {
  const children: Child[] = [];
  try {
    const dependencies = await Child.start('dependencies-process.js', []);
    children.push(dependencies);
    const { acsUrl, acsConnectionString, issuerUrl, storageConnectionString } = dependencies.endpoints;
    const profileDir = process.env['BENCH_CPU_PROF_DIR'];
    const hostArgs = ['--expose-gc', ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])];
    const host = await Child.start('host-process.js', hostArgs, {
      ...sampleSettings(),
      AzureWebJobsStorage: storageConnectionString,
      IdentityStorage: storageConnectionString,
      ACS_CONNECTION_STRING: acsConnectionString,
      AUTH_ISSUERS: issuerUrl,
      // A benchmark is one client sending far more than a real one: quotas are off unless a run sets them.
      QUOTA_TOKENS_PER_USER: 'off',
      QUOTA_IDENTITIES_PER_USER: 'off',
      QUOTA_IDENTITIES_PER_CLIENT_IP: 'off',
      QUOTA_INVITATIONS_PER_USER: 'off',
      QUOTA_GUEST_REDEMPTIONS_PER_CLIENT_IP: 'off',
      ...Object.fromEntries(
        Object.entries(settings).map(([name, value]) => [name, value.replaceAll('{issuerUrl}', issuerUrl)]),
      ),
    });
    children.push(host);
    const names = serviceNames(acsUrl, issuerUrl, storageConnectionString);
    return {
      functionsUrl: host.endpoints['functionsUrl'],
      acsUrl: acsUrl,
      issuerUrl: issuerUrl,
      storageConnectionString: storageConnectionString,
      host,
      dependencies,
      upstreamCallsPer: (before, after, count) => describeUpstreamCalls(names, before, after, count),
      stop: () => stopAll(children),
    };
  } catch (error) {
    await stopAll(children);
    throw error;
  }
}

async function stopAll(children: Child[]): Promise<void> {
  for (const child of children.reverse()) await child.stop();
}

/** `host:port` -> the service listening there. */
function serviceNames(acsUrl: string, issuerUrl: string, storageConnectionString: string): Map<string, string> {
  const names = new Map([
    [new URL(acsUrl).host, 'acs'],
    [new URL(issuerUrl).host, 'issuer'],
  ]);
  for (const [, service, url] of storageConnectionString.matchAll(/(Blob|Queue|Table)Endpoint=([^;]+)/g))
    names.set(new URL(url).host, service.toLowerCase());
  return names;
}

function describeUpstreamCalls(
  names: Map<string, string>,
  before: ProcessSample,
  after: ProcessSample,
  count: number,
): string {
  const calls = Object.entries(after.outgoingRequests)
    .map(([key, total]) => {
      const [method, host] = key.split(' ') as [string, string];
      return { label: `${names.get(host) ?? host} ${method}`, delta: total - (before.outgoingRequests[key] ?? 0) };
    })
    .filter((call) => call.delta > 0)
    .sort((a, b) => a.label.localeCompare(b.label));
  // Below 0.01 per request is background work (the queue listener's polling), not the request's own cost.
  const format = (perCount: number) => (perCount < 0.005 ? '<0.01' : perCount.toFixed(2));
  return calls.length > 0 ? calls.map((call) => `${call.label} ${format(call.delta / count)}`).join(', ') : 'none';
}

/** local.settings.sample.json's values: the base the stack starts from, as in dev/stack/stack.ts. */
function sampleSettings(): Record<string, string> {
  const file = join(repositoryRoot, 'local.settings.sample.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, string> }).Values ?? {};
}

class Child implements BenchProcess {
  #nextId = 0;
  readonly #pending = new Map<number, { resolve: (sample: ProcessSample) => void; reject: (error: Error) => void }>();

  private constructor(
    private readonly child: ChildProcess,
    private readonly script: string,
    readonly endpoints: Record<string, string>,
  ) {
    child.on('message', (message: ChildMessage) => {
      if (message.type !== 'sample') return;
      this.#pending.get(message.id)?.resolve(message.sample);
      this.#pending.delete(message.id);
    });
    child.on('exit', (code, signal) => {
      for (const { reject } of this.#pending.values())
        reject(new Error(`${script} exited (${signal ?? code}) while being sampled`));
      this.#pending.clear();
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  static async start(script: string, execArgv: string[], settings?: Record<string, string>): Promise<Child> {
    const child = fork(join(__dirname, script), [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let timer: NodeJS.Timeout | undefined;
    const ready = new Promise<Record<string, string>>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${script} did not start within ${startTimeoutInMs} ms`)),
        startTimeoutInMs,
      );
      child.on('message', (message: ChildMessage) => {
        if (message.type === 'ready') resolve(message.endpoints);
        if (message.type === 'failed') reject(new Error(`${script} failed to start: ${message.message}`));
      });
      child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before it was ready`)));
      if (settings) child.send({ type: 'start', settings } satisfies ParentMessage);
    });
    let endpoints: Record<string, string>;
    try {
      endpoints = await ready;
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return new Child(child, script, endpoints);
  }

  sample(collectGarbage = false): Promise<ProcessSample> {
    if (!this.running) return Promise.reject(new Error(`${this.script} is not running`));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.child.send({ type: 'sample', id, collectGarbage } satisfies ParentMessage);
    });
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'stop' } satisfies ParentMessage);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  private get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
}
