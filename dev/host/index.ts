import { resolve } from 'node:path';

import { loadEntryFiles, resolveEntryFiles, unloadApp } from './app-loader';
import {
  FunctionRegistry,
  getProgrammingModel,
  installCoreApi,
  setActiveRegistry,
  type HookName,
  type RegisteredFunction,
} from './core-api';
import { createCorsPolicy } from './cors';
import { readHostConfig, type HostConfig } from './host-json';
import { startHttpServer, type ExtraRoute, type RunningHttpServer } from './http-server';
import {
  describeWithStack,
  FunctionInvoker,
  triggerBinding,
  type HostLog,
  type InvocationInput,
  type InvocationOutcome,
} from './invoker';
import { QueueListener } from './queue-listener';
import { parseRouteTemplate, RouteTable } from './routing';
import type { RpcBindingInfo } from './rpc';
import { applySettings, readLocalSettings } from './settings';
import { QueueClients, resolveConnectionString, resolveQueueName } from './storage';
import { parseTimerSchedule, TimerListener } from './timer';
import { urlHost } from '../shared/url-host';

export type { ExtraRoute } from './http-server';

export interface StartFunctionsHostOptions {
  /** Folder with host.json and the package.json whose `main` is a file or glob of compiled JS entry files. */
  appRoot: string;
  /** 0 = free port; default `Host.LocalHttpPort` of local.settings.json, else 7071. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** App settings that win over the environment and local.settings.json; applied to process.env before the app loads. */
  settings?: Record<string, string>;
  /** Receives host and function logs (`level` as in `@azure/functions`: information, warning, error, ...). */
  log?: (level: string, message: string) => void;
  /** Dev-only endpoints served outside the route prefix. */
  extraRoutes?: ExtraRoute[];
}

export interface RegisteredFunctionInfo {
  name: string;
  /** Trigger binding type, e.g. `httpTrigger`, `queueTrigger`, `timerTrigger`. */
  trigger: string;
  /** HTTP: methods (undefined = all), full route template with prefix, URL, authLevel (not enforced locally). */
  methods?: readonly string[];
  route?: string;
  url?: string;
  authLevel?: string;
  /** Queue: the resolved queue name. */
  queueName?: string;
  /** Timer: the schedule. */
  schedule?: string;
  /** Why the function does not run locally, when it does not. */
  error?: string;
  bindings: Readonly<Record<string, RpcBindingInfo>>;
}

export interface RunningFunctionsHost {
  /** e.g. `http://127.0.0.1:7071` */
  url: string;
  port: number;
  functions: ReadonlyArray<RegisteredFunctionInfo>;
  /** Stops triggers, waits for invocations in flight, closes the server, runs appTerminate hooks. */
  stop(): Promise<void>;
}

const DEFAULT_PORT = 7071;

/** Console log like `func start`: timestamped; trace and debug left out. */
export function consoleLog(level: string, message: string): void {
  const line = `[${new Date().toISOString()}] ${message}`;
  if (level === 'error' || level === 'critical') {
    console.error(line);
  } else if (level === 'warning') {
    console.warn(line);
  } else if (level !== 'trace' && level !== 'debug') {
    console.log(line);
  }
}

// Loading registers functions through one process-wide core API: one app loads at a time.
let loading: Promise<unknown> = Promise.resolve();

/**
 * Starts a local Functions host for the v4 Node.js programming model: loads the app's entry
 * files with `@azure/functions-core` provided (so `app.http(...)` & co. really register),
 * serves HTTP triggers, polls queue triggers and fires timer triggers.
 *
 * @param options - app root, port, settings overrides, log sink, extra dev routes.
 */
export async function startFunctionsHost(options: StartFunctionsHostOptions): Promise<RunningFunctionsHost> {
  const appRoot = resolve(options.appRoot);
  const log: HostLog = options.log ?? consoleLog;
  const bindHost = options.host ?? '127.0.0.1';

  const localSettings = readLocalSettings(appRoot);
  applySettings(localSettings.values, options.settings);
  const config = readHostConfig(appRoot);

  const registry = new FunctionRegistry((level, _category, message) => log(level, message));
  const load = loading.then(async () => loadApp(appRoot, registry));
  loading = load.catch(() => undefined);
  await load;

  await runHooks(registry, 'appStart', {
    hookData: registry.appLevelOnlyHookData,
    appHookData: registry.appHookData,
    functionAppDirectory: appRoot,
  });

  const clients = new QueueClients();
  const invoker = new FunctionInvoker(registry, log);
  const entries = registry.functions.map((fn) => ({ fn, info: describeFunction(fn, config) }));
  for (const { info } of entries) {
    if (info.error !== undefined) {
      log('error', `The '${info.name}' function is in error: ${info.error}`);
    }
  }
  const runnable = entries.filter(({ info }) => info.error === undefined);

  let server: RunningHttpServer;
  try {
    server = await startHttpServer({
      host: bindHost,
      port: options.port ?? localSettings.localHttpPort ?? DEFAULT_PORT,
      routes: new RouteTable(
        runnable
          .filter(({ info }) => info.route !== undefined)
          .map(({ fn, info }) => ({ template: info.route ?? '', methods: info.methods, target: fn })),
      ),
      cors: createCorsPolicy(localSettings.cors, localSettings.corsCredentials),
      extraRoutes: options.extraRoutes ?? [],
      invoke: async (fn, input) => invoker.invoke(fn, input),
      invokeByName: async (name, input) => {
        const target = runnable.find(
          ({ info }) => info.route === undefined && info.name.toLowerCase() === name.toLowerCase(),
        );
        if (target === undefined) return undefined;
        const triggerData =
          target.info.schedule !== undefined
            ? { json: JSON.stringify({ schedule: {}, scheduleStatus: null, isPastDue: false }) }
            : { string: input ?? '' };
        return invoker.invoke(target.fn, {
          reason: 'This function was programmatically called via the host APIs.',
          triggerData,
        });
      },
      log,
    });
  } catch (error) {
    unloadApp(appRoot);
    throw error;
  }
  const url = `http://${urlHost(bindHost)}:${server.port}`;
  for (const { info } of entries) {
    if (info.route !== undefined) {
      info.url = `${url}/${info.route}`;
    }
  }

  const listeners = runnable.flatMap(({ fn, info }) => createListener(fn, info, invoker, clients, config, log));
  for (const listener of listeners) {
    listener.start();
  }

  let stopping: Promise<void> | undefined;
  return {
    url,
    port: server.port,
    functions: entries.map(({ info }) => info),
    stop: async () => {
      stopping ??= (async () => {
        await Promise.all(listeners.map(async (listener) => listener.stop()));
        await server.close();
        try {
          await runHooks(registry, 'appTerminate', {
            hookData: registry.appLevelOnlyHookData,
            appHookData: registry.appHookData,
          });
        } finally {
          unloadApp(appRoot);
        }
      })();
      return stopping;
    },
  };
}

function createListener(
  fn: RegisteredFunction,
  info: RegisteredFunctionInfo,
  invoker: FunctionInvoker,
  clients: QueueClients,
  config: HostConfig,
  log: HostLog,
): Array<QueueListener | TimerListener> {
  const { binding } = triggerBinding(fn);
  const invoke = async (input: InvocationInput): Promise<InvocationOutcome> => invoker.invoke(fn, input);
  if (info.queueName !== undefined) {
    const connectionString = resolveConnectionString(binding.connection);
    return [
      new QueueListener({
        functionName: info.name,
        queue: clients.get(connectionString, info.queueName),
        poisonQueue: clients.get(connectionString, `${info.queueName}-poison`),
        options: config.queues,
        invoke,
        log,
      }),
    ];
  }
  if (info.schedule !== undefined) {
    return [
      new TimerListener({
        functionName: info.name,
        schedule: info.schedule,
        runOnStartup: binding.runOnStartup === true,
        invoke,
        log,
      }),
    ];
  }
  return [];
}

async function loadApp(appRoot: string, registry: FunctionRegistry): Promise<void> {
  installCoreApi();
  const files = resolveEntryFiles(appRoot);
  // A fresh copy of the app's modules, so that this host gets its own registrations.
  unloadApp(appRoot);
  setActiveRegistry(registry);
  try {
    await loadEntryFiles(appRoot, files);
  } catch (error) {
    unloadApp(appRoot);
    throw new Error(`Worker was unable to load entry point "${files.join(', ')}": ${describeWithStack(error)}`, {
      cause: error,
    });
  } finally {
    setActiveRegistry(undefined);
  }
  registry.lock();
  const model = getProgrammingModel();
  if (model !== undefined) {
    // As the worker does at init; this also locks `app.setup(...)`.
    const capabilities = await model.getCapabilities({});
    if ('HttpUri' in capabilities) {
      throw new Error('app.setup({ enableHttpStream: true }) is not supported by the local functions host.');
    }
  }
}

async function runHooks(registry: FunctionRegistry, name: HookName, context: Record<string, unknown>): Promise<void> {
  for (const hook of registry.hooks(name)) {
    await hook(context);
  }
}

const SUPPORTED_TRIGGERS = new Set(['httpTrigger', 'queueTrigger', 'timerTrigger']);

function describeFunction(fn: RegisteredFunction, config: HostConfig): RegisteredFunctionInfo {
  const { name, bindings } = fn.metadata;
  const { name: triggerName, binding } = triggerBinding(fn);
  const info: RegisteredFunctionInfo = { name, trigger: binding.type, bindings };
  try {
    if (!SUPPORTED_TRIGGERS.has(binding.type)) {
      throw new Error(`the trigger '${binding.type}' is not supported by the local host.`);
    }
    // Besides its trigger, a function may only have the HTTP response of an HTTP trigger.
    for (const [bindingName, other] of Object.entries(bindings)) {
      const isHttpResponse = binding.type === 'httpTrigger' && other.direction === 'out' && other.type === 'http';
      if (bindingName !== triggerName && !isHttpResponse) {
        const kind = other.direction === 'out' ? 'output' : 'input';
        throw new Error(`a ${other.type} ${kind} binding ('${bindingName}') is not supported by the local host.`);
      }
    }
    if (binding.type === 'httpTrigger') {
      const route = (binding.route ?? name).replace(/^\/+|\/+$/g, '');
      info.route = [config.routePrefix, route].filter((part) => part !== '').join('/');
      parseRouteTemplate(info.route);
      info.methods = binding.methods?.length ? binding.methods.map((method) => method.toUpperCase()) : undefined;
      if (binding.authLevel !== undefined) {
        info.authLevel = binding.authLevel;
      }
    } else if (binding.type === 'queueTrigger') {
      info.queueName = resolveQueueName(binding.queueName);
      resolveConnectionString(binding.connection);
    } else {
      info.schedule = String(binding.schedule ?? '');
      parseTimerSchedule(info.schedule);
    }
  } catch (error) {
    info.error = (error as Error).message;
  }
  return info;
}
