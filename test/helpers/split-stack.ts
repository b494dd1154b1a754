import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { TableClient } from '@azure/data-tables';

import { type AcsEmulator, startAcsEmulator } from '../../dev/acs-emulator';
import { type RunningAzurite, startAzurite } from '../../dev/azurite';
import { requestDevToken, type DevTokenOptions } from '../../dev/oidc/client';
import { type DevIssuer, startDevIssuer } from '../../dev/oidc/issuer';
import { quotasOff } from './stack';

const root = join(__dirname, '..', '..');
const hostCli = join(root, 'dist', 'dev', 'host', 'cli.js');

export interface RunningHost {
  url: string;
  process: ChildProcess;
  output(): string;
}

/**
 * The local stack with the functions host in a child process of its own, so that a test can SIGKILL the host
 * mid-request while Azurite, the ACS emulator and the OIDC issuer (in this process) keep their state.
 */
export class SplitStack {
  private host: RunningHost | undefined;
  private readonly others: RunningHost[] = [];
  private hostLog = '';

  private constructor(
    readonly azurite: RunningAzurite,
    readonly issuer: DevIssuer,
    readonly acs: AcsEmulator,
  ) {}

  static async start(): Promise<SplitStack> {
    if (!existsSync(hostCli)) throw new Error(`${hostCli} is missing: run "npm run build" first (npm test does).`);
    const azurite = await startAzurite({ blobPort: 0, queuePort: 0, tablePort: 0 });
    const issuer = await startDevIssuer({ port: 0 });
    const acs = await startAcsEmulator({ port: 0 });
    return new SplitStack(azurite, issuer, acs);
  }

  /** The app settings: the sample's values with this stack's endpoints, then `overrides`. */
  settings(overrides: Record<string, string> = {}): Record<string, string> {
    const sample = (
      JSON.parse(readFileSync(join(root, 'local.settings.sample.json'), 'utf8')) as { Values: Record<string, string> }
    ).Values;
    return {
      ...sample,
      AzureWebJobsStorage: this.azurite.connectionString,
      IdentityStorage: this.azurite.connectionString,
      ACS_CONNECTION_STRING: this.acs.connectionString,
      AUTH_ISSUERS: this.issuer.url,
      OKTA_ISSUER: this.issuer.url,
      STANDARD_WEBHOOK_ISSUER: this.issuer.url,
      ...quotasOff,
      ...overrides,
    };
  }

  /** Starts the functions host (dist/dev/host/cli.js) in a child process; the environment carries the settings. */
  async startHost(overrides: Record<string, string> = {}): Promise<RunningHost> {
    const child = spawn(process.execPath, [hostCli, root], {
      cwd: root,
      env: { ...process.env, ...this.settings(overrides), FUNCTIONS_PORT: '0', NODE_ENV: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      this.hostLog += chunk.toString('utf8');
      if (process.env['DEBUG_STACK']) process.stderr.write(chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`The host did not start; output:\n${output.slice(-2000)}`)),
        30_000,
      );
      const onData = () => {
        const match = /Host ready: (\S+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          resolve(match[1]);
        }
      };
      child.stdout.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`The host exited (${code}); output:\n${output.slice(-2000)}`));
      });
    });
    this.host = { url, process: child, output: () => output };
    return this.host;
  }

  /** Starts one more host beside the current one (several instances of the app sharing storage and ACS). */
  async startAnotherHost(overrides: Record<string, string> = {}): Promise<RunningHost> {
    const current = this.host;
    const another = await this.startHost(overrides);
    this.host = current;
    this.others.push(another);
    return another;
  }

  /** fetch against a given host. */
  apiAt(
    host: RunningHost,
    path: string,
    init: RequestInit & { token?: string; json?: unknown } = {},
  ): Promise<Response> {
    const { token, json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    if (json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${host.url}${path}`, {
      ...rest,
      headers,
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    });
  }

  /** SIGKILL: the host dies at once, mid-request, as a crashing instance does. */
  async killHost(): Promise<void> {
    const host = this.host;
    if (!host || host.process.exitCode !== null || host.process.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => host.process.once('exit', () => resolve()));
    host.process.kill('SIGKILL');
    await exited;
    this.host = undefined;
  }

  /** Everything every host started by this stack printed. */
  host_output(): string {
    return this.hostLog;
  }

  hostUrl(): string {
    if (!this.host) throw new Error('The host is not running');
    return this.host.url;
  }

  token(userId: string, options?: DevTokenOptions): Promise<string> {
    return requestDevToken(this.issuer.url, userId, options);
  }

  api(path: string, init: RequestInit & { token?: string; json?: unknown } = {}): Promise<Response> {
    if (!this.host) throw new Error('The host is not running');
    const { token, json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    if (json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${this.host.url}${path}`, {
      ...rest,
      headers,
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    });
  }

  /** Runs a timer- or queue-triggered function now, through the host's admin API. */
  async runFunction(name: string): Promise<number> {
    if (!this.host) throw new Error('The host is not running');
    return (
      await fetch(`${this.host.url}/admin/functions/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      })
    ).status;
  }

  async acsControl<T>(path: string, body?: unknown): Promise<T> {
    const response = await fetch(
      `${this.acs.url}_emulator/${path}`,
      body === undefined
        ? {}
        : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } },
    );
    if (!response.ok) throw new Error(`emulator ${path}: ${response.status}`);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  /** The live ACS identities, as the emulator knows them. */
  async liveIdentities(): Promise<string[]> {
    const body = await this.acsControl<{ identities: Array<string | { id: string }> } | Array<string | { id: string }>>(
      'identities',
    );
    return (Array.isArray(body) ? body : body.identities).map((item) => (typeof item === 'string' ? item : item.id));
  }

  table(name = 'IdentityMappings'): TableClient {
    return TableClient.fromConnectionString(this.azurite.connectionString, name, { allowInsecureConnection: true });
  }

  /** Every mapping row that is not a tombstone: `[userId, communicationUserId, state]`. */
  async mappings(): Promise<Array<{ userId: string; communicationUserId: string; state: string }>> {
    const rows: Array<{ userId: string; communicationUserId: string; state: string }> = [];
    try {
      for await (const row of this.table().listEntities<{ userId: string; communicationUserId: string; state: string }>(
        { queryOptions: { filter: "RowKey eq 'identity'" } },
      )) {
        if (row.state !== 'deleted')
          rows.push({ userId: row.userId, communicationUserId: row.communicationUserId, state: row.state });
      }
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
    return rows;
  }

  /** Intents still open (unfinished changes). */
  async intents(): Promise<number> {
    let count = 0;
    try {
      for await (const _ of this.table().listEntities({ queryOptions: { filter: "PartitionKey eq 'intents'" } }))
        count += 1;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
    return count;
  }

  /**
   * Orphans: live ACS identities no mapping points to. Dangling: mappings whose identity ACS no longer has.
   * `ignore` leaves out identities the test created on its own.
   */
  async consistency(
    ignore: ReadonlySet<string> = new Set(),
  ): Promise<{ live: number; mapped: number; orphans: string[]; dangling: string[]; deleting: number }> {
    const live = (await this.liveIdentities()).filter((id) => !ignore.has(id));
    const mappings = await this.mappings();
    const mapped = new Set(mappings.map((row) => row.communicationUserId));
    const liveSet = new Set(live);
    return {
      live: live.length,
      mapped: mapped.size,
      orphans: live.filter((id) => !mapped.has(id)),
      dangling: mappings.filter((row) => !liveSet.has(row.communicationUserId)).map((row) => row.communicationUserId),
      deleting: mappings.filter((row) => row.state === 'deleting').length,
    };
  }

  async stop(): Promise<void> {
    for (const other of this.others)
      if (other.process.exitCode === null && other.process.signalCode === null) other.process.kill('SIGKILL');
    await this.killHost();
    await this.acs.stop();
    await this.issuer.stop();
    await this.azurite.stop();
  }
}
