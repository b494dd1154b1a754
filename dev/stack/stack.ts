import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

import { type AcsEmulator, startAcsEmulator } from '../acs-emulator';
import { type RunningAzurite, startAzurite } from '../azurite';
import { type ExtraRoute, startFunctionsHost } from '../host';
import { LOCAL_SETTINGS_FILE, readLocalSettings } from '../host/settings';
import { type DevIssuer, startDevIssuer } from '../oidc/issuer';
import { type PartsInUse, wireStackSettings } from './settings';

export interface StackPorts {
  functions: number;
  acs: number;
  oidc: number;
  blob: number;
  queue: number;
  table: number;
}

/** Default ports; each can be overridden by the environment variable named next to it. */
export const defaultPorts: StackPorts = {
  functions: 7071,
  acs: 7080,
  oidc: 7090,
  blob: 10000,
  queue: 10001,
  table: 10002,
};
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
  /** Folder for Azurite's data and the ACS emulator's (`acs-emulator.json`); omitted = both in memory. */
  azuriteLocation?: string;
  /**
   * Tests: the app runs on local.settings.sample.json's values, whatever the environment and local.settings.json say.
   * Otherwise the environment wins over local.settings.json (or the sample), as with Core Tools.
   */
  isolated?: boolean;
  /** The ACS emulator's revocation propagation delay (default 0: at once). */
  acsRevocationDelayInMs?: number;
  /** App settings that win over everything; `{issuerUrl}` is replaced by the development issuer's URL. */
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
  /** The settings the stack applies over the environment and the settings file (wired endpoints, `settings`). */
  settings: Record<string, string>;
  /** Which parts the app uses are emulated and which are real. */
  parts: PartsInUse;
  /** The settings file the app reads: local.settings.json, else the sample. */
  settingsFile: string | undefined;
  /** Stops Azurite only (to simulate storage being down) and starts it again on the same ports. */
  stopStorage(): Promise<void>;
  startStorage(): Promise<void>;
  stop(): Promise<void>;
}

export const repositoryRoot = resolve(__dirname, '..', '..', '..');

/** The ACS emulator's data file, in the folder that holds Azurite's data. */
export const ACS_EMULATOR_DATA_FILE = 'acs-emulator.json';

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
    const azuritePorts = {
      blob: portOf(azurite.blobUrl),
      queue: portOf(azurite.queueUrl),
      table: portOf(azurite.tableUrl),
    };
    started.push({ stop: () => azurite.stop() });

    const issuer = await startDevIssuer({ port: ports.oidc });
    started.push(issuer);
    const acs = await startAcsEmulator({
      port: ports.acs,
      teamsJwksUrl: `${issuer.url}/jwks`,
      // The emulator's identities persist next to Azurite's data, so a restart keeps users' identities usable.
      ...(options.azuriteLocation ? { dataFile: join(options.azuriteLocation, ACS_EMULATOR_DATA_FILE) } : {}),
      ...(options.acsRevocationDelayInMs === undefined ? {} : { revocationDelayInMs: options.acsRevocationDelayInMs }),
    });
    started.push(acs);

    const localSettings = readLocalSettings(appRoot);
    const wiring = wireStackSettings({
      sample: sampleValues(appRoot),
      file:
        localSettings.file !== undefined && basename(localSettings.file) === LOCAL_SETTINGS_FILE
          ? localSettings.values
          : undefined,
      environment: process.env,
      started: {
        acsConnectionString: acs.connectionString,
        storageConnectionString: azurite.connectionString,
        issuerUrl: issuer.url,
      },
      isolated: options.isolated ?? false,
    });
    const settings: Record<string, string> = {
      ...wiring.overrides,
      // `{issuerUrl}` in a setting stands for the development issuer's URL (its port may be chosen at start).
      ...Object.fromEntries(
        Object.entries(options.settings ?? {}).map(([name, value]) => [
          name,
          value.replaceAll('{issuerUrl}', issuer.url),
        ]),
      ),
    };
    const extraRoutes =
      typeof options.extraRoutes === 'function'
        ? options.extraRoutes({ issuerUrl: issuer.url, acsUrl: acs.url })
        : options.extraRoutes;
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
      parts: wiring.parts,
      settingsFile: localSettings.file,
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

/** The sample's values: the local defaults (and, isolated, the settings themselves). */
function sampleValues(appRoot: string): Record<string, string> {
  try {
    return (
      (
        JSON.parse(readFileSync(join(appRoot, 'local.settings.sample.json'), 'utf8')) as {
          Values?: Record<string, string>;
        }
      ).Values ?? {}
    );
  } catch {
    return {};
  }
}

/** Files Azurite keeps in its location (metadata databases, blob and queue extents) and the emulator's data file. */
const STACK_DATA = /^(__azurite_db_.*|__blobstorage__|__queuestorage__|__tablestorage__|acs-emulator\.json(\.tmp)?)$/;

/**
 * Forgets what `npm start` persisted: Azurite's data and the ACS emulator's, together (one without the other would
 * leave mappings to identities that no longer exist, or the reverse). Removes only those files, never the folder's others.
 * @returns the names removed
 */
export function clearStackData(location: string): string[] {
  let names: string[];
  try {
    names = readdirSync(location).filter((name) => STACK_DATA.test(name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  for (const name of names) rmSync(join(location, name), { recursive: true, force: true });
  return names;
}
