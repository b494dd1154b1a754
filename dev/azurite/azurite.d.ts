// Azurite ships no type definitions. These declare only what dev/azurite uses of its
// server classes (read from node_modules/azurite/dist/src, version 3.35).

declare module 'azurite/dist/src/common/ServerBase' {
  import type { Server } from 'node:http';

  export default abstract class ServerBase {
    readonly httpServer: Server;
    start(): Promise<void>;
    close(): Promise<void>;
    clean(): Promise<void>;
  }
}

declare module 'azurite/dist/src/common/persistence/MemoryExtentStore' {
  export const DEFAULT_EXTENT_MEMORY_LIMIT: number;
  export class MemoryExtentChunkStore {
    constructor(sizeLimitInBytes?: number);
  }
}

declare module 'azurite/dist/src/common/persistence/IExtentStore' {
  export interface StoreDestinationArray {
    locationId: string;
    locationPath: string;
    maxConcurrency: number;
  }
}

declare module 'azurite/dist/src/blob/BlobConfiguration' {
  import type { MemoryExtentChunkStore } from 'azurite/dist/src/common/persistence/MemoryExtentStore';
  import type { StoreDestinationArray } from 'azurite/dist/src/common/persistence/IExtentStore';

  export default class BlobConfiguration {
    constructor(
      host?: string,
      port?: number,
      keepAliveTimeout?: number,
      metadataDBPath?: string,
      extentDBPath?: string,
      persistencePathArray?: StoreDestinationArray[],
      enableAccessLog?: boolean,
      accessLogWriteStream?: NodeJS.WritableStream,
      enableDebugLog?: boolean,
      debugLogFilePath?: string,
      loose?: boolean,
      skipApiVersionCheck?: boolean,
      cert?: string,
      key?: string,
      pwd?: string,
      oauth?: string,
      disableProductStyleUrl?: boolean,
      isMemoryPersistence?: boolean,
      memoryStore?: MemoryExtentChunkStore,
    );
  }
}

declare module 'azurite/dist/src/blob/BlobServer' {
  import type BlobConfiguration from 'azurite/dist/src/blob/BlobConfiguration';
  import ServerBase from 'azurite/dist/src/common/ServerBase';

  export default class BlobServer extends ServerBase {
    constructor(configuration: BlobConfiguration);
  }
}

declare module 'azurite/dist/src/queue/QueueConfiguration' {
  import type { MemoryExtentChunkStore } from 'azurite/dist/src/common/persistence/MemoryExtentStore';
  import type { StoreDestinationArray } from 'azurite/dist/src/common/persistence/IExtentStore';

  export default class QueueConfiguration {
    constructor(
      host?: string,
      port?: number,
      keepAliveTimeout?: number,
      metadataDBPath?: string,
      extentDBPath?: string,
      persistencePathArray?: StoreDestinationArray[],
      enableAccessLog?: boolean,
      accessLogWriteStream?: NodeJS.WritableStream,
      enableDebugLog?: boolean,
      debugLogFilePath?: string,
      loose?: boolean,
      skipApiVersionCheck?: boolean,
      cert?: string,
      key?: string,
      pwd?: string,
      oauth?: string,
      disableProductStyleUrl?: boolean,
      isMemoryPersistence?: boolean,
      memoryStore?: MemoryExtentChunkStore,
    );
  }
}

declare module 'azurite/dist/src/queue/QueueServer' {
  import ServerBase from 'azurite/dist/src/common/ServerBase';
  import type QueueConfiguration from 'azurite/dist/src/queue/QueueConfiguration';

  export default class QueueServer extends ServerBase {
    constructor(configuration: QueueConfiguration);
  }
}

declare module 'azurite/dist/src/table/TableConfiguration' {
  // Note: the table configuration orders its parameters differently from blob and queue.
  export default class TableConfiguration {
    constructor(
      host?: string,
      port?: number,
      keepAliveTimeout?: number,
      metadataDBPath?: string,
      enableDebugLog?: boolean,
      enableAccessLog?: boolean,
      accessLogWriteStream?: NodeJS.WritableStream,
      debugLogFilePath?: string,
      loose?: boolean,
      skipApiVersionCheck?: boolean,
      cert?: string,
      key?: string,
      pwd?: string,
      oauth?: string,
      disableProductStyleUrl?: boolean,
      isMemoryPersistence?: boolean,
    );
  }
}

declare module 'azurite/dist/src/table/TableServer' {
  import ServerBase from 'azurite/dist/src/common/ServerBase';
  import type TableConfiguration from 'azurite/dist/src/table/TableConfiguration';

  export default class TableServer extends ServerBase {
    constructor(configuration: TableConfiguration);
  }
}
