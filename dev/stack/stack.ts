import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { type AcsEmulator, startAcsEmulator } from '../acs-emulator';
import { type RunningAzurite, startAzurite } from '../azurite';
import { type ExtraRoute, startFunctionsHost } from '../host';
import { type DevIssuer, startDevIssuer } from '../oidc/issuer';

export interface StackPorts {
  functions: number;
  acs: number;
  oidc: number;
  blob: number;
  queue: number;
  table: number;
}

/** Default ports; each can be overridden by the environment variable named next to it. */
export const defaultPorts: StackPorts = { functions: 7071, acs: 7080, oidc: 7090, blob: 10000, queue: 10001, table: 10002 };
export const portVariables: Record<keyof StackPorts, string> = {
  functions: 'FUNCTIONS_PORT',
  acs: 'ACS_EMULATOR_PORT',
  oidc: 'OIDC_PORT',
  blob: 'AZURITE_BLOB_PORT',
  queue: 'AZURITE_QUEUE_PORT',
  table: 'AZURITE_TABLE_PORT',
};

export interface StackOptions {
  /** The function app's root (host.json, package.json). Default: this repository. */
  appRoot?: string;
  ports?: Partial<StackPorts>;
  /** Folder for Azurite's data; omitted = in memory. */
  azuriteLocation?: string;
  /** App settings that win over local.settings(.sample).json and the stack's own endpoints; `{issuerUrl}` is replaced. */
  settings?: Record<string, string>;
  log?: (level: string, message: string) => void;
  /** Dev-only routes served by the functions host outside /api (e.g. the demo page); a function gets the started parts' URLs. */
  extraRoutes?: ExtraRoute[] | ((parts: { issuerUrl: string; acsUrl: string }) => ExtraRoute[]);
}

export interface Stack {
  functionsUrl: string;
  acs: AcsEmulator;
  issuer: DevIssuer;
  azurite: RunningAzurite;
  /** The settings the function app runs with (endpoints point at this stack). */
  settings: Record<string, string>;
  /** Stops Azurite only (to simulate storage being down) and starts it again on the same ports. */
  stopStorage(): Promise<void>;
  startStorage(): Promise<void>;
  stop(): Promise<void>;
}

export const repositoryRoot = resolve(__dirname, '..', '..', '..');

/**
 * Starts the whole local stack: Azurite (blob, queue, table), the ACS identity emulator, the development OIDC
 * issuer and the local functions host serving src/functions, wired together. Every part stops with `stop()`.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const ports = { ...defaultPorts, ...options.ports };
  const appRoot = options.appRoot ?? repositoryRoot;
  const started: Array<{ stop(): Promise<void> }> = [];
  try {
    const azuriteOptions = (blob: number, queue: number, table: number) => ({
      blobPort: blob,
      queuePort: queue,
      tablePort: table,
      ...(options.azuriteLocation ? { location: options.azuriteLocation } : {}),
    });
    let azurite = await startAzurite(azuriteOptions(ports.blob, ports.queue, ports.table));
    const azuritePorts = { blob: portOf(azurite.blobUrl), queue: portOf(azurite.queueUrl), table: portOf(azurite.tableUrl) };
    started.push({ stop: () => azurite.stop() });

    const issuer = await startDevIssuer({ port: ports.oidc });
    started.push(issuer);
    const acs = await startAcsEmulator({ port: ports.acs, teamsJwksUrl: `${issuer.url}/jwks` });
    started.push(acs);

    const settings: Record<string, string> = {
      ...sampleValues(appRoot),
      AzureWebJobsStorage: azurite.connectionString,
      IdentityStorage: azurite.connectionString,
      ACS_CONNECTION_STRING: acs.connectionString,
      AUTH_ISSUERS: issuer.url,
      // `{issuerUrl}` in a setting stands for the development issuer's URL (its port may be chosen at start).
      ...Object.fromEntries(Object.entries(options.settings ?? {}).map(([name, value]) => [name, value.replaceAll('{issuerUrl}', issuer.url)])),
    };
    const extraRoutes = typeof options.extraRoutes === 'function' ? options.extraRoutes({ issuerUrl: issuer.url, acsUrl: acs.url }) : options.extraRoutes;
    const host = await startFunctionsHost({
      appRoot,
      port: ports.functions,
      settings,
      ...(options.log ? { log: options.log } : {}),
      ...(extraRoutes ? { extraRoutes } : {}),
    });
    started.push(host);

    const stack: Stack = {
      functionsUrl: host.url,
      acs,
      issuer,
      get azurite() {
        return azurite;
      },
      settings,
      stopStorage: () => azurite.stop(),
      startStorage: async () => {
        azurite = await startAzurite(azuriteOptions(azuritePorts.blob, azuritePorts.queue, azuritePorts.table));
      },
      stop: () => stopAll(started),
    };
    return stack;
  } catch (error) {
    await stopAll(started);
    throw error;
  }
}

async function stopAll(started: Array<{ stop(): Promise<void> }>): Promise<void> {
  for (const part of [...started].reverse()) {
    try {
      await part.stop();
    } catch {
      // keep stopping the rest
    }
  }
  started.length = 0;
}

const portOf = (url: string) => Number(new URL(url).port);

/** The sample's values are the base; the stack replaces endpoints with the ones it started. */
function sampleValues(appRoot: string): Record<string, string> {
  try {
    return (JSON.parse(readFileSync(join(appRoot, 'local.settings.sample.json'), 'utf8')) as { Values?: Record<string, string> }).Values ?? {};
  } catch {
    return {};
  }
}
