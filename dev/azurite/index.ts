import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';

import BlobConfiguration from 'azurite/dist/src/blob/BlobConfiguration';
import BlobServer from 'azurite/dist/src/blob/BlobServer';
import type ServerBase from 'azurite/dist/src/common/ServerBase';
import {
  DEFAULT_EXTENT_MEMORY_LIMIT,
  MemoryExtentChunkStore,
} from 'azurite/dist/src/common/persistence/MemoryExtentStore';
import QueueConfiguration from 'azurite/dist/src/queue/QueueConfiguration';
import QueueServer from 'azurite/dist/src/queue/QueueServer';
import TableConfiguration from 'azurite/dist/src/table/TableConfiguration';
import TableServer from 'azurite/dist/src/table/TableServer';
import { urlHost } from '../shared/url-host';

/** The emulator's single account and its well-known key (public, documented by Azurite). */
export const DEV_STORE_ACCOUNT_NAME = 'devstoreaccount1';
export const DEV_STORE_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface StartAzuriteOptions {
  /** Interface to bind; default `127.0.0.1`. */
  host?: string;
  /** 0 picks a free port; default 10000. */
  blobPort?: number;
  /** 0 picks a free port; default 10001. */
  queuePort?: number;
  /** 0 picks a free port; default 10002. */
  tablePort?: number;
  /** Folder for persistence (created if missing); omitted = in memory. */
  location?: string;
  /** No access log on stdout; default true (embedded use). */
  silent?: boolean;
}

export interface RunningAzurite {
  /** e.g. `http://127.0.0.1:10000/devstoreaccount1` */
  blobUrl: string;
  queueUrl: string;
  tableUrl: string;
  /** Full connection string with Blob/Queue/TableEndpoint and the well-known devstoreaccount1 key. */
  connectionString: string;
  /** Closes the three servers; safe to call more than once. */
  stop(): Promise<void>;
}

// Keep-alive timeout in seconds, as Azurite's own defaults.
const KEEP_ALIVE_TIMEOUT_IN_SECONDS = 5;

/**
 * Starts the Azurite blob, queue and table servers inside this process.
 *
 * `require('azurite')` does not work (its main is the VS Code extension), so the servers are
 * embedded by deep import, configured the way Azurite's own CLIs configure them: loose mode,
 * API-version check skipped, no debug log, telemetry never initialised.
 *
 * @param options - ports (0 = free port), bind host, persistence folder.
 */
export async function startAzurite(options: StartAzuriteOptions = {}): Promise<RunningAzurite> {
  const host = options.host ?? '127.0.0.1';
  const silent = options.silent ?? true;
  const location = options.location === undefined ? undefined : resolve(options.location);
  if (location !== undefined) {
    mkdirSync(location, { recursive: true });
  }

  const servers: ServerBase[] = [
    createBlobServer(host, options.blobPort ?? 10000, location, silent),
    createQueueServer(host, options.queuePort ?? 10001, location, silent),
    createTableServer(host, options.tablePort ?? 10002, location, silent),
  ];

  const started: ServerBase[] = [];
  const results = await Promise.allSettled(
    servers.map(async (server) => {
      await server.start();
      started.push(server);
    }),
  );
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure !== undefined) {
    await Promise.allSettled(started.map(async (server) => server.close()));
    throw failure.reason;
  }

  const [blobUrl, queueUrl, tableUrl] = servers.map((server) => accountUrl(server, host)) as [string, string, string];
  let stopping: Promise<void> | undefined;

  return {
    blobUrl,
    queueUrl,
    tableUrl,
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${DEV_STORE_ACCOUNT_NAME};AccountKey=${DEV_STORE_ACCOUNT_KEY};` +
      `BlobEndpoint=${blobUrl};QueueEndpoint=${queueUrl};TableEndpoint=${tableUrl};`,
    stop: async () => {
      stopping ??= (async () => {
        await Promise.all(servers.map(async (server) => server.close()));
        if (location === undefined) {
          // Releases the in-memory data; the servers are closed, as clean() requires.
          await Promise.all(servers.map(async (server) => server.clean()));
        }
      })();
      return stopping;
    },
  };
}

function createBlobServer(host: string, port: number, location: string | undefined, silent: boolean): ServerBase {
  const inMemory = location === undefined;
  const folder = location ?? '';
  return new BlobServer(
    new BlobConfiguration(
      host,
      port,
      KEEP_ALIVE_TIMEOUT_IN_SECONDS,
      join(folder, '__azurite_db_blob__.json'),
      join(folder, '__azurite_db_blob_extent__.json'),
      [{ locationId: 'Default', locationPath: join(folder, '__blobstorage__'), maxConcurrency: 50 }],
      !silent,
      undefined,
      false,
      undefined,
      true,
      true,
      '',
      '',
      '',
      undefined,
      false,
      inMemory,
      // A store of its own: Azurite's default is shared by every server of the process and
      // cleaning one instance would wipe the data of another.
      inMemory ? new MemoryExtentChunkStore(DEFAULT_EXTENT_MEMORY_LIMIT) : undefined,
    ),
  );
}

function createQueueServer(host: string, port: number, location: string | undefined, silent: boolean): ServerBase {
  const inMemory = location === undefined;
  const folder = location ?? '';
  return new QueueServer(
    new QueueConfiguration(
      host,
      port,
      KEEP_ALIVE_TIMEOUT_IN_SECONDS,
      join(folder, '__azurite_db_queue__.json'),
      join(folder, '__azurite_db_queue_extent__.json'),
      [{ locationId: 'Default', locationPath: join(folder, '__queuestorage__'), maxConcurrency: 1 }],
      !silent,
      undefined,
      false,
      undefined,
      true,
      true,
      '',
      '',
      '',
      undefined,
      false,
      inMemory,
      inMemory ? new MemoryExtentChunkStore(DEFAULT_EXTENT_MEMORY_LIMIT) : undefined,
    ),
  );
}

function createTableServer(host: string, port: number, location: string | undefined, silent: boolean): ServerBase {
  return new TableServer(
    new TableConfiguration(
      host,
      port,
      KEEP_ALIVE_TIMEOUT_IN_SECONDS,
      join(location ?? '', '__azurite_db_table__.json'),
      false,
      !silent,
      undefined,
      undefined,
      true,
      true,
      '',
      '',
      '',
      undefined,
      false,
      location === undefined,
    ),
  );
}

/** The path-style account URL of a started server, with the port it really bound. */
function accountUrl(server: ServerBase, host: string): string {
  const { port } = server.httpServer.address() as AddressInfo;
  return `http://${urlHost(host)}:${port}/${DEV_STORE_ACCOUNT_NAME}`;
}
