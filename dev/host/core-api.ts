import Module from 'node:module';

import type { FunctionCallback, ProgrammingModel, RpcFunctionMetadata, RpcLogCategory, RpcLogLevel } from './rpc';

/**
 * The module the Node.js worker provides to `@azure/functions` (see `tryGetCoreApiLazy` in
 * node_modules/@azure/functions/dist/azure-functions.js). Without it the library runs in
 * "test mode" and registers nothing, so the local host provides it before loading the app.
 */
export const CORE_API_MODULE_ID = '@azure/functions-core';

export type HookName = 'appStart' | 'appTerminate' | 'preInvocation' | 'postInvocation' | 'log';
export type HookCallback = (context: Record<string, unknown>) => unknown;

const HOOK_NAMES: ReadonlySet<string> = new Set<HookName>([
  'appStart',
  'appTerminate',
  'preInvocation',
  'postInvocation',
  'log',
]);

export class Disposable {
  #callOnDispose: (() => void) | undefined;

  constructor(callOnDispose: () => void) {
    this.#callOnDispose = callOnDispose;
  }

  dispose(): void {
    this.#callOnDispose?.();
    this.#callOnDispose = undefined;
  }
}

export interface RegisteredFunction {
  metadata: RpcFunctionMetadata;
  callback: FunctionCallback;
}

export type SystemLog = (level: RpcLogLevel, category: RpcLogCategory, message: string) => void;

/** The functions and hooks one app registered while it was being loaded. */
export class FunctionRegistry {
  readonly #functions = new Map<string, RegisteredFunction>();
  readonly #hooks = new Map<HookName, HookCallback[]>();
  #locked = false;
  /** Shared by every hook of the app (`appHookData` in the worker). */
  readonly appHookData: Record<string, unknown> = {};
  /** `hookData` of appStart/appTerminate hooks. */
  readonly appLevelOnlyHookData: Record<string, unknown> = {};

  constructor(readonly log: SystemLog) {}

  get functions(): RegisteredFunction[] {
    return [...this.#functions.values()];
  }

  hooks(name: HookName): HookCallback[] {
    return [...(this.#hooks.get(name) ?? [])];
  }

  /** Ends app start-up: like the worker, refuse (un)registrations after it. */
  lock(): void {
    this.#locked = true;
  }

  registerFunction(metadata: RpcFunctionMetadata, callback: FunctionCallback): Disposable {
    if (this.#locked) {
      throw new Error('A function can only be registered during app startup.');
    }
    const key = metadata.name.toLowerCase();
    if (this.#functions.has(key)) {
      throw new Error(`A function with name "${metadata.name}" has already been registered.`);
    }
    this.#functions.set(key, { metadata, callback });
    return new Disposable(() => {
      if (this.#locked) {
        throw new Error('A function can only be disposed during app startup.');
      }
      this.#functions.delete(key);
    });
  }

  registerHook(name: string, callback: HookCallback): Disposable {
    if (!HOOK_NAMES.has(name)) {
      throw new RangeError(`Unrecognized hook "${name}"`);
    }
    const hookName = name as HookName;
    const callbacks = this.#hooks.get(hookName) ?? [];
    callbacks.push(callback);
    this.#hooks.set(hookName, callbacks);
    return new Disposable(() => {
      const index = callbacks.indexOf(callback);
      if (index >= 0) {
        callbacks.splice(index, 1);
      }
    });
  }
}

// One core API per process, as with the real worker: `@azure/functions` caches the module it
// first required, and calls `setProgrammingModel` once per library instance.
let activeRegistry: FunctionRegistry | undefined;
let programmingModel: ProgrammingModel | undefined;

const coreApi = {
  Disposable,
  setProgrammingModel(model: ProgrammingModel): void {
    programmingModel = model;
  },
  getProgrammingModel(): ProgrammingModel | undefined {
    return programmingModel;
  },
  registerFunction(metadata: RpcFunctionMetadata, callback: FunctionCallback): Disposable {
    return requireActiveRegistry().registerFunction(metadata, callback);
  },
  registerHook(name: string, callback: HookCallback): Disposable {
    return requireActiveRegistry().registerHook(name, callback);
  },
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void {
    if (activeRegistry !== undefined) {
      activeRegistry.log(level, category, message);
    } else {
      console.log(message);
    }
  },
};

function requireActiveRegistry(): FunctionRegistry {
  if (activeRegistry === undefined) {
    throw new Error('No app is being loaded by the local functions host.');
  }
  return activeRegistry;
}

/** The programming model `@azure/functions` registered, if the app registered anything. */
export function getProgrammingModel(): ProgrammingModel | undefined {
  return programmingModel;
}

/** Routes registrations and library logs to `registry` (or nowhere, with `undefined`). */
export function setActiveRegistry(registry: FunctionRegistry | undefined): void {
  activeRegistry = registry;
}

interface ModuleInternals {
  _resolveFilename(this: unknown, request: string, ...rest: unknown[]): string;
}

let installed = false;

/** Makes `require('@azure/functions-core')` return the local host's core API, process-wide. */
export function installCoreApi(): void {
  if (installed) {
    return;
  }
  const internals = Module as unknown as ModuleInternals;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the loader's own `this`
  const resolveFilename = internals._resolveFilename;
  internals._resolveFilename = function resolveCoreApi(this: unknown, request: string, ...rest: unknown[]): string {
    return request === CORE_API_MODULE_ID ? CORE_API_MODULE_ID : resolveFilename.call(this, request, ...rest);
  };
  const coreModule = new Module(CORE_API_MODULE_ID);
  coreModule.filename = CORE_API_MODULE_ID;
  coreModule.exports = coreApi;
  coreModule.loaded = true;
  require.cache[CORE_API_MODULE_ID] = coreModule;
  installed = true;
}
